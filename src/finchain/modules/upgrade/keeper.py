"""The only code that reads or writes the upgrade module's keys."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.modules.upgrade import events
from finchain.modules.upgrade.deps import ModuleMigrator, UpgradeHandler
from finchain.modules.upgrade.errors import (
    ErrAlreadyApplied,
    ErrInvalidPlan,
    ErrNoPlan,
    ErrPlanConflict,
)
from finchain.modules.upgrade.keys import APPLIED, PLAN
from finchain.modules.upgrade.types import Plan


class UpgradeView:
    def plan(self, reader: KVReader) -> Plan | None:
        return PLAN.get(reader)

    def applied(self, reader: KVReader) -> Iterator[tuple[str, int]]:
        return APPLIED.iterate(reader)


class UpgradeKeeper(UpgradeView):
    """Plans and their handlers: the application's ``UpgradeSource``.

    ``handlers`` are the upgrades this version knows, by name; the composition
    root lists them (one per upgrade the code was released for).
    """

    def __init__(self, handlers: Mapping[str, UpgradeHandler]) -> None:
        self._handlers = dict(handlers)

    def schedule(self, ctx: Context, plan: Plan) -> None:
        if plan.height <= ctx.height:
            raise ErrInvalidPlan(
                f"upgrade height {plan.height} is not after this block ({ctx.height})"
            )
        if APPLIED.has(ctx.store, plan.name):
            raise ErrAlreadyApplied(f"upgrade {plan.name!r} was applied before: choose a new name")
        current = PLAN.get(ctx.store)
        if current is not None:
            raise ErrPlanConflict(
                f"upgrade {current.name!r} is scheduled at height {current.height}: cancel it first"
            )
        PLAN.set(ctx, plan)
        ctx.emit(events.scheduled(plan.name, plan.height))

    def cancel(self, ctx: Context) -> None:
        current = PLAN.get(ctx.store)
        if current is None:
            raise ErrNoPlan("no upgrade is scheduled")
        PLAN.remove(ctx)
        ctx.emit(events.cancelled(current.name, current.height))

    # -- the application's UpgradeSource ------------------------------------------------------

    def pending_upgrade(self, reader: KVReader) -> tuple[str, int] | None:
        found = PLAN.get(reader)
        return None if found is None else (found.name, found.height)

    def knows(self, name: str) -> bool:
        return name in self._handlers

    def apply(self, ctx: Context, name: str, migrator: ModuleMigrator) -> None:
        """Run the handler of the plan due in this block, record it, clear the plan."""
        before = migrator.stored_versions(ctx.store)
        self._handlers[name](ctx, migrator)
        migrator.migrate(ctx)  # a no-op if the handler migrated already
        after = migrator.stored_versions(ctx.store)
        PLAN.remove(ctx)
        APPLIED.set(ctx, name, ctx.height)
        shown = ",".join(
            f"{m}:{before.get(m)}->{v}" for m, v in sorted(after.items()) if before.get(m) != v
        )
        ctx.emit(events.applied(name, ctx.height, shown))


def migrate_only(ctx: Context, migrator: ModuleMigrator) -> None:
    """The usual handler: every module's migrations, nothing else."""
    migrator.migrate(ctx)
