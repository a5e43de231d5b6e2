"""One thin function per message: check authority, call the keeper."""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.authority import require_governance
from finchain.core.context import Context
from finchain.core.errors import ErrGovernanceOnly
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.upgrade.keeper import UpgradeKeeper
from finchain.modules.upgrade.messages import MsgCancelUpgrade, MsgScheduleUpgrade
from finchain.modules.upgrade.types import Plan

_ONLY_GOVERNANCE = "upgrades are scheduled by a passed governance proposal"


def schedule(keeper: UpgradeKeeper, ctx: Context, msg: MsgScheduleUpgrade) -> None:
    require_governance(ctx, ErrGovernanceOnly, _ONLY_GOVERNANCE)
    keeper.schedule(ctx, Plan(msg.name, msg.height, msg.info))


def cancel(keeper: UpgradeKeeper, ctx: Context, msg: MsgCancelUpgrade) -> None:
    require_governance(ctx, ErrGovernanceOnly, _ONLY_GOVERNANCE)
    keeper.cancel(ctx)


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgScheduleUpgrade: schedule,
    MsgCancelUpgrade: cancel,
}
