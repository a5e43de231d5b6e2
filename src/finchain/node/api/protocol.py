"""uvicorn's HTTP/1.1 protocol with what the API needs below the ASGI layer.

uvicorn (h11) has no deadline for a request head: a connection that sends
nothing, or half a request line and then one byte now and then, stays open
for ever, and its own answers to malformed requests are plain text. This
subclass of its ``H11Protocol``:

- arms a timer when a head is awaited (from the connection, and again from the
  first byte of each later request on a kept-alive connection) and closes the
  connection when the head is not complete after ``head_timeout`` seconds,
  with 408 ``api:16`` if part of a head had arrived (silently if nothing had);
  idle time between requests stays uvicorn's ``timeout_keep_alive``;
- answers a request h11 cannot parse (a ``Content-Length`` of ``-1`` or of 24
  digits, a broken request line, headers beyond 16 KiB) with the API's JSON
  error shape: 400 ``api:17``, or 431 ``api:18`` for an oversized head.

The request *body* has its deadline in the ASGI layer (``guard.Guard``).
Serve with ``uvicorn.Config(app, http=protocol_class(head_timeout=…))``.
"""

from __future__ import annotations

import asyncio
import http
import logging
from typing import Any

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from finchain.errors import FinchainError
from finchain.node.api.errors import ErrBadRequest, ErrHeadTooLarge, ErrRequestTimeout, encode_error

log = logging.getLogger("finchain.api")
_MAX_REASON = 200


class _Connection(h11.Connection):
    """h11's server connection, reporting complete and malformed request heads."""

    def __init__(self, protocol: ApiHttpProtocol, max_incomplete_event_size: int) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size)
        self._protocol = protocol

    def next_event(self) -> Any:
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as exc:
            self._protocol.malformed = exc
            raise
        if isinstance(event, h11.Request):
            self._protocol.head_complete()
        return event


class ApiHttpProtocol(H11Protocol):
    """See the module docstring; ``protocol_class`` sets ``head_timeout``."""

    head_timeout: float = 10.0

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        size = config.h11_max_incomplete_event_size
        self.conn = _Connection(self, DEFAULT_MAX_INCOMPLETE_EVENT_SIZE if size is None else size)
        self.malformed: h11.RemoteProtocolError | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_started = False

    # -- the head deadline ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        if data and self.conn.their_state is h11.IDLE:  # bytes of a request head
            self._head_started = True
            if self._head_timer is None:
                self._arm_head_timer()
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def head_complete(self) -> None:
        self._cancel_head_timer()
        self._head_started = False

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self._head_started:
            log.debug("closing a connection whose request head took over %g s", self.head_timeout)
            self._write_error(
                ErrRequestTimeout(
                    f"the request head did not arrive within {self.head_timeout:g} s",
                    head_timeout=self.head_timeout,
                )
            )
        self.transport.close()

    # -- uvicorn's own error answers -------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        """A request h11 refused: the JSON error shape instead of uvicorn's plain text."""
        exc = self.malformed
        reason = str(exc)[:_MAX_REASON] if exc is not None else msg
        error: FinchainError
        if exc is not None and exc.error_status_hint == 431:
            error = ErrHeadTooLarge(
                "the request head (request line and headers) exceeds the server's limit"
            )
        else:
            error = ErrBadRequest(f"malformed HTTP request: {reason}")
        self._write_error(error)
        self.transport.close()

    def _write_error(self, exc: FinchainError) -> None:
        """Write a whole error response straight to the socket; the caller closes it."""
        status, payload = encode_error(exc)
        lines = [f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n".encode()]
        lines += [
            name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers
        ]
        lines += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(payload)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
            payload,
        ]
        self.transport.write(b"".join(lines))


def protocol_class(*, head_timeout: float) -> type[ApiHttpProtocol]:
    """The protocol class to pass as ``uvicorn.Config(http=...)``."""
    if isinstance(head_timeout, bool) or not isinstance(head_timeout, int | float):
        raise TypeError(f"head_timeout must be a number of seconds, got {head_timeout!r}")
    if head_timeout <= 0:
        raise ValueError(f"head_timeout must be greater than 0, got {head_timeout!r}")
    return type("ApiHttpProtocol", (ApiHttpProtocol,), {"head_timeout": float(head_timeout)})
