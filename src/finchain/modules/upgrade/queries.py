"""Queries of the upgrade module."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.modules.upgrade.keeper import UpgradeView


def plan(view: UpgradeView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any] | None:
    """The scheduled plan (``{name, height, info}``), or null."""
    found = view.plan(reader)
    return None if found is None else found.to_obj()


def applied(view: UpgradeView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """Every upgrade applied so far, with its height."""
    return {"applied": [{"name": n, "height": h} for n, h in view.applied(reader)]}


QUERIES: Mapping[str, KeeperQuery] = {
    "upgrade/plan": plan,
    "upgrade/applied": applied,
}
