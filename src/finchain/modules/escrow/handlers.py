"""One thin function per message: the signer is the actor, the keeper checks the rest.

The payer is whoever signs ``escrow/create``; an approval counts only from the
approver's own transaction; release and refund may be sent by anyone, since
their outcome is fixed by the escrow's terms (the payee is paid, or the payer
refunded); a cancellation needs the payer's and the payee's own consent.
"""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.context import Context
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.escrow.keeper import EscrowKeeper
from finchain.modules.escrow.messages import (
    MsgApprove,
    MsgCancel,
    MsgCreate,
    MsgRefund,
    MsgRelease,
)


def create(keeper: EscrowKeeper, ctx: Context, msg: MsgCreate) -> None:
    keeper.create(
        ctx,
        ctx.signer,
        msg.payee,
        msg.asset,
        msg.amount,
        msg.conditions,
        expiry_height=msg.expiry_height,
        expiry_time=msg.expiry_time,
        reference=msg.reference,
    )


def approve(keeper: EscrowKeeper, ctx: Context, msg: MsgApprove) -> None:
    keeper.approve(ctx, msg.escrow_id, ctx.signer)


def release(keeper: EscrowKeeper, ctx: Context, msg: MsgRelease) -> None:
    keeper.release(ctx, msg.escrow_id, ctx.signer, msg.preimage)


def refund(keeper: EscrowKeeper, ctx: Context, msg: MsgRefund) -> None:
    keeper.refund(ctx, msg.escrow_id, ctx.signer)


def cancel(keeper: EscrowKeeper, ctx: Context, msg: MsgCancel) -> None:
    keeper.consent_to_cancel(ctx, msg.escrow_id, ctx.signer)


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgCreate: create,
    MsgApprove: approve,
    MsgRelease: release,
    MsgRefund: refund,
    MsgCancel: cancel,
}
