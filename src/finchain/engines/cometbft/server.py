"""The ABCI socket server: CometBFT's four connections, one Application, one thread.

CometBFT opens four connections (consensus, mempool, info/query, snapshot) and
on each sends requests it expects answered in order, with ``Flush`` asking for
everything so far to be written. Each connection gets a reader task; every
batch of frames it reads is answered by one call into a single worker thread,
so Application calls never overlap (the Application is not thread-safe), the
event loop stays free to read, and a burst of CheckTx costs one hop, not one
per tx. A connection that sends a malformed or oversized frame is closed with
a log line; the others, and the process, carry on.

When the connection that carried consensus requests closes, the server stops:
the Application may hold a finalized block that was never committed, and
restarting from the last commit is how CometBFT expects to recover (it replays).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from finchain.engines.cometbft.adapter import AbciAdapter, MalformedRequest
from finchain.engines.cometbft.framing import MAX_FRAME_BYTES, FrameDecoder, FrameError, frame

log = logging.getLogger(__name__)
T = TypeVar("T")

READ_CHUNK = 256 * 1024
CONSENSUS_KINDS = frozenset(
    {"init_chain", "prepare_proposal", "process_proposal", "finalize_block", "commit"}
)


def accepts_connections(path: Path) -> bool:
    """Whether a server listens on the unix socket ``path`` (a stale file does not count)."""
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


@dataclass(frozen=True, slots=True)
class CrashPoint:
    """Fault injection for tests: SIGKILL this process right after ``kind`` at ``height``.

    ``finalize_block`` dies with the block computed but not committed; ``commit``
    dies with it persisted but before CometBFT hears so. Set through
    ``FINCHAIN_ABCI_CRASH_AT=<kind>:<height>`` (see ``serve``), like CometBFT's own
    ``FAIL_TEST_INDEX``.
    """

    kind: str
    height: int

    @classmethod
    def parse(cls, text: str) -> CrashPoint:
        kind, _, height = text.partition(":")
        if kind not in {"finalize_block", "commit"} or not height.isdecimal():
            raise ValueError(f"crash point must be finalize_block:<h> or commit:<h>, got {text!r}")
        return cls(kind, int(height))


class AbciServer:
    """Serve one adapter on a Unix socket or a TCP address until :meth:`stop`.

    Example::

        server = AbciServer(adapter)
        await server.start_unix(home / "abci.sock")
        await server.wait_stopped()

    Parameters:
        adapter: the request handler; only the server's worker thread calls it.
        max_frame: the largest request accepted, in bytes.
        stop_on_consensus_close: stop when the consensus connection goes away.
        crash_at: a :class:`CrashPoint`, for crash-recovery tests only.
    """

    def __init__(
        self,
        adapter: AbciAdapter,
        *,
        max_frame: int = MAX_FRAME_BYTES,
        stop_on_consensus_close: bool = True,
        crash_at: CrashPoint | None = None,
    ) -> None:
        self.adapter = adapter
        self.max_frame = max_frame
        self.stop_on_consensus_close = stop_on_consensus_close
        self.crash_at = crash_at
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="abci-app")
        self._server: asyncio.Server | None = None
        self._stopped = asyncio.Event()
        self._ids = itertools.count(1)
        self._connections: set[asyncio.Task[None]] = set()

    async def start_unix(self, path: Path) -> None:
        if accepts_connections(path):
            raise OSError(f"another server is listening on {path}")
        path.unlink(missing_ok=True)  # left by a killed predecessor
        self._server = await asyncio.start_unix_server(self._accept, path=str(path))
        os.chmod(path, 0o600)
        log.info("ABCI server listening on unix://%s", path)

    async def start_tcp(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._accept, host, port)
        log.info("ABCI server listening on tcp://%s:%d", host, port)

    def stop(self) -> None:
        self._stopped.set()

    def call_app(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn`` on the worker thread, between two ABCI batches.

        The node's HTTP API reads the Application this way, so its reads never
        overlap an ABCI request (the Application is not thread-safe) and always
        see a committed state. Raises RuntimeError once the server has stopped.
        """
        return self._worker.submit(fn)

    async def wait_stopped(self) -> None:
        """Block until :meth:`stop`, then close the listener and every connection."""
        await self._stopped.wait()
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        self._worker.shutdown(wait=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(next(self._ids), reader, writer)
        except asyncio.CancelledError:
            pass  # cancelled by wait_stopped: the server is shutting down
        finally:
            self._connections.discard(task)

    async def _serve(
        self, conn: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        loop = asyncio.get_running_loop()
        decoder = FrameDecoder(self.max_frame)
        consensus = False
        try:
            while data := await reader.read(READ_CHUNK):
                frames = decoder.feed(data)
                if frames:
                    replies, kinds, error = await loop.run_in_executor(
                        self._worker, self._answer, frames
                    )
                    consensus = consensus or not CONSENSUS_KINDS.isdisjoint(kinds)
                    writer.writelines(replies)
                    await writer.drain()
                    if error is not None:
                        raise error
                if decoder.error is not None:
                    raise decoder.error
        except (FrameError, MalformedRequest) as exc:
            log.warning("closing ABCI connection %d: %s", conn, exc)
        except ConnectionError as exc:
            log.info("ABCI connection %d dropped: %s", conn, exc)
        finally:
            writer.close()
            if consensus and self.stop_on_consensus_close:
                log.warning("the consensus connection closed: stopping so the app restarts clean")
                self.stop()

    def _answer(
        self, frames: Sequence[bytes]
    ) -> tuple[list[bytes], list[str], MalformedRequest | None]:
        """Worker thread: answer a batch of frames in order, up to the first malformed one."""
        adapter = self.adapter
        replies: list[bytes] = []
        kinds: list[str] = []
        for payload in frames:
            try:
                request = adapter.parse(payload)
            except MalformedRequest as exc:
                return replies, kinds, exc
            kind = request.WhichOneof("value")
            response = adapter.handle(request)
            replies.append(frame(response.SerializeToString()))
            kinds.append(kind)
            self._maybe_crash(kind, request)
        return replies, kinds, None

    def _maybe_crash(self, kind: str, request: Any) -> None:
        point = self.crash_at
        if point is None or point.kind != kind:
            return
        height = request.finalize_block.height if kind == "finalize_block" else None
        if height is None:
            height = self.adapter.app.height
        if height == point.height:
            log.warning("crash point %s:%d reached: SIGKILL", kind, height)
            os.kill(os.getpid(), signal.SIGKILL)
