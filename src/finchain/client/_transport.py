"""What the sync and async clients share around I/O: timeouts, errors, receipts, logins."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import httpx

from finchain.client._calls import Call
from finchain.client.errors import (
    ClientClosedError,
    ConnectError,
    RequestTimeout,
    TransportError,
    TxError,
    TxFailedError,
    TxRejectedError,
    TxTimeoutError,
)
from finchain.client.types import SubmitReceipt


class ClientState(Enum):
    """A client is usable from construction until ``close()``; closing is final."""

    OPEN = "open"
    CLOSED = "closed"


def require_open(state: ClientState, what: str) -> None:
    if state is ClientState.CLOSED:
        raise ClientClosedError(f"cannot {what}: the client is closed; create a new one")


def timeout_for(base: float, extra: float) -> httpx.Timeout:
    """``base`` everywhere, plus ``extra`` for reading (commit mode waits for a block)."""
    return httpx.Timeout(base, read=base + extra)


def transport_error(
    exc: httpx.TransportError, *, what: str, method: str, url: str, attempts: int
) -> TransportError:
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    unsure = (
        "; the node may have received it: look the transaction up by id before resending"
        if method != "GET"
        else ""
    )
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return ConnectError(
            f"cannot {what}: cannot connect to {url}{tried} ({exc}); is the node running?",
            method=method,
            url=url,
        )
    if isinstance(exc, httpx.TimeoutException):
        return RequestTimeout(
            f"cannot {what}: no answer from {url}{tried} within the timeout{unsure}",
            method=method,
            url=url,
        )
    return TransportError(
        f"cannot {what}: connection to {url} failed{tried} ({type(exc).__name__}: {exc}){unsure}",
        method=method,
        url=url,
    )


def receipt_error(receipt: SubmitReceipt) -> TxError | None:
    """The exception for a receipt that did not succeed, or None."""
    if receipt.check is not None and not receipt.check.ok:
        c = receipt.check
        return TxRejectedError(
            c.log or "rejected by check_tx",
            tx_id=receipt.tx_id,
            code=c.code,
            codespace=c.codespace,
            receipt=receipt,
        )
    if receipt.deliver is not None and not receipt.deliver.ok:
        d = receipt.deliver
        return TxFailedError(
            d.log or "execution failed",
            tx_id=receipt.tx_id,
            code=d.code,
            codespace=d.codespace,
            receipt=receipt,
        )
    if receipt.timed_out:
        return TxTimeoutError(
            "not committed within the wait; it may still be: use wait_for_tx",
            tx_id=receipt.tx_id,
            code=0,
            codespace="",
            receipt=receipt,
        )
    return None


def wait_timeout_error(tx_id: str, timeout: float) -> TxTimeoutError:
    return TxTimeoutError(
        f"not committed within {timeout:g} s; it may be pending, refused or unknown",
        tx_id=tx_id,
        code=0,
        codespace="",
        receipt=None,
    )


# -- logins (nodes with [api.auth] enabled) ---------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{1,512}")  # RFC 6750 token68


@dataclass(frozen=True, slots=True)
class AuthSession:
    """A successful login: the bearer token and what it allows until when.

    ``token`` is a credential: keep it out of logs (it is left out of ``repr``).
    """

    token: str = field(repr=False)
    username: str
    roles: tuple[str, ...]
    expires_at: str  # RFC 3339, UTC
    expires_in: int  # seconds from the login

    @classmethod
    def from_json(cls, obj: Any) -> AuthSession:
        return cls(
            token=str(obj["token"]),
            username=str(obj["username"]),
            roles=tuple(str(r) for r in obj["roles"]),
            expires_at=str(obj["expires_at"]),
            expires_in=int(obj["expires_in"]),
        )


def set_token(headers: httpx.Headers, token: str | None) -> None:
    """Send ``Authorization: Bearer <token>`` from now on (None: send none)."""
    if token is None:
        headers.pop("Authorization", None)
        return
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise ValueError("token must be the bearer token a login returned (token68 characters)")
    headers["Authorization"] = f"Bearer {token}"


def login_call(username: str, password: str) -> Call[AuthSession]:
    """``POST /v1/auth/login``; never retried (each failure counts towards a lockout)."""
    return Call(
        "POST",
        "/v1/auth/login",
        AuthSession.from_json,
        f"log in as {username}",
        body={"username": username, "password": password},
    )


def logout_call() -> Call[None]:
    return Call("POST", "/v1/auth/logout", lambda obj: None, "log out", body={})
