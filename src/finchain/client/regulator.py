"""Signing requests to the regulator's routes with a regulator account's key(s).

``RequestSigner`` is an ``httpx.Auth``: httpx runs it each time a request is
sent, so every attempt (a retry, a reconnecting event stream) gets a fresh
time and nonce, and a retried request is never refused as a replay. It signs
only requests under ``/v1/regulator/``; everything else goes out unchanged,
so one client can both transact and supervise. The bytes signed:
``finchain.formats.request_signature``.

Example::

    with Client(url) as client:
        client.use_regulator("FC…", [("k1", keystore.load("reg", passphrase))])
        print(client.regulator_did("did:finchain:…"))
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from finchain.client._calls import Call
from finchain.client.errors import ProtocolError
from finchain.crypto import PrivateKey, get_suite
from finchain.formats.request_signature import (
    HEADER,
    canonical_query,
    header_value,
    query_pairs,
    signing_text,
)

PATH_MARK = "/v1/regulator/"


class RequestSigner(httpx.Auth):
    """Adds ``Finchain-Signature`` to requests under ``/v1/regulator/``.

    Parameters:
        chain_id: the chain's id (``Client.status().chain_id``).
        suite: the chain's crypto suite (``intl``, ``gm``): its hash digests the body.
        account: the regulator's account id.
        keys: ``(key id on the account, private key)``; together their weights must
            reach the account's threshold.
        clock: Unix seconds (tests pass a skewed one).
    """

    requires_request_body = True

    def __init__(
        self,
        chain_id: str,
        suite: str,
        account: str,
        keys: Sequence[tuple[str, PrivateKey]],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not keys:
            raise ValueError("a regulator request needs at least one signing key")
        self.chain_id = chain_id
        self.account = account
        self._hash = get_suite(suite).hash
        self._keys = list(keys)
        self._clock = clock

    def __repr__(self) -> str:
        return f"RequestSigner({self.account}, keys={[k for k, _ in self._keys]})"

    def header(self, method: str, path: str, query: str, body: bytes, *, nonce: str = "") -> str:
        """The header value for one request (``query`` raw, as sent; a fresh nonce if none)."""
        stamp = int(self._clock())
        nonce = nonce or secrets.token_urlsafe(24)
        message = signing_text(
            chain_id=self.chain_id,
            account=self.account,
            time=stamp,
            nonce=nonce,
            method=method,
            path=path,
            query=canonical_query(query_pairs(query)),
            body_hash=self._hash(body),
        )
        sigs = [(key_id, key.sign(message)) for key_id, key in self._keys]
        return header_value(self.account, stamp, nonce, sigs)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if PATH_MARK in request.url.path:
            request.headers[HEADER] = self.header(
                request.method,
                request.url.path,
                request.url.query.decode("ascii"),
                request.content,
            )
        yield request


# -- the regulator's routes as calls (Client and AsyncClient share them) ------------------------


def _seg(value: str) -> str:
    return quote(value, safe=":")


def _view(path: str, what: str, params: Mapping[str, str] | None = None) -> Call[dict[str, Any]]:
    return Call("GET", path, dict, what, params={k: v for k, v in (params or {}).items() if v})


def whoami() -> Call[dict[str, Any]]:
    return _view("/v1/regulator/whoami", "ask the node who this regulator is")


def did_view(did: str) -> Call[dict[str, Any]]:
    return _view(f"/v1/regulator/dids/{_seg(did)}", f"read what stands behind {did}")


def institution_view(did: str, limit: int, cursor: str) -> Call[dict[str, Any]]:
    return _view(
        f"/v1/regulator/institutions/{_seg(did)}",
        f"read the accounts of institution {did}",
        {"limit": str(limit), "cursor": cursor},
    )


def account_view(account: str) -> Call[dict[str, Any]]:
    return _view(f"/v1/regulator/accounts/{_seg(account)}", f"read account {account}")


def _range(from_: str, to: str) -> dict[str, str]:
    return {"from": from_, "to": to}


def flows(from_: str, to: str, asset: str) -> Call[dict[str, Any]]:
    return _view(
        "/v1/regulator/flows",
        "read the flows between institutions",
        {**_range(from_, to), "asset": asset},
    )


def history(account: str, after_height: int, limit: int) -> Call[dict[str, Any]]:
    return _view(
        f"/v1/regulator/accounts/{_seg(account)}/history",
        f"read the history of {account}",
        {"after_height": str(after_height) if after_height else "", "limit": str(limit)},
    )


def past_alerts(
    report_type: str, from_: str, to: str, after_id: int, limit: int
) -> Call[dict[str, Any]]:
    return _view(
        "/v1/regulator/alerts",
        "read past alerts",
        {
            "report_type": report_type,
            **_range(from_, to),
            "after_id": str(after_id) if after_id else "",
            "limit": str(limit),
        },
    )


def report(report_type: str, from_: str, to: str, fmt: str) -> Call[None]:
    """A report file: its bytes are the answer (``Client.regulator_report``)."""
    return Call(
        "GET",
        f"/v1/regulator/reports/{_seg(report_type)}",
        lambda obj: None,
        f"get the {report_type} report",
        params={k: v for k, v in {**_range(from_, to), "format": fmt}.items() if v},
    )


def alerts(report_type: str, institution: str) -> Call[None]:
    """The alert stream: its body is read line by line (``AlertParser``), not parsed here."""
    params = {"report_type": report_type, "institution": institution}
    return Call(
        "GET",
        "/v1/regulator/alerts/stream",
        lambda obj: None,
        "open the alert stream",
        params={k: v for k, v in params.items() if v},
    )


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert of the stream: ``id`` (``<height>-<n>``: give it back as ``last_event_id``
    to resume after it) and ``data``, the ``compliance_alert`` attributes with ``height``,
    ``n`` and ``tx_id``."""

    id: str
    data: dict[str, Any]


class AlertParser:
    """Feed SSE lines (without newline); an ``Alert`` comes back on each frame's blank line."""

    def __init__(self) -> None:
        self._id = ""
        self._data: list[str] = []
        self.comments = 0

    def feed(self, line: str) -> Alert | None:
        if line.startswith(":"):
            self.comments += 1
            return None
        if line:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                self._data.append(value)
            elif name == "id":
                self._id = value
            return None
        if not self._data:
            return None
        payload, self._data = "\n".join(self._data), []
        try:
            data = json.loads(payload)
        except ValueError:
            raise ProtocolError(f"malformed alert on the stream: {payload[:100]!r}") from None
        if not isinstance(data, dict) or not self._id:
            raise ProtocolError(f"alert without an id or an object: {payload[:100]!r}")
        return Alert(self._id, data)
