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
from finchain.client.types import SubmitReceipt, TxInfo, TxResult


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
    failures = (
        (receipt.check, TxRejectedError, "rejected by check_tx"),
        (receipt.deliver, TxFailedError, "execution failed"),
    )
    for result, error, default in failures:
        if result is not None and not result.ok:
            return error(
                result.log or default,
                tx_id=receipt.tx_id,
                code=result.code,
                codespace=result.codespace,
                receipt=receipt,
            )
    if receipt.timed_out:
        return TxTimeoutError(
            receipt.note or "not committed within the wait; it may still be: use wait_for_tx",
            tx_id=receipt.tx_id,
            code=0,
            codespace="",
            receipt=receipt,
        )
    return None


# -- resubmitted transactions ------------------------------------------------------------------
#
# A submission is sent again after a 429/500/502/503/504 or a lost connection (``Call.resubmit``).
# That is safe because the node never executes one tx id twice, but the second answer may
# describe the first attempt rather than the transaction: it may say the tx is already in the
# mempool (``mempool:3``: the first attempt was admitted; solo and CometBFT alike) or that its
# nonce is used (``tx:13``: the first attempt was committed, or, on CometBFT, is still in the
# mempool but no longer in its duplicate cache). Commit mode resolves committed txs on the
# node itself. Read literally, those refusals would report a failure for a tx that was
# admitted or committed, and a caller might then sign a replacement and pay twice. So after a
# resubmission each such refusal is resolved by looking the tx up by id.

#: Refusals an earlier attempt of the same submission can cause.
SEEN_BEFORE = frozenset({("mempool", 3), ("tx", 13)})
ADMITTED_EARLIER = "admitted by an earlier attempt of this submission"


def needs_lookup(receipt: SubmitReceipt) -> bool:
    """A resubmitted tx refused in a way its own earlier attempt could have caused."""
    check = receipt.check
    return check is not None and not check.ok and (check.codespace, check.code) in SEEN_BEFORE


def resolve_resubmitted(
    receipt: SubmitReceipt, mode: str, *, committed: TxInfo | None, lookup_error: str = ""
) -> SubmitReceipt:
    """What a ``needs_lookup`` receipt means, given the tx looked up by id.

    ``committed`` is the tx if the lookup found it in a block; ``lookup_error`` says why
    the lookup got no answer. A found tx gives its real outcome (a failed execution stays a
    failure: it happened); ``mempool:3`` without a block means admitted and waiting; anything
    else is left undecided (``timed_out``), never reported as a refusal.
    """
    check = receipt.check
    assert check is not None
    admitted = None if mode == "async" else TxResult(0, log=ADMITTED_EARLIER)
    seen = f"the node answered the resubmission with {check.codespace}:{check.code}"
    if committed is not None:
        return SubmitReceipt(
            receipt.tx_id,
            admitted,
            committed.height,
            committed.index,
            committed.result,
            timed_out=False,
            note=f"{seen}; the tx is committed at height {committed.height}",
        )
    if (check.codespace, check.code) == ("mempool", 3) and not lookup_error:
        return SubmitReceipt(
            receipt.tx_id,
            admitted,
            None,
            None,
            None,
            timed_out=mode == "commit",
            note=f"{seen}: an earlier attempt was admitted and waits for a block",
        )
    why = f"the lookup failed ({lookup_error})" if lookup_error else "it is in no block yet"
    return SubmitReceipt(
        receipt.tx_id,
        None,
        None,
        None,
        None,
        timed_out=True,
        note=f"{seen} and {why}: an earlier attempt may still commit; use wait_for_tx "
        "before signing anything that reuses its nonce",
    )


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
