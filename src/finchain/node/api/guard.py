"""The ASGI layer in front of every route: admission, content type, body size.

It runs before FastAPI parses anything, so a flood or an oversized body costs
the node a counter check, not a parse. A request beyond ``max_concurrency`` is
refused at once with 429 instead of waiting: waiting requests hold sockets and
memory and turn overload into timeouts for everyone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from finchain.errors import FinchainError
from finchain.node.api.errors import (
    ErrBadParameter,
    ErrBodyTooLarge,
    ErrContentType,
    ErrTooManyRequests,
    error_body,
    http_status,
)
from finchain.node.api.limits import ApiLimits

HEALTH_PATH = "/v1/health"
EVENTS_PATH = "/v1/events"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass
class Gate:
    """Counters of what is in flight; touched only from the event loop thread."""

    requests: int = 0
    streams: int = 0


class Guard:
    """Pure ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, *, limits: ApiLimits, gate: Gate) -> None:
        self.app = app
        self.limits = limits
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        # Health must answer during a flood; event streams are long-lived and have their
        # own bound (max_event_streams), checked by the route.
        if scope["type"] != "http" or path in (HEALTH_PATH, EVENTS_PATH):
            await self.app(scope, receive, send)
            return
        if self.gate.requests >= self.limits.max_concurrency:
            await _reject(
                send,
                ErrTooManyRequests(
                    f"more than {self.limits.max_concurrency} requests in flight; retry shortly",
                    limit=self.limits.max_concurrency,
                ),
            )
            return
        self.gate.requests += 1
        try:
            if scope["method"] in _BODY_METHODS:
                body = await self._read_body(scope, receive, send)
                if body is None:
                    return
                receive = _replay(body, receive)
            await self.app(scope, receive, send)
        finally:
            self.gate.requests -= 1

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body, or None after answering with an error (without reading the rest)."""
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if media != b"application/json":
            shown = media.decode("latin-1")[:100] or "none"
            await _reject(send, ErrContentType(f"content type {shown!r}: send application/json"))
            return None
        limit = self.limits.max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _reject(send, ErrBadParameter("Content-Length must be a decimal integer"))
                return None
            if int(declared) > limit:
                await _reject(send, _too_large(limit, int(declared)), close=True)
                return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
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


def _too_large(limit: int, declared: int | None) -> FinchainError:
    shown = f"{declared} bytes" if declared is not None else "the body"
    return ErrBodyTooLarge(
        f"{shown} exceeds the limit of {limit} bytes; split the batch", limit=limit
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that yields the already-read body, then the client's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _reject(send: Send, exc: FinchainError, *, close: bool = False) -> None:
    """Answer with the standard error body; ``close`` when the request body was left unread."""
    status = http_status(exc.codespace, exc.code)
    payload = json.dumps(error_body(exc.codespace, exc.code, exc.message, exc.details)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    if status in (429, 503):
        headers.append((b"retry-after", b"1"))
    if close:
        # The unread rest of the body would otherwise be parsed as the next request.
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
