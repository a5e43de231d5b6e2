"""The netting module: clearing cycles of payment obligations, netted and settled at a cut-off.

Genesis: ``app_state["netting"] = {"next_id": n, "cycles": [...]}``, each cycle with
its submit batches (payer and payees as indexes into the cycle's sorted member
list, as stored), and once closed its report, positions and unsettled
obligations: what ``export_genesis`` writes, so a chain exported mid-cycle
carries its open cycles over and settles them at their cut-off. The default
(``{}``) writes no state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finchain.core.context import Context
from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import (
    Amount,
    Integer,
    ListOf,
    Nested,
    OneOf,
    Optional,
    Record,
    Text,
    wire,
)
from finchain.core.kv import KVReader
from finchain.core.module import (
    Invariant,
    RecordGenesisModule,
    first_id_out_of_order,
    parse_genesis,
)
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.netting import handlers, queries
from finchain.modules.netting.errors import ErrBadGenesis
from finchain.modules.netting.keeper import CycleState, NettingKeeper
from finchain.modules.netting.keys import BATCHES, DUE_HEIGHT, DUE_TIME, STORE, Batch
from finchain.modules.netting.types import (
    COUNT,
    MAX_ID,
    MAX_MEMBERS,
    MAX_OBLIGATIONS_PER_MSG,
    OPEN,
    PAYEE_CLOSED,
    PAYER_FROZEN,
    PAYER_SHORT,
    SETTLED,
    SETTLEMENT_FAILED,
    Cycle,
    Report,
)

NAME = "netting"
_MEMBER_INDEX = Integer(low=0, high=MAX_MEMBERS - 1)
_MAX_GENESIS_ITEMS = 100_000_000


@dataclass(frozen=True, slots=True)
class GenesisBatch(Record):
    """One submit message's obligations: ``payer`` owes ``payees[i]`` ``amounts[i]``."""

    WHAT = "netting batch"
    payer: int = wire(_MEMBER_INDEX)
    payees: tuple[int, ...] = wire(
        ListOf(_MEMBER_INDEX, min_items=1, max_items=MAX_OBLIGATIONS_PER_MSG)
    )
    amounts: tuple[int, ...] = wire(
        ListOf(Amount(), min_items=1, max_items=MAX_OBLIGATIONS_PER_MSG)
    )

    def check(self) -> None:
        if len(self.payees) != len(self.amounts) or self.payer in self.payees:
            raise ErrInvalidMsg(f"{self.WHAT}: one amount per payee, and no payee is the payer")


@dataclass(frozen=True, slots=True)
class GenesisPosition(Record):
    WHAT = "netting position"
    member: str = wire(ACCOUNT)
    net: str = wire(Text(max_len=40, pattern=r"0|-?[1-9][0-9]{0,38}", what="a signed integer"))


@dataclass(frozen=True, slots=True)
class GenesisUnsettled(Record):
    WHAT = "unsettled obligation"
    batch: int = wire(COUNT)
    index: int = wire(COUNT)
    payer: str = wire(ACCOUNT)
    payee: str = wire(ACCOUNT)
    amount: int = wire(Amount())
    reason: str = wire(OneOf(PAYER_SHORT, PAYEE_CLOSED, SETTLEMENT_FAILED, PAYER_FROZEN))


@dataclass(frozen=True, slots=True)
class GenesisCycle(Record):
    WHAT = "netting cycle"
    cycle: Cycle = wire(Nested(Cycle))
    batches: tuple[GenesisBatch, ...] = wire(
        ListOf(Nested(GenesisBatch), max_items=_MAX_GENESIS_ITEMS)
    )
    report: Report | None = wire(Optional(Nested(Report)), default=None)
    positions: tuple[GenesisPosition, ...] = wire(
        ListOf(Nested(GenesisPosition), max_items=MAX_MEMBERS), default=()
    )
    unsettled: tuple[GenesisUnsettled, ...] = wire(
        ListOf(Nested(GenesisUnsettled), max_items=_MAX_GENESIS_ITEMS), default=()
    )

    def check(self) -> None:
        c = self.cycle
        what = f"netting cycle {c.id}"
        members = len(c.members)
        if any(b.payer >= members or max(b.payees) >= members for b in self.batches):
            raise ErrInvalidMsg(f"{what}: a batch names a member index beyond the members")
        count = sum(len(b.amounts) for b in self.batches)
        gross = sum(sum(b.amounts) for b in self.batches)
        if (len(self.batches), count, gross) != (c.batches, c.obligations, c.gross):
            raise ErrInvalidMsg(f"{what}: batches, obligations and gross disagree with its batches")
        if (c.status == OPEN) != (self.report is None):
            raise ErrInvalidMsg(f"{what}: a report exactly when it is no longer open")
        if self.report is not None and self.report.cycle != c.id:
            raise ErrInvalidMsg(f"{what}: its report names cycle {self.report.cycle}")
        if c.status == OPEN and (self.positions or self.unsettled):
            raise ErrInvalidMsg(f"{what}: an open cycle has no positions or unsettled list")

    def state(self) -> CycleState:
        batches = tuple(Batch(b.payer, b.payees, b.amounts) for b in self.batches)
        positions = tuple((p.member, int(p.net)) for p in self.positions)
        unsettled = tuple(
            (u.batch, u.index, u.payer, u.payee, u.amount, u.reason) for u in self.unsettled
        )
        return CycleState(self.cycle, batches, self.report, positions, unsettled)

    @classmethod
    def of(cls, state: CycleState) -> GenesisCycle:
        return cls(
            state.cycle,
            tuple(GenesisBatch(b.payer, b.payees, b.amounts) for b in state.batches),
            state.report,
            tuple(GenesisPosition(m, str(n)) for m, n in state.positions),
            tuple(GenesisUnsettled(*entry) for entry in state.unsettled),
        )


