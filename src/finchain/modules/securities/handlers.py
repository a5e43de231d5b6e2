"""One thin function per message: the signer is the issuer; the keeper does the rest."""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.context import Context
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.securities.keeper import SecuritiesKeeper
from finchain.modules.securities.messages import MsgCall, MsgIssue, MsgRegisterSecurity
from finchain.modules.securities.types import ACTIVE, Security


def register(keeper: SecuritiesKeeper, ctx: Context, msg: MsgRegisterSecurity) -> None:
    security = Security(
        isin=msg.isin,
        kind=msg.kind,
        name=msg.name,
        issuer=ctx.signer,
        cash_asset=msg.cash_asset,
        face_value=msg.face_value,
        coupon_bps=msg.coupon_bps,
        day_count=msg.day_count,
        issue_date=msg.issue_date,
        maturity_date=msg.maturity_date,
        record_days=msg.record_days,
        remainder_account=msg.remainder_account,
        payments=0,
        status=ACTIVE,
    )
    keeper.register(ctx, security, msg.coupon_dates)


def issue(keeper: SecuritiesKeeper, ctx: Context, msg: MsgIssue) -> None:
    keeper.issue(ctx, ctx.signer, msg.isin, msg.to, msg.amount)


def call(keeper: SecuritiesKeeper, ctx: Context, msg: MsgCall) -> None:
    keeper.call(ctx, ctx.signer, msg.isin, msg.call_date, msg.price)


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgRegisterSecurity: register,
    MsgIssue: issue,
    MsgCall: call,
}
