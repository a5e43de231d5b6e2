"""What the bank module needs from the accounts module."""

from __future__ import annotations

from typing import Protocol

from finchain.core.authority import AccountStatus
from finchain.core.kv import KVReader


class AccountStatusView(Protocol):
    """Whether an account exists, and its status (a recipient must exist and not be closed)."""

    def status(self, reader: KVReader, account: str) -> AccountStatus | None: ...
