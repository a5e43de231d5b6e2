"""uvicorn's HTTP/1.1 protocol with what the API needs below the ASGI layer.

The API is served by uvicorn's httptools protocol (llhttp, in C): parsing a
request head with h11, in pure Python, was a fifth of the node's interpreter
time under single-transaction load. uvicorn has no deadline for a request
head and no bound on its size there: a connection that sends nothing, or half
a request line and then one byte now and then, stays open for ever, and one
endless header line grows in memory. Its own answers to malformed requests are
plain text. This subclass of its ``HttpToolsProtocol``:

- arms a timer when a head is awaited (from the connection, and again from the
  first byte of each later request on a kept-alive connection) and closes the
  connection when the head is not complete after ``head_timeout`` seconds,
  with 408 ``api:16`` if part of a head had arrived (silently if nothing had);
  idle time between requests stays uvicorn's ``timeout_keep_alive``;
- refuses a head (request line and headers) beyond ``MAX_HEAD_BYTES`` with 431
  ``api:18`` and closes the connection;
- answers a request llhttp cannot parse (a ``Content-Length`` of ``-1`` or of 24
  digits, a broken request line) with the API's JSON error shape: 400 ``api:17``;
- behind the node's native front end (``finchain.node.front``), reads the PROXY
  protocol v1 line (HAProxy's, one text line) that the front sends first on each
  connection it hands over, so that the API sees the client's own address
  (per-address login lockouts, logs). Only that listener, a unix socket in a
  directory of the node's user alone, takes the line.

The request *body* has its deadline in the ASGI layer (``guard.Guard``).
Serve with ``uvicorn.Config(app, http=protocol_class(head_timeout=…))``.
"""

from __future__ import annotations

import asyncio
import http
import ipaddress
import logging
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from finchain.errors import FinchainError
from finchain.node.api.errors import ErrBadRequest, ErrHeadTooLarge, ErrRequestTimeout, encode_error

log = logging.getLogger("finchain.api")
_MAX_REASON = 200
#: The largest request head taken (h11's default, which the API had before).
MAX_HEAD_BYTES = 16 * 1024
#: PROXY protocol v1's longest line, CRLF included.
_MAX_PROXY_LINE = 107


class ApiHttpProtocol(HttpToolsProtocol):
    """See the module docstring; ``protocol_class`` sets ``head_timeout``."""

    head_timeout: float = 10.0
    proxy_preamble: bool = False

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._head_timer: asyncio.TimerHandle | None = None
        self._awaiting_head = True  # the next bytes belong to a request head
        self._head_bytes = 0  # bytes received since that head began
        self._preamble: bytearray | None = bytearray() if self.proxy_preamble else None

    # -- the head deadline and size ------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        if self._preamble is not None:
            rest = self._take_preamble(data)
            if rest is None:
                return
            data = rest
        if self._awaiting_head and data:
            if self._head_bytes == 0 and self._head_timer is None:
                self._arm_head_timer()
            self._head_bytes += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            self._refuse(ErrBadRequest(f"malformed HTTP request: {str(exc)[:_MAX_REASON]}"))
            return
        # Still in the head after parsing everything received: all of it is head bytes.
        if (
            self._awaiting_head
            and self._head_bytes > MAX_HEAD_BYTES
            and not self.transport.is_closing()
        ):
            self._refuse(
                ErrHeadTooLarge(
                    "the request head (request line and headers) exceeds "
                    f"the server's limit of {MAX_HEAD_BYTES} bytes"
                )
            )

    def _take_preamble(self, data: bytes) -> bytes | None:
        """The bytes after the PROXY line once it is complete (setting the client's
        address from it), or None while it is not; a malformed line closes the connection."""
        assert self._preamble is not None
        self._preamble += data
        end = self._preamble.find(b"\r\n")
        if end < 0:
            if len(self._preamble) > _MAX_PROXY_LINE:
                self.transport.close()
            return None
        line, rest = bytes(self._preamble[:end]), bytes(self._preamble[end + 2 :])
        self._preamble = None
        parts = line.split(b" ")
        if parts[:2] == [b"PROXY", b"UNKNOWN"]:
            return rest
        try:
            if len(parts) != 6 or parts[0] != b"PROXY" or parts[1] not in (b"TCP4", b"TCP6"):
                raise ValueError(line[:_MAX_PROXY_LINE])
            client = (ipaddress.ip_address(parts[2].decode()), int(parts[4]))
            server = (ipaddress.ip_address(parts[3].decode()), int(parts[5]))
        except ValueError:
            log.error("closing a front-end connection with a malformed PROXY line")
            self.transport.close()
            return None
        self.client = (str(client[0]), client[1])
        self.server = (str(server[0]), server[1])
        return rest

    def on_headers_complete(self) -> None:
        self._cancel_head_timer()
        self._awaiting_head = False
        self._head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._awaiting_head = True  # bytes after this request start the next one's head
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._awaiting_head:
            return
        if self._head_bytes:
            log.debug("closing a connection whose request head took over %g s", self.head_timeout)
            self._refuse(head_timeout_error(self.head_timeout))
        else:
            self.transport.close()

    # -- uvicorn's own error answers -------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        """uvicorn's own 400s, in the JSON error shape."""
        self._refuse(ErrBadRequest(f"malformed HTTP request: {msg[:_MAX_REASON]}"))

    def _refuse(self, exc: FinchainError) -> None:
        """Write a whole error response straight to the socket and close the connection."""
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
        self.transport.close()


def head_timeout_error(head_timeout: float) -> FinchainError:
    """The 408 of a request head not complete in time (also the native front end's)."""
    return ErrRequestTimeout(
        f"the request head did not arrive within {head_timeout:g} s", head_timeout=head_timeout
    )


def protocol_class(*, head_timeout: float, proxy_preamble: bool = False) -> type[ApiHttpProtocol]:
    """The protocol class to pass as ``uvicorn.Config(http=...)``; ``proxy_preamble`` for
    the listener behind the native front end only (see the module docstring)."""
    if isinstance(head_timeout, bool) or not isinstance(head_timeout, int | float):
        raise TypeError(f"head_timeout must be a number of seconds, got {head_timeout!r}")
    if head_timeout <= 0:
        raise ValueError(f"head_timeout must be greater than 0, got {head_timeout!r}")
    settings = {"head_timeout": float(head_timeout), "proxy_preamble": proxy_preamble}
    return type("ApiHttpProtocol", (ApiHttpProtocol,), settings)
