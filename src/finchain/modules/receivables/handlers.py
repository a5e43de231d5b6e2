"""One thin function per message: the signer's role is checked by the keeper, against the invoice.

Authority is the signature itself: the signer of ``register`` is the supplier,
only the named buyer's transaction confirms or pays, only the holder's
transfers, offers or collects, and only the bank named in the offer accepts.
"""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.context import Context
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.receivables.keeper import ReceivablesKeeper
from finchain.modules.receivables.messages import (
    MsgAccept,
    MsgCollect,
    MsgConfirm,
    MsgOffer,
    MsgPay,
    MsgRegister,
    MsgTransfer,
    MsgWithdrawOffer,
)


def register(keeper: ReceivablesKeeper, ctx: Context, msg: MsgRegister) -> None:
    keeper.register(
        ctx,
        ctx.signer,
        msg.buyer,
        msg.asset,
        msg.amount,
        msg.maturity_ns,
        msg.hash_alg,
        msg.hash,
        msg.reference,
    )


def confirm(keeper: ReceivablesKeeper, ctx: Context, msg: MsgConfirm) -> None:
    keeper.confirm(ctx, ctx.signer, msg.id)


def transfer(keeper: ReceivablesKeeper, ctx: Context, msg: MsgTransfer) -> None:
    keeper.transfer(ctx, ctx.signer, msg.id, msg.to)


def offer(keeper: ReceivablesKeeper, ctx: Context, msg: MsgOffer) -> None:
    keeper.offer(ctx, ctx.signer, msg.id, msg.bank, msg.price)


def withdraw_offer(keeper: ReceivablesKeeper, ctx: Context, msg: MsgWithdrawOffer) -> None:
    keeper.withdraw_offer(ctx, ctx.signer, msg.id)


def accept(keeper: ReceivablesKeeper, ctx: Context, msg: MsgAccept) -> None:
    keeper.accept(ctx, ctx.signer, msg.id, msg.asset, msg.price)


def pay(keeper: ReceivablesKeeper, ctx: Context, msg: MsgPay) -> None:
    keeper.pay(ctx, ctx.signer, msg.id, msg.asset, msg.amount)


def collect(keeper: ReceivablesKeeper, ctx: Context, msg: MsgCollect) -> None:
    keeper.collect(ctx, ctx.signer, msg.id)


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgRegister: register,
    MsgConfirm: confirm,
    MsgTransfer: transfer,
    MsgOffer: offer,
    MsgWithdrawOffer: withdraw_offer,
    MsgAccept: accept,
    MsgPay: pay,
    MsgCollect: collect,
}
