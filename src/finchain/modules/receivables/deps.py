"""What the receivables module needs from the accounts and bank modules."""

from __future__ import annotations

from typing import Protocol

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.modules.bank.types import Asset


class AccountStatusView(Protocol):
    """A buyer, a bank or a new holder must be an active account."""

    def status(self, reader: KVReader, account: str) -> AccountStatus | None: ...


class CashMover(Protocol):
    """The bank's transfer moves the price and the payment (with the bank's own events)."""

    def require_asset(self, reader: KVReader, symbol: str) -> Asset: ...

    def transfer(
        self, ctx: Context, sender: str, recipient: str, symbol: str, amount: int
    ) -> None: ...
