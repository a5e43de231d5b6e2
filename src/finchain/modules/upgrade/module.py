"""The upgrade module: governance schedules an upgrade; the application runs or halts at it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finchain.core.context import Context
from finchain.core.errors import ErrBadGenesis
from finchain.core.fields import ListOf, Nested, Optional, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import KeeperModule, parse_genesis
from finchain.modules.upgrade import handlers, queries
from finchain.modules.upgrade.keeper import UpgradeKeeper
from finchain.modules.upgrade.keys import APPLIED, PLAN, STORE
from finchain.modules.upgrade.types import HEIGHT, NAME, Plan


@dataclass(frozen=True, slots=True)
class Applied(Record):
    name: str = wire(NAME)
    height: int = wire(HEIGHT)


@dataclass(frozen=True, slots=True)
class UpgradeGenesis(Record):
    WHAT = "upgrade genesis"
    plan: Plan | None = wire(Optional(Nested(Plan)), default=None)
    applied: tuple[Applied, ...] = wire(ListOf(Nested(Applied), max_items=10_000), default=())


class UpgradeModule(KeeperModule[UpgradeKeeper]):
    name = "upgrade"
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES

    def validate_genesis(self, state: dict[str, Any]) -> None:
        parse_genesis(UpgradeGenesis, state, ErrBadGenesis)

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        genesis = parse_genesis(UpgradeGenesis, state, ErrBadGenesis)
        if genesis.plan is not None:
            PLAN.set(ctx, genesis.plan)
        for done in genesis.applied:
            APPLIED.set(ctx, done.name, done.height)

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        applied = tuple(Applied(n, h) for n, h in self.keeper.applied(reader))
        return UpgradeGenesis(self.keeper.plan(reader), applied).to_obj()
