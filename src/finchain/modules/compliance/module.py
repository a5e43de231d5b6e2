"""The compliance module: CEL rule sets enforced before execution (docs/regulation/compliance.md).

Genesis carries the parameters, the regulated assets, the profiles, the rule sets,
the active version, the aggregates and the held transactions: an export imported
by a fresh node gives the same entries. The schedule, the deadline queue and the
counters are derived from them. The default genesis writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finchain.core.context import Context
from finchain.core.fields import HEIGHT, ListOf, Nested, Optional, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import (
    Invariant,
    RecordGenesisModule,
    first_id_out_of_order,
    genesis_errors,
    parse_genesis,
)
from finchain.modules.bank.types import ASSET_SYMBOL
from finchain.modules.compliance import handlers, queries
from finchain.modules.compliance.errors import ErrBadGenesis
from finchain.modules.compliance.keeper import ComplianceKeeper
from finchain.modules.compliance.keys import (
    ACTIVE,
    AGGREGATES,
    HELD_DEADLINES,
    HELD_TXS,
    NEXT_HELD,
    NEXT_VERSION,
    PARAMS,
    RULESETS,
    SCHEDULE,
    STORE,
)
from finchain.modules.compliance.types import ACTIVE as STATUS_ACTIVE
from finchain.modules.compliance.types import (
    HELD,
    SCHEDULED,
    AggregateEntry,
    HeldTx,
    Params,
    Profile,
    RuleSet,
)

NAME = "compliance"
_MAX_GENESIS = 10_000_000


@dataclass(frozen=True, slots=True)
class ComplianceGenesis(Record):
    WHAT = "compliance genesis"
    params: Params | None = wire(Optional(Nested(Params)), default=None)
    regulated: tuple[str, ...] = wire(
        ListOf(ASSET_SYMBOL, max_items=10_000, unique=True, sort=True), default=()
    )
    profiles: tuple[Profile, ...] = wire(
        ListOf(Nested(Profile), max_items=_MAX_GENESIS), default=()
    )
    rulesets: tuple[RuleSet, ...] = wire(ListOf(Nested(RuleSet), max_items=100_000), default=())
    active: int = wire(HEIGHT, default=0)
    aggregates: tuple[AggregateEntry, ...] = wire(
        ListOf(Nested(AggregateEntry), max_items=_MAX_GENESIS), default=()
    )
    held: tuple[HeldTx, ...] = wire(ListOf(Nested(HeldTx), max_items=_MAX_GENESIS), default=())

    def check(self) -> None:
        wrong = first_id_out_of_order(rs.version for rs in self.rulesets)
        if wrong is not None:
            raise ErrBadGenesis(f"compliance genesis: rule-set versions must increase (at {wrong})")
        wrong = first_id_out_of_order(h.id for h in self.held)
        if wrong is not None:
            raise ErrBadGenesis(f"compliance genesis: held ids must increase (at {wrong})")
        accounts = [p.account for p in self.profiles]
        if len(set(accounts)) != len(accounts):
            raise ErrBadGenesis("compliance genesis: one profile per account")
        active = [rs.version for rs in self.rulesets if rs.status == STATUS_ACTIVE]
        if active != ([self.active] if self.active else []):
            raise ErrBadGenesis(
                "compliance genesis: 'active' must name the one rule set with status active"
            )


class ComplianceModule(RecordGenesisModule[ComplianceKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES
    GENESIS = ComplianceGenesis
    GENESIS_ERROR = ErrBadGenesis

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        genesis = parse_genesis(ComplianceGenesis, state, ErrBadGenesis)
        with genesis_errors(ErrBadGenesis, ComplianceGenesis.WHAT):
            self.keeper.import_state(ctx, genesis.params, genesis.regulated, genesis.profiles)
            for rs in genesis.rulesets:
                self.keeper.compiled(rs)  # a set that no longer compiles is refused here
                RULESETS.set(ctx, rs.version, rs)
            if genesis.rulesets:
                NEXT_VERSION.set(ctx, genesis.rulesets[-1].version + 1)
            if genesis.active:
                ACTIVE.set(ctx, genesis.active)
            for rs in genesis.rulesets:
                if rs.status == SCHEDULED:
                    SCHEDULE.set(ctx, (rs.activation_height, rs.version), b"")
            for entry in genesis.aggregates:
                key = (entry.direction, (entry.account, entry.asset))
                AGGREGATES.set(ctx, key, entry.aggregate.flat())
            for held in genesis.held:
                HELD_TXS.set(ctx, held.id, held, previous=None)
                if held.status == HELD:
                    HELD_DEADLINES.set(ctx, (held.deadline_height, held.id), b"")
            if genesis.held:
                NEXT_HELD.set(ctx, genesis.held[-1].id + 1)

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        k = self.keeper
        return ComplianceGenesis(
            PARAMS.get(reader),
            tuple(k.regulated_assets(reader)),
            tuple(k.profiles(reader)),
            tuple(k.rulesets(reader)),
            k.active_version(reader),
            tuple(
                AggregateEntry(direction, account, asset, aggregate)
                for (direction, (account, asset)), aggregate in k.aggregates(reader)
            ),
            tuple(k.held_txs(reader)),
        ).to_json()

    def begin_block(self, ctx: Context) -> None:
        self.keeper.begin_block(ctx)

    def end_block(self, ctx: Context) -> None:
        self.keeper.end_block(ctx)

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [("compliance/active-set", self._active_set)]

    def _active_set(self, reader: KVReader) -> str | None:
        """The active version names a stored set whose status is active, and only it."""
        version = self.keeper.active_version(reader)
        active = [rs.version for rs in self.keeper.rulesets(reader) if rs.status == STATUS_ACTIVE]
        if active != ([version] if version else []):
            return f"active version {version} but sets with status active: {active}"
        return None


__all__ = ["NAME", "ComplianceGenesis", "ComplianceModule"]
