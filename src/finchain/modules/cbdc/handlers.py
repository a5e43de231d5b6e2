"""One thin function per message: check authority, call the keeper.

Designation is governance's; every other act is the signer's own, and the
keeper checks the signer's role (central bank, operator, wallet owner).
"""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.authority import require_governance
from finchain.core.context import Context
from finchain.core.errors import ErrGovernanceOnly
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.cbdc.keeper import CbdcKeeper
from finchain.modules.cbdc.messages import (
    MsgAuthorise,
    MsgDesignate,
    MsgDistribute,
    MsgIssue,
    MsgOpenWallet,
    MsgRedeem,
    MsgWithdraw,
)


def designate(keeper: CbdcKeeper, ctx: Context, msg: MsgDesignate) -> None:
    require_governance(ctx, ErrGovernanceOnly, "only governance designates the central bank")
    keeper.designate(ctx, msg.central_bank, msg.asset)


def authorise(keeper: CbdcKeeper, ctx: Context, msg: MsgAuthorise) -> None:
    keeper.authorise(ctx, ctx.signer, msg.operator, msg.quota)


def issue(keeper: CbdcKeeper, ctx: Context, msg: MsgIssue) -> None:
    keeper.issue(ctx, ctx.signer, msg.operator, msg.amount, msg.reference)


def redeem(keeper: CbdcKeeper, ctx: Context, msg: MsgRedeem) -> None:
    keeper.redeem(ctx, ctx.signer, msg.operator, msg.amount, msg.reference)


def open_wallet(keeper: CbdcKeeper, ctx: Context, msg: MsgOpenWallet) -> None:
    keeper.open_wallet(ctx, ctx.signer, msg.owner, msg.tier)


def distribute(keeper: CbdcKeeper, ctx: Context, msg: MsgDistribute) -> None:
    keeper.distribute(ctx, ctx.signer, msg.wallet, msg.amount)


def withdraw(keeper: CbdcKeeper, ctx: Context, msg: MsgWithdraw) -> None:
    keeper.withdraw(ctx, ctx.signer, msg.amount)


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgDesignate: designate,
    MsgAuthorise: authorise,
    MsgIssue: issue,
    MsgRedeem: redeem,
    MsgOpenWallet: open_wallet,
    MsgDistribute: distribute,
    MsgWithdraw: withdraw,
}
