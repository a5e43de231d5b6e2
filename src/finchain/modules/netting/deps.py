"""What the netting module needs from the accounts and bank modules."""

from __future__ import annotations

from typing import Protocol

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.modules.bank.types import Asset


class AccountStatusView(Protocol):
    """Members must be active accounts at opening; at the close a frozen or closed
    member pays nothing, and a closed one receives nothing."""

    def status(self, reader: KVReader, account: str) -> AccountStatus | None: ...


class Bank(Protocol):
    """The settlement asset, each member's spendable balance, and the transfers of the nets."""

    def get_asset(self, reader: KVReader, symbol: str) -> Asset | None: ...

    def spendable(self, reader: KVReader, account: str, symbol: str) -> int: ...

    def transfer(
        self, ctx: Context, sender: str, recipient: str, symbol: str, amount: int
    ) -> None: ...
