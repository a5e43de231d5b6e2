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

import secrets
import time
from collections.abc import Callable, Generator, Sequence

import httpx

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
