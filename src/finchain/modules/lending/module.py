"""The lending module: collateralised loans, collected on schedule, revalued by an oracle.

Genesis: none (the default genesis writes no state; loans start on chain).
``end_block`` acts on loans whose due date, grace deadline, margin-call deadline
or offer lapse has come (``LendingKeeper.end_block``).
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.module import Invariant, KeeperModule
from finchain.modules.lending import handlers, queries
from finchain.modules.lending.deps import Bank
from finchain.modules.lending.keeper import LendingKeeper
from finchain.modules.lending.keys import STORE
from finchain.modules.lending.types import ACTIVE

NAME = "lending"


class LendingModule(KeeperModule[LendingKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES

    def __init__(self, keeper: LendingKeeper, bank: Bank) -> None:
        super().__init__(keeper)
        self._bank = bank

    def end_block(self, ctx: Context) -> None:
        self.keeper.end_block(ctx)

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [
            ("lending/collateral-frozen", self._collateral_frozen),
            ("lending/wake-index", self._wake_index),
            ("lending/amounts", self._amounts),
        ]

    def _collateral_frozen(self, reader: KVReader) -> str | None:
        """Active loans' collateral is frozen in the borrower's account (other modules may
        freeze more of the same holding, never less)."""
        locked: dict[tuple[str, str], int] = {}
        for loan in self.keeper.loans(reader):
            if loan.status == ACTIVE:
                key = (loan.borrower, loan.collateral_asset)
                locked[key] = locked.get(key, 0) + loan.collateral
        for (account, symbol), amount in sorted(locked.items()):
            frozen = self._bank.frozen(reader, account, symbol)
            if frozen < amount:
                return f"{account} has {frozen} {symbol} frozen, below its loans' {amount}"
        return None

    def _wake_index(self, reader: KVReader) -> str | None:
        """The wake-up index holds exactly each open loan's next time."""
        expected = set()
        for loan in self.keeper.loans(reader):
            when = loan.wake()
            if when is not None:
                expected.add((when, loan.id))
        found = set(self.keeper.wake_entries(reader))
        if found != expected:
            return f"wake-up index disagrees with the loans at {sorted(found ^ expected)[:3]}"
        return None

    def _amounts(self, reader: KVReader) -> str | None:
        for loan in self.keeper.loans(reader):
            if not 0 <= loan.outstanding <= loan.principal:
                return f"loan {loan.id} has outstanding {loan.outstanding}"
            for item in loan.instalments:
                if not (
                    0 <= item.principal_paid <= item.principal_due
                    and 0 <= item.interest_paid <= item.interest_due
                ):
                    return f"loan {loan.id} has an instalment paid beyond its amount"
        return None


__all__ = ["NAME", "LendingModule"]
