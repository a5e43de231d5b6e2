"""Chain upgrades (the idea of Cosmos ``x/upgrade``): data in state, migrations in code.

A governance proposal schedules an upgrade by name at a height (the ``upgrade``
module keeps the plan). When the block at that height starts:

- a version that does not know the plan's name halts there with
  ``upgrade:2`` ("UPGRADE NEEDED"), before executing anything: the operator
  starts the version that knows it, which produces that block again;
- the version that knows it runs the plan's handler, which runs each module's
  migrations from its stored consensus version to the one in this code
  (``Migrator.migrate``), then the block's transactions.

The stored versions (``app/versions``) also guard the other way: a version
whose modules differ from the chain's refuses to open the state unless the
next block is the upgrade that brings them (ErrVersionMismatch).
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.app.chainstate import VERSIONS
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.module import Module
from finchain.errors import register

__all__ = ["ErrMissingMigration", "ErrUpgradeNeeded", "ErrVersionMismatch", "Migrator"]

ErrUpgradeNeeded = register("upgrade", 2, "the chain is at an upgrade this version does not know")
ErrVersionMismatch = register("upgrade", 3, "this version's modules differ from the chain's")
ErrMissingMigration = register("upgrade", 4, "a module has no migration from its stored version")


class Migrator:
    """Module consensus versions: recorded at genesis, checked at start, migrated at upgrades."""

    def __init__(self, modules: Sequence[Module]) -> None:
        self._modules = tuple(modules)

    def code_versions(self) -> dict[str, int]:
        return {m.name: m.consensus_version for m in self._modules}

    def stored_versions(self, reader: KVReader) -> dict[str, int]:
        return dict(VERSIONS.get(reader) or {})

    def record(self, ctx: Context) -> None:
        """Genesis: the state is laid out as this code's modules lay it out."""
        VERSIONS.set(ctx, self.code_versions())

    def differences(self, reader: KVReader) -> dict[str, tuple[int | None, int | None]]:
        """``module -> (stored, in this code)`` for every module whose versions differ."""
        stored = self.stored_versions(reader)
        code = self.code_versions()
        return {
            name: (stored.get(name), code.get(name))
            for name in sorted(stored.keys() | code.keys())
            if stored.get(name) != code.get(name)
        }

    def migrate(self, ctx: Context) -> dict[str, tuple[int | None, int]]:
        """Bring every module from its stored version to this code's, in module order.

        A module new to the chain starts from its default genesis; a module gone
        from the code leaves the map (its state stays, for a migration to clear).
        Returns what changed: ``module -> (from, to)``.
        """
        stored = self.stored_versions(ctx.store)
        changed: dict[str, tuple[int | None, int]] = {}
        for module in self._modules:
            was = stored.get(module.name)
            target = module.consensus_version
            if was == target:
                continue
            if was is None:
                module.init_genesis(ctx, module.default_genesis())
            else:
                steps = module.migrations()
                for version in range(was, target):
                    step = steps.get(version)
                    if step is None:
                        raise ErrMissingMigration(
                            f"module {module.name} has no migration from version {version} "
                            f"(stored {was}, this code {target})"
                        )
                    step(ctx)
            changed[module.name] = (was, target)
        VERSIONS.set(ctx, self.code_versions())
        return changed
