"""Events of the upgrade module (attributes in a fixed order)."""

from __future__ import annotations

from finchain.core.events import Event

UPGRADE_SCHEDULED = "upgrade_scheduled"
UPGRADE_CANCELLED = "upgrade_cancelled"
UPGRADE_APPLIED = "upgrade_applied"


def scheduled(name: str, height: int) -> Event:
    return Event(UPGRADE_SCHEDULED, (("name", name), ("height", str(height))))


def cancelled(name: str, height: int) -> Event:
    return Event(UPGRADE_CANCELLED, (("name", name), ("height", str(height))))


def applied(name: str, height: int, modules: str) -> Event:
    return Event(UPGRADE_APPLIED, (("name", name), ("height", str(height)), ("modules", modules)))
