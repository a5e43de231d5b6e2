"""The API's endpoints as data: what to send and how to read the answer (no I/O).

``Client`` and ``AsyncClient`` share this module and differ only in how they
wait, so the two can never drift apart in paths, parameters, parsing or
error mapping.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
import orjson

from finchain.client.errors import ApiError, ProtocolError, api_error
from finchain.client.types import (
    Account,
    Asset,
    Balance,
    Balances,
    Block,
    QueryResult,
    Status,
    SubmitReceipt,
    TxInfo,
)

T = TypeVar("T")

MODES = ("async", "sync", "commit")
#: Statuses after which an idempotent request may succeed if sent again.
RETRY_STATUS = frozenset({429, 502, 503, 504})
#: Statuses after which a submission is sent again. A 500 too: the node may have failed
#: after admitting the tx, and a resubmission is answered from what the node already
#: knows of that tx id (``Call.resubmit``).
RESUBMIT_STATUS = RETRY_STATUS | {500}


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One request and the parser of its successful answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    what: str  # for messages: "cannot <what>: …"
    params: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    extra_wait: float = 0.0  # seconds the node may legitimately take beyond the usual
    #: A transaction submission: safe to send again, because a transaction is identified
    #: by the hash of its signed bytes and the node never executes one id twice (the nonce
    #: and the tx index see to that); the client resolves the answers a resubmission can
    #: get because of an earlier attempt (``_transport.resolve_resubmitted``).
    resubmit: bool = False
    #: Non-2xx statuses whose body is an answer, parsed like a 2xx and never retried.
    accept: frozenset[int] = frozenset()

    @property
    def idempotent(self) -> bool:
        """Reads and submissions are sent again after a failure; other writes never."""
        return self.method == "GET" or self.resubmit

    @property
    def retry_status(self) -> frozenset[int]:
        """The statuses after which this call is sent again."""
        if self.method == "GET":
            return RETRY_STATUS - self.accept
        return RESUBMIT_STATUS if self.resubmit else frozenset()

    def retries_after(self, exc: httpx.TransportError) -> bool:
        """Whether this call is sent again after ``exc``.

        Reads: after any transport error. Submissions: after any but a read timeout, where
        the node has the request and is working on it (a commit-mode wait, a busy node):
        sending it again would only add load; the caller looks the tx up instead.
        """
        if self.method == "GET":
            return True
        return self.resubmit and not isinstance(exc, httpx.ReadTimeout)


def _seg(value: str) -> str:
    return quote(value, safe="")


def _state_params(height: int | None, prove: bool = False) -> dict[str, str]:
    params: dict[str, str] = {}
    if height is not None:
        params["height"] = str(height)
    if prove:
        params["prove"] = "true"
    return params


def _b64(raw: bytes) -> str:
    if not isinstance(raw, bytes | bytearray) or not raw:
        raise TypeError("a transaction must be the non-empty signed bytes (Signer.sign's result)")
    return base64.b64encode(raw).decode("ascii")


def _submit_params(mode: str, timeout: float | None) -> dict[str, str]:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    params = {"mode": mode}
    if timeout is not None:
        params["timeout"] = repr(float(timeout))
    return params


#: The node's default commit wait and its grace (``ApiLimits.commit_grace``), in seconds.
NODE_COMMIT_WAIT = 10.0
NODE_COMMIT_GRACE = 5.0


def _commit_wait(mode: str, timeout: float | None) -> float:
    """How much longer than usual a commit-mode answer may take."""
    if mode != "commit":
        return 0.0
    wait = NODE_COMMIT_WAIT if timeout is None else float(timeout)
    return wait + NODE_COMMIT_GRACE


def tx_id_hex(tx_id: str | bytes) -> str:
    return tx_id.hex() if isinstance(tx_id, bytes) else tx_id.lower()


def status() -> Call[Status]:
    return Call("GET", "/v1/status", Status.from_json, "get the node status")


def health() -> Call[bool]:
    """True for ``ok``; False for 503 ``overloaded`` (or any other state a node reports)."""
    return Call(
        "GET",
        "/v1/health",
        lambda obj: obj.get("status") == "ok",
        "check health",
        accept=frozenset({503}),
    )


def block(height: int | None) -> Call[Block]:
    at = "latest" if height is None else str(int(height))
    return Call("GET", f"/v1/blocks/{at}", Block.from_json, f"get block {at}")


def tx(tx_id: str | bytes) -> Call[TxInfo]:
    hex_id = tx_id_hex(tx_id)
    return Call("GET", f"/v1/txs/{_seg(hex_id)}", TxInfo.from_json, f"get tx {hex_id}")


def submit(raw: bytes, mode: str, timeout: float | None) -> Call[SubmitReceipt]:
    return Call(
        "POST",
        "/v1/txs",
        SubmitReceipt.from_json,
        "submit a transaction",
        params=_submit_params(mode, timeout),
        body={"tx": _b64(raw)},
        extra_wait=_commit_wait(mode, timeout),
        resubmit=True,
    )


def submit_batch(
    raws: Sequence[bytes], mode: str, timeout: float | None
) -> Call[list[SubmitReceipt]]:
    return Call(
        "POST",
        "/v1/txs/batch",
        lambda obj: [SubmitReceipt.from_json(r) for r in obj["results"]],
        f"submit a batch of {len(raws)} transactions",
        params=_submit_params(mode, timeout),
        body={"txs": [_b64(raw) for raw in raws]},
        extra_wait=_commit_wait(mode, timeout),
        resubmit=True,
    )


def _state(
    path: str,
    parse: Callable[[Any], T],
    what: str,
    height: int | None,
    prove: bool = False,
    params: Mapping[str, str] | None = None,
) -> Call[T]:
    """A read of the chain's state at ``height`` (None: the latest), proven if ``prove``."""
    return Call("GET", path, parse, what, {**(params or {}), **_state_params(height, prove)})


