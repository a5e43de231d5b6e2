"""What the interventions module needs from the bank and accounts modules.

Wired in ``finchain.chain`` with the real keepers; each Protocol names only the
methods interventions call.
"""

from __future__ import annotations

from typing import Protocol

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader


class BankControls(Protocol):
    """Amount freezes, pausing an asset, and a forced transfer that a pause does not stop."""

    def get_asset(self, reader: KVReader, symbol: str) -> object | None: ...

    def frozen(self, reader: KVReader, account: str, symbol: str) -> int: ...

    def freeze_amount(
        self, ctx: Context, account: str, symbol: str, amount: int, reason: str
    ) -> None: ...

    def unfreeze_amount(
        self, ctx: Context, account: str, symbol: str, amount: int, reason: str
    ) -> None: ...

    def set_paused(self, ctx: Context, symbol: str, paused: bool, reason: str) -> None: ...

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


class AccountControls(Protocol):
    """An affected account must exist and not be closed; freezing one is its status."""

    def status(self, reader: KVReader, account: str) -> AccountStatus | None: ...

    def set_status(
        self, ctx: Context, account: str, status: AccountStatus, reason: str
    ) -> None: ...
