"""One thin function per message: check authority, call the keeper."""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.authority import require_governance
from finchain.core.context import Context
from finchain.core.errors import ErrGovernanceOnly
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.compliance.keeper import GOVERNANCE, ComplianceKeeper
from finchain.modules.compliance.messages import (
    MsgActivate,
    MsgApprove,
    MsgGovSetProfile,
    MsgPublish,
    MsgSetAsset,
    MsgSetParams,
    MsgSetProfile,
)
from finchain.modules.compliance.types import Params


def publish(keeper: ComplianceKeeper, ctx: Context, msg: MsgPublish) -> None:
    keeper.publish(ctx, ctx.signer, msg.rules)


def activate(keeper: ComplianceKeeper, ctx: Context, msg: MsgActivate) -> None:
    require_governance(ctx, ErrGovernanceOnly, "only governance activates a rule set")
    keeper.activate(ctx, msg.version, msg.height)


def set_params(keeper: ComplianceKeeper, ctx: Context, msg: MsgSetParams) -> None:
    require_governance(ctx, ErrGovernanceOnly, "only governance sets compliance parameters")
    keeper.set_params(ctx, Params(msg.zone_offset_minutes, msg.window_seconds))


def set_asset(keeper: ComplianceKeeper, ctx: Context, msg: MsgSetAsset) -> None:
    require_governance(ctx, ErrGovernanceOnly, "only governance marks an asset regulated")
    keeper.set_asset(ctx, msg.asset, msg.regulated)


def set_profile(keeper: ComplianceKeeper, ctx: Context, msg: MsgSetProfile) -> None:
    keeper.set_profile(
        ctx, ctx.signer, msg.account, msg.jurisdiction, msg.natural_person, msg.issuer
    )


def gov_set_profile(keeper: ComplianceKeeper, ctx: Context, msg: MsgGovSetProfile) -> None:
    require_governance(ctx, ErrGovernanceOnly, "gov_set_profile is run by governance")
    keeper.set_profile(ctx, GOVERNANCE, msg.account, msg.jurisdiction, msg.natural_person, "")


def approve(keeper: ComplianceKeeper, ctx: Context, msg: MsgApprove) -> None:
    keeper.approve(ctx, ctx.signer, msg.held_id)


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgPublish: publish,
    MsgActivate: activate,
    MsgSetParams: set_params,
    MsgSetAsset: set_asset,
    MsgSetProfile: set_profile,
    MsgGovSetProfile: gov_set_profile,
    MsgApprove: approve,
}
