"""What the bank module needs from the accounts module."""

from __future__ import annotations

from typing import Protocol

from finchain.core.kv import KVReader


class AccountStatusView(Protocol):
    def status(self, reader: KVReader, account: str) -> str | None: ...
