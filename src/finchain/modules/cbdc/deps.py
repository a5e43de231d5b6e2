"""What the cbdc module needs from the bank and accounts modules (wired in ``finchain.chain``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.modules.bank.types import Asset


class BankLedger(Protocol):
    """Minting and burning the CBDC, moving it, reading holdings."""

    def get_asset(self, reader: KVReader, symbol: str) -> Asset | None: ...

    def supply(self, reader: KVReader, symbol: str) -> int: ...

    def balance(self, reader: KVReader, account: str, symbol: str) -> int: ...

    def holders(self, reader: KVReader, symbol: str) -> Iterator[tuple[str, int, int]]: ...

    def mint(
        self, ctx: Context, minter: str, recipient: str, asset: Asset, amount: int
    ) -> None: ...

    def burn(self, ctx: Context, burner: str, asset: Asset, amount: int) -> None: ...

    def transfer(
        self,
        ctx: Context,
        sender: str,
        recipient: str,
        symbol: str,
        amount: int,
        *,
        forced: bool = False,
    ) -> None: ...


class AccountStatuses(Protocol):
    """Operators and wallet owners must be existing, active accounts."""

    def status(self, reader: KVReader, account: str) -> AccountStatus | None: ...
