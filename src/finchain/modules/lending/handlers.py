"""One thin function per message: check authority, call the keeper.

Authority: the lender offers and withdraws, the borrower accepts, repays and
adds collateral (each checked by the keeper against the loan), the appointed
oracle posts prices, and only a passed governance proposal appoints the oracle.
"""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.authority import require_governance
from finchain.core.context import Context
from finchain.core.errors import ErrGovernanceOnly
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.lending.keeper import LendingKeeper
from finchain.modules.lending.messages import (
    MsgAccept,
    MsgAddCollateral,
    MsgAppointOracle,
    MsgCancelOffer,
    MsgOffer,
    MsgPostPrice,
    MsgRepay,
)


def offer(keeper: LendingKeeper, ctx: Context, msg: MsgOffer) -> None:
    keeper.offer(
        ctx,
        ctx.signer,
        msg.borrower,
        msg.asset,
        msg.principal,
        msg.rate_bps,
        msg.schedule,
        msg.due_times,
        msg.collateral_asset,
        msg.collateral,
        msg.max_ltv_bps,
        msg.margin_ltv_bps,
        msg.margin_cure_s,
        msg.grace_s,
    )


def cancel(keeper: LendingKeeper, ctx: Context, msg: MsgCancelOffer) -> None:
    keeper.cancel(ctx, ctx.signer, msg.loan_id)


def accept(keeper: LendingKeeper, ctx: Context, msg: MsgAccept) -> None:
    keeper.accept(ctx, ctx.signer, msg.loan_id)


def repay(keeper: LendingKeeper, ctx: Context, msg: MsgRepay) -> None:
    keeper.repay(ctx, ctx.signer, msg.loan_id, msg.asset, msg.amount)


def add_collateral(keeper: LendingKeeper, ctx: Context, msg: MsgAddCollateral) -> None:
    keeper.add_collateral(ctx, ctx.signer, msg.loan_id, msg.amount)


def appoint_oracle(keeper: LendingKeeper, ctx: Context, msg: MsgAppointOracle) -> None:
    require_governance(ctx, ErrGovernanceOnly, "only governance appoints the price oracle")
    keeper.appoint_oracle(ctx, msg.oracle, msg.max_age_s)


def post_price(keeper: LendingKeeper, ctx: Context, msg: MsgPostPrice) -> None:
    keeper.post_price(
        ctx, ctx.signer, msg.asset, msg.quote, msg.numerator, msg.denominator, msg.observed_at
    )


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgOffer: offer,
    MsgCancelOffer: cancel,
    MsgAccept: accept,
    MsgRepay: repay,
    MsgAddCollateral: add_collateral,
    MsgAppointOracle: appoint_oracle,
    MsgPostPrice: post_price,
}
