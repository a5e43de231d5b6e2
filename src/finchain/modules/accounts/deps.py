"""What the accounts module needs from other modules."""

from __future__ import annotations

from typing import Protocol

from finchain.core.context import Context


class CloseGuard(Protocol):
    """Raises if ``account`` may not be closed yet (e.g. it still holds assets)."""

    def __call__(self, ctx: Context, account: str, /) -> None: ...
