"""What every kind of test shares: waiting with a deadline, free ports, error codes by name.

One implementation of each, so a timeout factor, a polling interval or a port
range is set in one place (Bitcoin Core's test_framework/util.py plays this part).

- ``wait_until(predicate, timeout=…, what=…)`` polls until ``predicate()`` is truthy
  and returns its value; transient connection errors count as "not yet". The
  deadline scales with ``FINCHAIN_TIMEOUT_FACTOR`` for slow machines.
- ``free_port(seed)`` a free 127.0.0.1 port searched from a seed-derived start (parallel
  workers spread out; the seed is logged by the fixtures that make one); ``free_port()``
  lets the kernel choose.
- ``code(ErrX)`` is ``(codespace, code)`` of a registered error, to compare with a result's
  pair by name instead of by number.
"""

from __future__ import annotations

import os
import random
import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from finchain.client.errors import ClientError
from finchain.errors import ErrorCode

T = TypeVar("T")
TIMEOUT_FACTOR = float(os.environ.get("FINCHAIN_TIMEOUT_FACTOR", "1"))
POLL_S = 0.05
_TRANSIENT = (httpx.HTTPError, OSError, KeyError, ClientError)


def wait_until(predicate: Callable[[], T], *, timeout: float = 30.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout * TIMEOUT_FACTOR
    while True:
        try:
            value = predicate()
            if value:
                return value
        except _TRANSIENT:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout * TIMEOUT_FACTOR:g}s waiting for {what}"
            )
        time.sleep(POLL_S)


def free_port(seed: int | None = None, *, low: int = 20_000, high: int = 60_000) -> int:
    if seed is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    rng = random.Random(seed)
    for _ in range(200):
        port = rng.randrange(low, high)
        if port_is_free(port):
            return port
    raise RuntimeError("no free port found")


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def code(error: ErrorCode) -> tuple[str, int]:
    """``(codespace, code)`` of a registered error: results are compared with it by name."""
    return error.codespace, error.code


def result_code(result: Any) -> tuple[str, int]:
    """``(codespace, code)`` of a TxResult (or anything with those two attributes)."""
    return result.codespace, result.code
