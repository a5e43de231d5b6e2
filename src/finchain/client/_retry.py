"""When and how long to wait before sending a request again (reads and submissions)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from finchain.client._calls import RETRY_STATUS

#: A Retry-After above this is not honoured: the caller's own timeout matters more.
MAX_RETRY_AFTER = 10.0


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff: ``base * 2**attempt`` capped at ``cap``, or the server's Retry-After.

    Parameters:
        retries: extra attempts after the first (0: never retry).
        base: the first delay, seconds.
        cap: the largest delay, seconds.
    """

    retries: int = 3
    base: float = 0.1
    cap: float = 2.0

    def __post_init__(self) -> None:
        if self.retries < 0 or self.base < 0 or self.cap < 0:
            raise ValueError("retries, base and cap must be >= 0")

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based)."""
        wait: float = min(self.cap, self.base * (2**attempt))
        if retry_after is not None:
            with contextlib.suppress(ValueError):
                wait = max(wait, min(float(retry_after), MAX_RETRY_AFTER))
        return wait

    def should_retry_status(
        self, status: int, attempt: int, statuses: frozenset[int] = RETRY_STATUS
    ) -> bool:
        """Whether to send again after ``status`` (one of ``statuses``) on attempt ``attempt``."""
        return status in statuses and attempt < self.retries

    def should_retry_transport(self, attempt: int) -> bool:
        return attempt < self.retries
