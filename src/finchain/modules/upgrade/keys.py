"""The upgrade module's state: the only place its keys are spelled."""

from __future__ import annotations

from finchain.core.collections import STR, Item, Map, RecordValue, StoreKey, U64Value
from finchain.modules.upgrade.types import Plan

STORE = StoreKey("upgrade", b"upgrade/")
PLAN: Item[Plan] = Item(STORE, b"plan", RecordValue(Plan.from_obj))
"""The one scheduled plan, if any."""
APPLIED: Map[str, int] = Map(STORE, b"done/", STR, U64Value())
"""Every applied upgrade: name -> the height it ran at (names are never reused)."""
