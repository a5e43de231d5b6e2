"""The lending module: collateralised loans, collected on schedule, revalued by an oracle.

Genesis: ``app_state["lending"] = {"next_id": …, "oracle": {…}, "prices": […], "loans":
[…]}``, each part optional, in the form the queries answer (what ``export_genesis``
writes), so a chain carries its loans over to a new genesis. Each loan lists its
collateral escrows (``collateral_escrows``); the escrows themselves travel in the
escrow module's section and their frozen amounts in the bank's. The module
invariants, checked after genesis, refuse a loan whose escrows are missing or do
not hold its collateral. The default (``{}``) writes no state.
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
from finchain.modules.lending.errors import ErrBadGenesis
from finchain.modules.lending.keeper import CONTROLLER, LendingKeeper
from finchain.modules.lending.keys import STORE
from finchain.modules.lending.types import (
    ACTIVE,
    DEFAULTED,
    REPAID,
    Loan,
    OracleConfig,
    Price,
)

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
            ("lending/collateral-escrowed", self._collateral_escrowed),
            ("lending/wake-index", self._wake_index),
            ("lending/amounts", self._amounts),
        ]

    def _collateral_escrowed(self, reader: KVReader) -> str | None:
        """Each accepted loan's collateral is its escrows: controlled by lending, from the
        borrower to the lender in the collateral asset; open while the loan is active
        (their amounts adding up to ``collateral``), refunded once repaid, released once
        defaulted (open while the release waits). Per holding, the escrow module's locked
        amount covers the active loans' collateral (its own invariant
        ``escrow/frozen-covers-open`` then ties that to the bank's frozen amount)."""
        wanted = {ACTIVE: "open", REPAID: "refunded", DEFAULTED: "released"}
        pledged: dict[tuple[str, str], int] = {}
        for loan in self.keeper.loans(reader):
            if loan.status not in wanted:
                continue
            total = 0
            for escrow_id in loan.collateral_escrows:
                escrow = self.keeper.collateral_escrow(reader, escrow_id)
                if escrow is None:
                    return f"loan {loan.id}: collateral escrow {escrow_id} does not exist"
                terms = (escrow.controller, escrow.payer, escrow.payee, escrow.asset)
                if terms != (CONTROLLER, loan.borrower, loan.lender, loan.collateral_asset):
                    return f"loan {loan.id}: escrow {escrow_id} is not a pledge of its collateral"
                status = wanted[loan.status]
                if escrow.status != status and not (loan.release_pending and escrow.is_open):
                    return (
                        f"loan {loan.id} is {loan.status} but escrow {escrow_id} is {escrow.status}"
                    )
                total += escrow.amount
            if total != loan.collateral:
                return f"loan {loan.id}: escrows hold {total}, its collateral is {loan.collateral}"
            if loan.status == ACTIVE:
                key = (loan.borrower, loan.collateral_asset)
                pledged[key] = pledged.get(key, 0) + loan.collateral
        for (account, symbol), amount in sorted(pledged.items()):
            locked = self.keeper.escrow_locked(reader, account, symbol)
            if locked < amount:
                return f"{account} has {locked} {symbol} in escrow, below its loans' {amount}"
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
