"""Messages of the upgrade module: both executed only by a passed governance proposal."""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import Text, wire
from finchain.core.msgs import FieldlessMsg, Msg
from finchain.modules.upgrade.types import HEIGHT, NAME


@dataclass(frozen=True, slots=True)
class MsgScheduleUpgrade(Msg):
    """Halt versions that do not know ``name`` at ``height``; run its migrations there."""

    TYPE = "upgrade/schedule"
    GOVERNED = True
    name: str = wire(NAME)
    height: int = wire(HEIGHT)
    info: str = wire(Text(max_len=1024, allow_empty=True), default="")


@dataclass(frozen=True, slots=True)
class MsgCancelUpgrade(FieldlessMsg):
    TYPE = "upgrade/cancel"
    GOVERNED = True
