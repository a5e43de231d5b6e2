"""The ASGI layer in front of every route: admission, content type, body size and pace.

It runs before FastAPI parses anything, so a flood or an oversized body costs
the node a counter check, not a parse. Two pools bound what is in flight:

- **uploads** (``max_uploads``): requests whose body is being received. A body
  must arrive within ``body_timeout`` plus one second per ``body_min_rate``
  bytes received, or the request gets 408 ``api:16`` and its connection is
  closed: a client that trickles a body cannot hold a slot for longer.
- **requests** (``max_concurrency``): requests being processed. A request with a
  body takes its slot only once the whole body is in, so stalled uploads never
  hold the slots that reads need.

A request beyond either pool is refused at once with 429 instead of waiting:
waiting requests hold sockets and memory and turn overload into timeouts for
everyone. A method the route does not allow is left to the router (405 with
``Allow``, 404 for no route) before the content type or the body is looked at.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import anyio
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from finchain.errors import FinchainError
from finchain.node.api.errors import (
    ErrBadParameter,
    ErrBodyTooLarge,
    ErrContentType,
    ErrRequestTimeout,
    ErrTooManyRequests,
    encode_error,
)
from finchain.node.api.limits import ApiLimits

HEALTH_PATH = "/v1/health"
EVENTS_PATH = "/v1/events"
ALERTS_PATH = "/v1/regulator/alerts/stream"  # the regulator's alert stream, bounded the same way
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_CLOSE = (b"connection", b"close")


@dataclass
class Gate:
    """Counters of what is in flight; touched only from the event loop thread."""

    requests: int = 0
    streams: int = 0
    uploads: int = 0


class Guard:
    """Pure ASGI middleware; see the module docstring.

    Parameters:
        app: the next ASGI app.
        limits: the bounds to enforce.
        gate: the counters (shared with ``/v1/health``, which reports them).
        router: the app's router (its routes are read at each request, so routers included
            later count): a body request no route takes with its method goes straight to
            the router's 404/405. None: every body request is read.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: ApiLimits,
        gate: Gate,
        router: Router | None = None,
    ) -> None:
        self.app = app
        self.limits = limits
        self.gate = gate
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        # Health must answer during a flood; event streams are long-lived and have their
        # own bound (max_event_streams), checked by the route.
        if scope["type"] != "http" or path in (HEALTH_PATH, EVENTS_PATH, ALERTS_PATH):
            await self.app(scope, receive, send)
            return
        if scope["method"] in _BODY_METHODS:
            headers = {k.lower(): v for k, v in scope.get("headers", [])}
            if not self._routed(scope):
                # 404 or 405 from the router whatever the content type; the body stays
                # unread, so the connection must not be reused after the answer.
                await self._process(scope, receive, _closing(send) if _has_body(headers) else send)
                return
            body = await self._admit_body(headers, receive, send)
            if body is None:
                return
            receive = replay_body(body, receive)
        await self._process(scope, receive, send)

    def _routed(self, scope: Scope) -> bool:
        if self.router is None:
            return True
        probe = dict(scope)  # FastAPI's matchers note their state in the scope they are given
        return any(route.matches(probe)[0] is Match.FULL for route in self.router.routes)

    async def _process(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request in a processing slot, or refuse it with 429 if none is free."""
        if self.gate.requests >= self.limits.max_concurrency:
            await _reject(send, self._busy())
            return
        self.gate.requests += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.gate.requests -= 1

    def _busy(self) -> FinchainError:
        return too_many_requests(self.limits)

    async def _admit_body(
        self, headers: dict[bytes, bytes], receive: Receive, send: Send
    ) -> bytes | None:
        """The whole body, or None after answering with an error (without reading the rest)."""
        unread = _has_body(headers)
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if media != b"application/json":
            shown = media.decode("latin-1")[:100] or "none"
            error = ErrContentType(f"content type {shown!r}: send application/json")
            await _reject(send, error, close=unread)
            return None
        limit = self.limits.max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                error = ErrBadParameter("Content-Length must be a decimal integer")
                await _reject(send, error, close=True)
                return None
            if int(declared) > limit:
                await _reject(send, _too_large(limit, int(declared)), close=True)
                return None
        if self.gate.uploads >= self.limits.max_uploads:
            error = ErrTooManyRequests(
                f"more than {self.limits.max_uploads} request bodies being received; retry shortly",
                limit=self.limits.max_uploads,
            )
            await _reject(send, error, close=unread)
            return None
        if self.gate.requests >= self.limits.max_concurrency:
            await _reject(send, self._busy(), close=unread)  # no slot would take it once read
            return None
        self.gate.uploads += 1
        try:
            return await self._read_body(receive, send)
        finally:
            self.gate.uploads -= 1

    async def _read_body(self, receive: Receive, send: Send) -> bytes | None:
        limit = self.limits.max_body_bytes
        grace, rate = self.limits.body_timeout, self.limits.body_min_rate
        started = time.monotonic()
        chunks: list[bytes] = []
        size = 0
        while True:
            message: Message | None = None
            remaining = started + grace + size / rate - time.monotonic()
            if remaining > 0:
                with anyio.move_on_after(remaining):
                    message = await receive()
            if message is None:
                elapsed = time.monotonic() - started
                error = ErrRequestTimeout(
                    f"the request body did not arrive in time: {size} bytes in {elapsed:.1f} s "
                    f"(a body gets {grace:g} s plus 1 s per {rate} bytes received)",
                    received=size,
                    body_timeout=grace,
                    body_min_rate=rate,
                )
                await _reject(send, error, close=True)
                return None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _reject(send, _too_large(limit, None), close=True)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def too_many_requests(limits: ApiLimits) -> FinchainError:
    """The 429 of a request beyond ``max_concurrency`` (also the native front end's)."""
    return ErrTooManyRequests(
        f"more than {limits.max_concurrency} requests in flight; retry shortly",
        limit=limits.max_concurrency,
    )


def _has_body(headers: dict[bytes, bytes]) -> bool:
    """The request announces body bytes (h11 has already checked the framing headers)."""
    return headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers


def _too_large(limit: int, declared: int | None) -> FinchainError:
    shown = f"{declared} bytes" if declared is not None else "the body"
    return ErrBodyTooLarge(
        f"{shown} exceeds the limit of {limit} bytes; split the batch", limit=limit
    )


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive channel that yields the already-read body, then the client's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _closing(send: Send) -> Send:
    """``send`` with ``Connection: close`` added to the response head."""

    async def closing(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if _CLOSE not in headers:
                headers.append(_CLOSE)
            message = {**message, "headers": headers}
        await send(message)

    return closing


async def _reject(send: Send, exc: FinchainError, *, close: bool = False) -> None:
    """Answer with the standard error body; ``close`` when the request body was left unread."""
    status, payload = encode_error(exc)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    if status in (429, 503):
        headers.append((b"retry-after", b"1"))
    if close:
        # The unread rest of the body would otherwise be read and dropped at the client's
        # pace on a connection no deadline covers any more.
        headers.append(_CLOSE)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
