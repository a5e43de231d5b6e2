"""The settlement module: multi-leg instructions settled atomically (DvP, PvP, DvD, FoP)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finchain.core.context import Context
from finchain.core.fields import ListOf, Nested, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import (
    Invariant,
    KeeperModule,
    first_id_out_of_order,
    genesis_errors,
    parse_genesis,
)
from finchain.modules.settlement import handlers, queries
from finchain.modules.settlement.errors import ErrBadGenesis
from finchain.modules.settlement.keeper import SettlementKeeper
from finchain.modules.settlement.keys import STORE
from finchain.modules.settlement.types import (
    FINAL,
    INSTRUCTION_ID,
    MATCHED,
    PARTIAL,
    PENDING,
    SETTLED,
    Settlement,
)

NAME = "settlement"


@dataclass(frozen=True, slots=True)
class SettlementGenesis(Record):
    """Instructions in id order, and the next id (both absent on a new chain)."""

    WHAT = "settlement genesis"
    instructions: tuple[Settlement, ...] = wire(
        ListOf(Nested(Settlement), max_items=10_000_000), default=()
    )
    next_id: int = wire(INSTRUCTION_ID, default=1)

    def check(self) -> None:
        ids = (s.id for s in self.instructions)
        if first_id_out_of_order(ids, below=self.next_id) is not None:
            raise ErrBadGenesis(
                "settlement genesis: instructions must be in increasing id order, below next_id"
            )


class SettlementModule(KeeperModule[SettlementKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES

    def validate_genesis(self, state: dict[str, Any]) -> None:
        parse_genesis(SettlementGenesis, state, ErrBadGenesis)

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        """A new chain's section is empty and writes nothing; an export is written back."""
        genesis = parse_genesis(SettlementGenesis, state, ErrBadGenesis)
        with genesis_errors(ErrBadGenesis, SettlementGenesis.WHAT):
            for settlement in genesis.instructions:
                self.keeper.import_settlement(ctx, settlement)
            if genesis.next_id != 1:
                self.keeper.set_next_id(ctx, genesis.next_id)

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        return SettlementGenesis(
            tuple(self.keeper.all_settlements(reader)), self.keeper.next_id(reader)
        ).to_json()

    def end_block(self, ctx: Context) -> None:
        self.keeper.end_block(ctx)

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [
            ("settlement/lots", self._lots_consistent),
            ("settlement/queues", self._queues_follow_status),
        ]

    def _lots_consistent(self, reader: KVReader) -> str | None:
        for s in self.keeper.all_settlements(reader):
            lots = s.instruction.lots
            if not 0 <= s.settled_lots <= lots or (s.status == SETTLED) != (s.settled_lots == lots):
                return f"instruction {s.id} is {s.status} with {s.settled_lots} of {lots} lots"
            if s.status == PARTIAL and not s.settled_lots:
                return f"instruction {s.id} is partially settled with no lot settled"
        return None

    def _queues_follow_status(self, reader: KVReader) -> str | None:
        """Open instructions wait in the expiry queue, matched ones in the due queue,
        pending ones in the retry queue; final ones in none. The open counters (all, and
        per authorising account) agree with the instructions."""
        queued = self.keeper.queued(reader)
        expected: dict[str, set[int]] = {"due": set(), "retry": set(), "expire": set()}
        for s in self.keeper.all_settlements(reader):
            if s.status in FINAL:
                continue
            expected["expire"].add(s.id)
            if s.status == MATCHED:
                expected["due"].add(s.id)
            elif s.status in (PENDING, PARTIAL):
                expected["retry"].add(s.id)
        for name, ids in expected.items():
            if queued[name] != ids:
                return f"settlement {name} queue holds {sorted(queued[name] ^ ids)} wrongly"
        counted = self.keeper.open_count(reader)
        if counted != len(expected["expire"]):
            return f"open count says {counted}, {len(expected['expire'])} instructions are open"
        by_account: dict[str, int] = {}
        for s in self.keeper.all_settlements(reader):
            if s.status not in FINAL:
                for signer in s.signers:
                    by_account[signer] = by_account.get(signer, 0) + 1
        if self.keeper.open_by_account(reader) != by_account:
            return "settlement open counts per account disagree with the open instructions"
        return None


__all__ = ["NAME", "SettlementModule"]
