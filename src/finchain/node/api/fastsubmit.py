"""The hot path of the API: one transaction submitted in sync mode.

Real clients (a bank's payment system, a wallet) send one transaction per
request. Through FastAPI such a request cost ~0.5 ms of the event loop's time
in routing, dependency injection, pydantic validation and middleware layers,
and a worker thread waiting for the node: the loop itself was the node's limit.

This pure ASGI middleware sits behind ``Guard`` (admission, content type, body
size and pace are already enforced, and the body is read) and answers the plain
shape of ``POST /v1/txs`` itself: no query string or ``mode=sync``, and a body
that is exactly ``{"tx": "<canonical base64>"}``. It hands the transaction to
``NodeService.admit``, which answers on a Future without holding a thread, and
writes the same response as the route. Anything else (other modes, unknown
fields, bad base64, duplicate keys, a timeout parameter) goes on to the route
unchanged, which gives the documented errors: the fast path never decides
what is malformed.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from concurrent.futures import Future
from functools import partial
from typing import Generic, TypeVar

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from finchain.errors import FinchainError
from finchain.node.api.calls import timeout_error
from finchain.node.api.encode import submit_json
from finchain.node.api.errors import error_response
from finchain.node.api.guard import replay_body
from finchain.node.api.limits import ApiLimits
from finchain.node.api.parse import decode_b64
from finchain.node.api.responses import JSONResponse
from finchain.service.interface import NodeService, SubmitResult

T = TypeVar("T")
SUBMIT_PATH = "/v1/txs"
_SYNC_QUERIES = frozenset({b"", b"mode=sync"})
_TX_KEY = b'"tx"'
SUBMIT_HINT = "; the transactions may still be admitted: look them up by id before resending"


def plain_tx(body: bytes) -> bytes | None:
    """The transaction of a body ``{"tx": "<base64>"}``, or None for any other body.

    None means "let the route judge it": the key must appear exactly once in the
    bytes (JSON parsers keep the last of duplicate keys, the route refuses them),
    the object must hold nothing else, and the base64 must be canonical.
    """
    if body.count(_TX_KEY) != 1:
        return None
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(parsed, dict) or len(parsed) != 1:
        return None
    value = parsed.get("tx")
    if not isinstance(value, str):
        return None
    try:
        return decode_b64(value)
    except ValueError:
        return None


class FastSubmit:
    """Pure ASGI middleware; see the module docstring.

    Parameters:
        app: the next ASGI app (FastAPI's routing).
        node: the node that admits the transactions.
        limits: ``request_timeout`` bounds the wait for the node's answer (504).
    """

    def __init__(self, app: ASGIApp, *, node: NodeService, limits: ApiLimits) -> None:
        self.app = app
        self.node = node
        self.limits = limits
        self._relay: LoopRelay[list[SubmitResult]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != SUBMIT_PATH
            or scope["method"] != "POST"
            or scope.get("query_string", b"") not in _SYNC_QUERIES
        ):
            await self.app(scope, receive, send)
            return
        message = await receive()  # Guard replays the whole body as one message
        body: bytes = message.get("body", b"")
        raw = None if message.get("more_body", False) else plain_tx(body)
        if raw is None:
            await self.app(scope, replay_body(body, receive), send)
            return
        try:
            (result,) = await self._admit(raw)
        except FinchainError as exc:
            await error_response(exc)(scope, receive, send)
            return
        await JSONResponse(submit_json(result))(scope, receive, send)

    async def _admit(self, raw: bytes) -> list[SubmitResult]:
        loop = asyncio.get_running_loop()
        if self._relay is None or self._relay.loop is not loop:  # one app, served by a new loop
            self._relay = LoopRelay(loop)
        timeout = self.limits.request_timeout
        try:
            return await asyncio.wait_for(self._relay.watch(self.node.admit([raw])), timeout)
        except TimeoutError:
            raise timeout_error("submit", timeout, SUBMIT_HINT) from None


class LoopRelay(Generic[T]):
    """Carries results of futures completed on other threads to one event loop, in bunches.

    ``asyncio.wrap_future`` wakes the loop once per future (a write to its self-pipe,
    and a callback, each under the interpreter lock); the node's admitter completes a
    whole micro-batch of futures at once, so one wake-up per bunch is enough.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._arrived: deque[tuple[asyncio.Future[T], Future[T]]] = deque()
        self._wake_pending = False
        self._lock = threading.Lock()

    def watch(self, done: Future[T]) -> asyncio.Future[T]:
        """An asyncio future with ``done``'s outcome, once ``done`` completes."""
        waiter: asyncio.Future[T] = self.loop.create_future()
        done.add_done_callback(partial(self._arrive, waiter))
        return waiter

    def _arrive(self, waiter: asyncio.Future[T], done: Future[T]) -> None:
        """Any thread: queue the outcome; wake the loop unless a wake-up is on its way."""
        self._arrived.append((waiter, done))
        with self._lock:
            if self._wake_pending:
                return
            self._wake_pending = True
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            self.loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:
        with self._lock:
            self._wake_pending = False
        while self._arrived:
            waiter, done = self._arrived.popleft()
            if waiter.done():  # the request gave up (timeout, disconnect)
                continue
            error = done.exception()
            if error is not None:
                waiter.set_exception(error)
            else:
                waiter.set_result(done.result())
