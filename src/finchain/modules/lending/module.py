"""The lending module: collateralised loans, collected on schedule, revalued by an oracle.

Genesis: ``app_state["lending"] = {"next_id": …, "oracle": {…}, "prices": […], "loans":
[…]}``, each part optional, in the form the queries answer (what ``export_genesis``
writes), so a chain carries its loans over to a new genesis. The collateral's frozen
amounts travel in the bank's section; the module invariants, checked after genesis,
refuse a loan whose collateral is not frozen. The default (``{}``) writes no state.
``end_block`` acts on loans whose due date, grace deadline, margin-call deadline
or offer lapse has come (``LendingKeeper.end_block``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finchain.core.context import Context
from finchain.core.fields import Integer, ListOf, Nested, Optional, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import Invariant, KeeperModule, genesis_errors, parse_genesis
from finchain.modules.lending import handlers, queries
from finchain.modules.lending.deps import Bank
from finchain.modules.lending.errors import ErrBadGenesis
from finchain.modules.lending.keeper import LendingKeeper
from finchain.modules.lending.keys import STORE
from finchain.modules.lending.types import ACTIVE, Loan, OracleConfig, Price

NAME = "lending"
_MAX_GENESIS_LOANS = 10_000_000


@dataclass(frozen=True, slots=True)
class LendingGenesis(Record):
    """The next loan id, the oracle, the latest price per pair and every loan."""

    WHAT = "lending genesis"
    next_id: int = wire(Integer(low=1, high=2**63 - 1), default=1)
    oracle: OracleConfig | None = wire(Optional(Nested(OracleConfig)), default=None)
    prices: tuple[Price, ...] = wire(ListOf(Nested(Price), max_items=100_000), default=())
    loans: tuple[Loan, ...] = wire(ListOf(Nested(Loan), max_items=_MAX_GENESIS_LOANS), default=())

    def check(self) -> None:
        pairs = [(p.asset, p.quote) for p in self.prices]
        if len(set(pairs)) != len(pairs):
            raise ErrBadGenesis("lending genesis: a price pair is listed twice")
        ids = [loan.id for loan in self.loans]
        if len(set(ids)) != len(ids) or any(i >= self.next_id for i in ids):
            raise ErrBadGenesis("lending genesis: loan ids must be distinct and below next_id")


class LendingModule(KeeperModule[LendingKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES

    def __init__(self, keeper: LendingKeeper, bank: Bank) -> None:
        super().__init__(keeper)
        self._bank = bank

    def validate_genesis(self, state: dict[str, Any]) -> None:
        parse_genesis(LendingGenesis, state, ErrBadGenesis)

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        genesis = parse_genesis(LendingGenesis, state, ErrBadGenesis)
        with genesis_errors(ErrBadGenesis, LendingGenesis.WHAT):
            self.keeper.import_state(
                ctx, genesis.next_id, genesis.oracle, genesis.prices, genesis.loans
            )

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        k = self.keeper
        return LendingGenesis(
            k.next_id(reader), k.oracle(reader), tuple(k.prices(reader)), tuple(k.loans(reader))
        ).to_json()

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


__all__ = ["NAME", "LendingGenesis", "LendingModule"]
