"""The knobs that keep a flood of requests from taking the node down."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ApiLimits:
    """Bounds on what one client, or many at once, can make the API do.

    Every bound fails fast with a stable error code instead of queueing: a
    queue in front of a busy node only turns overload into timeouts for
    everyone, while a quick 429/503 lets well-behaved clients back off.

    Parameters:
        max_body_bytes: largest request body; larger ones get 413 before they are read.
        max_concurrency: requests in flight at once (event streams excluded); beyond → 429.
        request_timeout: seconds a request may spend waiting for the node → 504 after.
            Also the upper bound of ``?timeout=`` for commit-mode submissions.
        max_batch: transactions in one ``POST /v1/txs/batch``.
        max_event_streams: open ``GET /v1/events`` streams at once; beyond → 429.
        keepalive_interval: seconds between keep-alive comments on an idle event stream,
            so proxies and clients can tell a quiet chain from a dead connection.
        commit_grace: seconds the API waits beyond a commit-mode ``timeout`` for the
            node to report ``timed_out`` itself, before giving up with 504.
    """

    max_body_bytes: int = 16 * 1024 * 1024
    max_concurrency: int = 64
    request_timeout: float = 30.0
    max_batch: int = 2000
    max_event_streams: int = 64
    keepalive_interval: float = 15.0
    commit_grace: float = 5.0

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_concurrency", "max_batch", "max_event_streams"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ApiLimits.{name} must be a positive integer, got {value!r}")
        for name in ("request_timeout", "keepalive_interval", "commit_grace"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"ApiLimits.{name} must be a positive number, got {value!r}")
