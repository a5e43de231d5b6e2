"""Where committed blocks come from: a node's HTTP API (``/v1/status``, ``/v1/blocks/{h}``).

The indexer polls: it asks the status for the tip and reads the blocks above its own
height one by one. Polling rather than the SSE stream, because a stream only tells what
happens from now on, while the indexer must read every block since the last one it
wrote (after a crash, or the first time, that is the whole chain); when it has caught
up, one status call per poll interval is all the load it puts on the node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from finchain.indexer.errors import SourceError


@dataclass(frozen=True, slots=True)
class ChainTip:
    chain_id: str
    genesis_hash: str  # hex; "" when the node does not say
    height: int


class BlockSource(Protocol):
    def tip(self) -> ChainTip: ...

    def block(self, height: int) -> dict[str, Any]: ...

    def close(self) -> None: ...


class HttpSource:
    """A node's API at ``url`` (e.g. ``http://127.0.0.1:8640``); ``token``: a bearer token
    when the node requires logins for reads (``[api.auth]``)."""

    def __init__(self, url: str, *, token: str = "", timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise SourceError(f"--node {url[:120]!r} must be an http:// or https:// URL")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout, headers=headers)

    def _get(self, path: str) -> dict[str, Any]:
        try:
            response = self._http.get(path)
        except httpx.HTTPError as exc:
            raise SourceError(f"cannot reach the node at {self.url}: {exc}") from exc
        if response.status_code != 200:
            raise SourceError(
                f"the node at {self.url} answered {response.status_code} to GET {path}: "
                f"{response.text[:300]}"
            )
        try:
            body = response.json()
        except ValueError as exc:
            raise SourceError(f"the node at {self.url} sent no JSON for GET {path}") from exc
        if not isinstance(body, dict):
            raise SourceError(f"the node at {self.url} sent no JSON object for GET {path}")
        return body

    def tip(self) -> ChainTip:
        status = self._get("/v1/status")
        try:
            return ChainTip(
                str(status["chain_id"]), str(status.get("genesis_hash", "")), int(status["height"])
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError(f"the node at {self.url} sent a status without {exc}") from exc

    def block(self, height: int) -> dict[str, Any]:
        return self._get(f"/v1/blocks/{height}")

    def close(self) -> None:
        self._http.close()