def account(account_id: str, height: int | None, prove: bool) -> Call[Account]:
    path = f"/v1/accounts/{_seg(account_id)}"
    return _state(path, Account.from_json, f"get account {account_id}", height, prove)


def balances(account_id: str, height: int | None) -> Call[Balances]:
    path = f"/v1/accounts/{_seg(account_id)}/balances"
    return _state(path, Balances.from_json, f"get the balances of {account_id}", height)


def balance(account_id: str, asset: str, height: int | None, prove: bool) -> Call[Balance]:
    path = f"/v1/accounts/{_seg(account_id)}/balances/{_seg(asset)}"
    what = f"get the {asset} balance of {account_id}"
    return _state(path, Balance.from_json, what, height, prove)


def asset(symbol: str, height: int | None, prove: bool) -> Call[Asset]:
    return _state(
        f"/v1/assets/{_seg(symbol)}", Asset.from_json, f"get asset {symbol}", height, prove
    )


def assets(height: int | None) -> Call[list[Asset]]:
    return _state("/v1/assets", Asset.list_from_json, "list assets", height)


def query(
    path: str, params: Mapping[str, str], height: int | None, prove: bool
) -> Call[QueryResult]:
    clash = {"height", "prove"} & set(params)
    if clash:
        raise ValueError(f"pass {', '.join(sorted(clash))} as keyword arguments, not params")
    route = "/v1/query/" + "/".join(_seg(p) for p in path.strip("/").split("/"))
    given = {k: str(v) for k, v in params.items()}
    return _state(route, QueryResult.from_json, f"query {path}", height, prove, given)


def events(account: str, asset: str, types: Sequence[str]) -> Call[None]:
    """The event stream: its body is read line by line as it comes, not parsed here."""
    params = {"account": account, "asset": asset, "types": ",".join(types)}
    return Call(
        "GET",
        "/v1/events",
        lambda obj: None,
        "open the event stream",
        params={k: v for k, v in params.items() if v},
    )


JSON_HEADERS = {"content-type": "application/json"}
"""Sent with a request body, which the clients encode with orjson."""


def decode_json(content: bytes, *, what: str) -> Any:
    """orjson first (a 500-transaction batch answer is ~400 KB); the standard parser
    for what orjson refuses (integers beyond 64 bits), so every valid answer parses."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        shown = content[:80].decode("utf-8", "replace")
        raise ProtocolError(
            f"cannot {what}: the answer is not JSON ({shown!r}…); is the URL a finchain node?"
        ) from None


def error_from(status: int, content: bytes, *, what: str) -> ApiError | ProtocolError:
    """The exception for a non-2xx answer."""
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        body = None
    if (
        isinstance(body, dict)
        and isinstance(body.get("code"), int)
        and isinstance(body.get("codespace"), str)
        and isinstance(body.get("message"), str)
    ):
        return api_error(status, body)
    shown = content[:80].decode("utf-8", "replace")
    return ProtocolError(f"cannot {what}: HTTP {status} without an API error body ({shown!r})")


def interpret(call: Call[T], status: int, content: bytes) -> T:
    """The parsed result of a 2xx answer, or the exception of any other."""
    if not 200 <= status < 300 and status not in call.accept:
        raise error_from(status, content, what=call.what)
    obj = decode_json(content, what=call.what)
    try:
        return call.parse(obj)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProtocolError(
            f"cannot {call.what}: unexpected answer shape ({type(exc).__name__}: {exc}); "
            "are client and node versions compatible?"
        ) from None
