"""Running the node's blocking calls off the event loop, bounded and with a deadline.

``NodeService`` methods block (they take the node's lock, and commit-mode
submission waits for a block), so each runs on a worker thread. A call that
outlives its deadline is abandoned, not killed: Python cannot stop a thread.
Abandoned calls still count against ``max_threads`` until they return, so a
stuck node makes the API answer 503 quickly instead of spawning threads
without end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

from finchain.errors import FinchainError
from finchain.node.api.errors import ErrOverloaded, ErrTimeout

T = TypeVar("T")


def timeout_error(what: str, timeout: float, hint: str) -> FinchainError:
    """The 504 of a node call that did not answer within ``timeout`` seconds."""
    return ErrTimeout(
        f"{what}: no answer from the node within {timeout:g} s{hint}", timeout=timeout
    )


class _Slot:
    """One admitted call: released exactly once, by the thread or by a call never started."""

    __slots__ = ("_calls", "released", "started")

    def __init__(self, calls: NodeCalls) -> None:
        self._calls = calls
        self.started = False
        self.released = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self._calls._running -= 1


class NodeCalls:
    """Runs ``fn()`` on a worker thread; at most ``max_threads`` at once, including abandoned."""

    def __init__(self, max_threads: int) -> None:
        self.max_threads = max_threads
        self._running = 0
        self._lock = threading.Lock()
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def running(self) -> int:
        """Node calls executing now, including ones whose requests already timed out."""
        return self._running

    async def run(self, fn: Callable[[], T], *, timeout: float, what: str, hint: str = "") -> T:
        """``fn()`` on a thread; ErrOverloaded if none is free, ErrTimeout past ``timeout``.

        ``hint`` ends the timeout message (what the client should do next).
        """
        with self._lock:
            if self._running >= self.max_threads:
                raise ErrOverloaded(
                    f"{self._running} node calls still running; retry shortly",
                    running=self._running,
                )
            self._running += 1
        slot = _Slot(self)
        if self._limiter is None:
            # The default limiter (40 threads) would cap max_concurrency silently.
            self._limiter = anyio.CapacityLimiter(self.max_threads)

        def work() -> T:
            with self._lock:
                if slot.released:  # the request gave up before a thread picked the call up
                    raise ErrTimeout(f"{what}: abandoned before it started")
                slot.started = True
            try:
                return fn()
            finally:
                with self._lock:
                    slot.release()

        try:
            with anyio.move_on_after(timeout):
                return await anyio.to_thread.run_sync(
                    work, abandon_on_cancel=True, limiter=self._limiter
                )
            raise timeout_error(what, timeout, hint)
        finally:
            with self._lock:
                if not slot.started:
                    slot.release()