@dataclass(frozen=True, slots=True)
class NettingGenesis(Record):
    """The next cycle id and every cycle, in id order (ids below ``next_id``)."""

    WHAT = "netting genesis"
    next_id: int = wire(Integer(low=1, high=MAX_ID), default=1)
    cycles: tuple[GenesisCycle, ...] = wire(
        ListOf(Nested(GenesisCycle), max_items=_MAX_GENESIS_ITEMS), default=()
    )

    def check(self) -> None:
        ids = (entry.cycle.id for entry in self.cycles)
        if first_id_out_of_order(ids, below=self.next_id) is not None:
            raise ErrInvalidMsg(f"{self.WHAT}: cycles in id order, each below next_id")


class NettingModule(RecordGenesisModule[NettingKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES
    GENESIS = NettingGenesis
    GENESIS_ERROR = ErrBadGenesis

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        genesis = parse_genesis(NettingGenesis, state, ErrBadGenesis)
        for entry in genesis.cycles:  # an open cycle past its cut-off settles in the first block
            self.keeper.import_cycle(ctx, entry.state())
        if genesis.next_id > 1:
            self.keeper.set_next_id(ctx, genesis.next_id)

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        cycles = tuple(GenesisCycle.of(state) for state in self.keeper.export_cycles(reader))
        return NettingGenesis(self.keeper.next_id(reader), cycles).to_json()

    def end_block(self, ctx: Context) -> None:
        self.keeper.settle_due(ctx)

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [("netting/cycles-consistent", self._cycles_consistent)]

    def _cycles_consistent(self, reader: KVReader) -> str | None:
        """Counts match the stored batches; an open cycle is due exactly once at its cut-off;
        a settled cycle's nets sum to zero and its report adds up."""
        due = {cid: key for key, cid in DUE_HEIGHT.keys(reader)}
        due_time = {cid: key for key, cid in DUE_TIME.keys(reader)}
        if due.keys() & due_time.keys():
            return "a cycle is due both at a height and at a time"
        due.update(due_time)
        k = self.keeper
        for cycle in k.cycles(reader):
            batches = count = gross = 0
            for _, batch in BATCHES.iterate(reader, prefix=(cycle.id,)):
                batches += 1
                count += len(batch.amounts)
                gross += sum(batch.amounts)
            if (batches, count, gross) != (cycle.batches, cycle.obligations, cycle.gross):
                return f"cycle {cycle.id}: its counts disagree with its stored obligations"
            cut_off = cycle.close_height or cycle.close_time_ns
            if (cycle.status == OPEN) != (due.pop(cycle.id, None) == cut_off):
                return f"cycle {cycle.id}: due index disagrees with its status {cycle.status}"
            report = k.report(reader, cycle.id)
            if cycle.status == OPEN:
                if report is not None:
                    return f"cycle {cycle.id} is open but has a report"
                continue
            if report is None:
                return f"cycle {cycle.id} is {cycle.status} without a report"
            nets = k.positions(reader, cycle.id)
            if sorted(nets) != list(cycle.members) or sum(nets.values()) != 0:
                return f"cycle {cycle.id}: positions do not cover the members or sum to 0"
            net = sum(-n for n in nets.values() if n < 0)
            if (
                report.net != net
                or report.saved != report.gross - report.net
                or report.saved < 0
                or report.gross + report.removed_value != cycle.gross
                or report.settled + report.removed != cycle.obligations
                or (report.status == SETTLED) != (cycle.status == SETTLED)
            ):
                return f"cycle {cycle.id}: its report does not add up"
        if due:
            return f"due index names cycles that do not exist: {sorted(due)}"
        return None


__all__ = ["NAME", "NettingGenesis", "NettingModule"]
