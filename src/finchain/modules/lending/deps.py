"""What the lending module needs from the bank module (wired in ``finchain.chain``)."""

from __future__ import annotations

from typing import Protocol

from finchain.core.context import Context
from finchain.core.kv import KVReader


class Bank(Protocol):
    """Moves cash and locks collateral with the bank's frozen-amount mechanism."""

    def spendable(self, reader: KVReader, account: str, symbol: str) -> int: ...

    def frozen(self, reader: KVReader, account: str, symbol: str) -> int: ...

    def transfer(
        self, ctx: Context, sender: str, recipient: str, symbol: str, amount: int
    ) -> None: ...

    def freeze_amount(
        self, ctx: Context, account: str, symbol: str, amount: int, reason: str
    ) -> None: ...

    def unfreeze_amount(
        self, ctx: Context, account: str, symbol: str, amount: int, reason: str
    ) -> None: ...

    def get_asset(self, reader: KVReader, symbol: str) -> object | None: ...
