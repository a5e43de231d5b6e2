"""A Server-Sent Events response fed by a node subscription.

Three tasks share the connection: one forwards subscription items, one sends
a keep-alive comment when the stream has been quiet, one watches for the
client going away. Whichever finishes first ends the stream and closes the
subscription, so a client that disconnects stops costing the node anything.
A plain async-generator response could not do this: cancelling a generator
that is waiting on the subscription would finalise it mid-await.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from finchain.node.api.encode import stream_json
from finchain.service.interface import StreamItem

log = logging.getLogger("finchain.api")
CONNECTED = b": connected\n\n"
KEEPALIVE = b": keep-alive\n\n"


def sse_frame(item: StreamItem) -> bytes:
    """``event: <kind>`` / ``id: <height>`` / ``data: <one line of JSON>``."""
    data = json.dumps(stream_json(item), separators=(",", ":"))
    return f"event: {item.kind}\nid: {item.height}\ndata: {data}\n\n".encode()


class EventStreamResponse(Response):
    """Streams ``subscription`` as SSE until it ends or the client disconnects.

    ``frame`` turns each item into its SSE bytes: ``sse_frame`` for the node's stream
    items; the regulator's alert stream yields ready frames (``bytes``). ``ready``, when
    given, is set by the iterator once it has subscribed: "connected" waits for it.
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        subscription: AsyncIterator[Any],
        *,
        keepalive: float,
        on_close: Callable[[], None],
        frame: Callable[[Any], bytes] = sse_frame,
        ready: anyio.Event | None = None,
    ) -> None:
        super().__init__(
            status_code=200,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            media_type=self.media_type,
        )
        # Response() declares "content-length: 0" for its empty body; a stream has no length.
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        self._subscription = subscription
        self._keepalive = keepalive
        self._on_close = on_close
        self._frame = frame
        self._ready = ready

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lock = anyio.Lock()
        last_sent = anyio.current_time()
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async with anyio.create_task_group() as tg:

                async def emit(chunk: bytes) -> None:
                    nonlocal last_sent
                    async with lock:
                        try:
                            await send(
                                {"type": "http.response.body", "body": chunk, "more_body": True}
                            )
                        except OSError:  # the client went away mid-send
                            tg.cancel_scope.cancel()
                        last_sent = anyio.current_time()

                async def forward() -> None:
                    try:
                        async for item in self._subscription:
                            await emit(self._frame(item))
                    except Exception:  # a node bug ends this stream, not the server
                        log.exception("event subscription failed; closing the stream")
                    tg.cancel_scope.cancel()  # subscription over: the node is shutting down

                async def keep_alive() -> None:
                    while True:
                        await anyio.sleep(
                            max(0.0, last_sent + self._keepalive - anyio.current_time())
                        )
                        if anyio.current_time() - last_sent >= self._keepalive:
                            await emit(KEEPALIVE)

                async def watch_disconnect() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    tg.cancel_scope.cancel()

                tg.start_soon(forward)
                # Let `forward` subscribe before telling the client the stream is open, so
                # "connected" means "you will see every block committed from now on".
                await anyio.sleep(0)
                if self._ready is not None:  # a subscription made inside ``forward``'s iterator
                    await self._ready.wait()
                await emit(CONNECTED)
                tg.start_soon(keep_alive)
                tg.start_soon(watch_disconnect)
            with contextlib.suppress(OSError):
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            try:
                aclose = getattr(self._subscription, "aclose", None)
                if aclose is not None:
                    with anyio.CancelScope(shield=True):
                        await aclose()
            finally:
                self._on_close()
