"""What the upgrade module needs from the application: the one who migrates the modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from finchain.core.context import Context
from finchain.core.kv import KVReader


class ModuleMigrator(Protocol):
    def migrate(self, ctx: Context) -> dict[str, tuple[int | None, int]]:
        """Run every module's migrations to this version's consensus versions."""
        ...

    def stored_versions(self, reader: KVReader) -> dict[str, int]:
        """Each module's consensus version as the state records it."""
        ...


UpgradeHandler = Callable[[Context, ModuleMigrator], None]
"""What a version runs at an upgrade it knows: usually just ``migrator.migrate(ctx)``."""
