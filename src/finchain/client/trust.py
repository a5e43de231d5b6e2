"""The verifier's trust source read from a finchain chain through the node API.

A credential verifier asks the chain four things: the issuer's DID document
as of issuance (``identity/resolve`` with ``versionTime``), whether the issuer
was accredited for the type then (``credentials/accredited``), the schema by
its content hash (``credentials/schema``) and the latest status-list anchor
(``credentials/status_list``). Status list credentials themselves live off
chain, where the issuer publishes them: give them as a mapping, or let this
source fetch http(s) URLs; either way the verifier checks them against the
anchor, so a stale or forged list cannot pass.

Example::

    with Client("http://127.0.0.1:8640") as client:
        result = verify_credential(vc, ChainTrust(client), now=datetime.now(UTC))
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from finchain.client.client import Client
from finchain.client.errors import ApiError
from finchain.errors import FinchainError
from finchain.formats.times import format_time
from finchain.offchain.vc.errors import ErrUnknownDid, ErrUnknownSchema, ErrUnknownStatusList
from finchain.offchain.vc.trust import StatusAnchor

MAX_STATUS_LIST_BYTES = 1 << 20
SECOND_NS = 1_000_000_000


def _end_of_second(at: datetime) -> int:
    """The last nanosecond of the second ``at`` falls in, as a Unix time (and
    ``.999999`` for DID resolution, which takes a dateTimeStamp).

    A proof's ``created`` is written to the second while block times have
    nanoseconds: a credential issued 0.4 s after the block that registered (or
    accredited) its issuer says ``created`` 0.4 s *before* it. Asking about
    the end of that second accepts it; the cost is that a change in the same
    second as the issuance counts as already made (a key rotated, or an
    accreditation revoked, in that second is seen as in force).
    """
    return int(at.timestamp()) * SECOND_NS + SECOND_NS - 1


class ChainTrust:
    """A :class:`finchain.offchain.vc.trust.TrustSource` over a node's API.

    Parameters:
        client: an open SDK client.
        status_lists: status list credentials by URL, used before any fetch.
        fetch_status_lists: fetch other http(s) status list URLs (off for offline use).
    """

    def __init__(
        self,
        client: Client,
        *,
        status_lists: Mapping[str, dict[str, Any]] | None = None,
        fetch_status_lists: bool = True,
    ) -> None:
        self._client = client
        self._status_lists = dict(status_lists or {})
        self._fetch = fetch_status_lists
        self._hash_name = ""

    def _query(self, path: str, params: Mapping[str, str]) -> Any:
        return self._client.query(path, params).value

    def _find(self, path: str, params: Mapping[str, str], missing: FinchainError) -> Any:
        """The query's value; ``missing`` raised when the chain has no such entry."""
        try:
            return self._query(path, params)
        except ApiError as exc:
            if exc.status == 404 or exc.codespace == "credentials":
                raise missing from None
            raise

    def _suite_hash(self) -> str:
        if not self._hash_name:
            self._hash_name = self._client.status().hash_name
        return self._hash_name

    def resolve(self, did: str, *, at: datetime | None = None) -> dict[str, Any]:
        params = {"did": did}
        if at is not None:
            params["versionTime"] = format_time(at).removesuffix("Z") + ".999999Z"
        result = self._query("identity/resolve", params)
        error = result.get("didResolutionMetadata", {}).get("error")
        if error is not None:
            message = result["didResolutionMetadata"].get("errorMessage", error)
            raise ErrUnknownDid(f"{did}: {message}")
        if result.get("didDocumentMetadata", {}).get("deactivated"):
            raise ErrUnknownDid(f"{did} is deactivated: its keys are no longer trusted")
        document: dict[str, Any] = result["didDocument"]
        return document

    def issuer_accredited(self, issuer_did: str, credential_type: str, at: datetime) -> bool:
        answer = self._query(
            "credentials/accredited",
            {
                "did": issuer_did,
                "type": credential_type,
                "time_ns": str(max(_end_of_second(at), 0)),
            },
        )
        return bool(answer["accredited"])

    def schema(self, schema_id: str) -> dict[str, Any]:
        missing = ErrUnknownSchema(f"the chain has no schema {schema_id}")
        found = self._find("credentials/schema", {"id": schema_id}, missing)
        document: dict[str, Any] = json.loads(found["document"])
        return document

    def status_list_credential(self, url: str) -> dict[str, Any]:
        if url in self._status_lists:
            return self._status_lists[url]
        if not self._fetch or not url.startswith(("https://", "http://")):
            raise ErrUnknownStatusList(
                f"no copy of status list {url}: pass it (--status-list FILE) or allow fetching"
            )
        try:
            response = httpx.get(url, timeout=10.0, follow_redirects=False)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ErrUnknownStatusList(f"could not fetch status list {url}: {exc}") from None
        if len(response.content) > MAX_STATUS_LIST_BYTES:
            raise ErrUnknownStatusList(f"status list {url} exceeds {MAX_STATUS_LIST_BYTES} bytes")
        try:
            credential = response.json()
        except ValueError:
            raise ErrUnknownStatusList(f"status list {url} is not JSON") from None
        if not isinstance(credential, dict):
            raise ErrUnknownStatusList(f"status list {url} is not a JSON object")
        return credential

    def status_list_anchor(self, url: str) -> StatusAnchor:
        missing = ErrUnknownStatusList(f"status list {url} was never anchored")
        found = self._find("credentials/status_list", {"list_id": url}, missing)
        latest = found["latest"]
        return StatusAnchor(
            bytes.fromhex(latest["digest"]),
            self._suite_hash(),
            int(latest["version"]),
            int(latest["height"]),
        )
