"""What the securities module needs from the bank and accounts modules (wired in chain.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.modules.bank.types import Asset


class BankKeeper(Protocol):
    """The bank keeper's methods this module calls: a security's units are a bank asset."""

    def get_asset(self, reader: KVReader, symbol: str) -> Asset | None: ...

    def create_asset(self, ctx: Context, asset: Asset) -> None: ...

    def mint(
        self, ctx: Context, minter: str, recipient: str, asset: Asset, amount: int
    ) -> None: ...

    def burn(self, ctx: Context, burner: str, asset: Asset, amount: int) -> None: ...

    def transfer(
        self, ctx: Context, sender: str, recipient: str, symbol: str, amount: int
    ) -> None: ...

    def balance(self, reader: KVReader, account: str, symbol: str) -> int: ...

    def spendable(self, reader: KVReader, account: str, symbol: str) -> int: ...

    def supply(self, reader: KVReader, symbol: str) -> int: ...

    def holders(self, reader: KVReader, symbol: str) -> Iterator[tuple[str, int, int]]: ...


class AccountStatusView(Protocol):
    """Whether an account exists, may receive (a closed one may not) and may pay (a frozen
    one may not)."""

    def status(self, reader: KVReader, account: str) -> AccountStatus | None: ...
