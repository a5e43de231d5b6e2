"""One thin function per message: the signer is the authenticated party, the keeper decides."""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.context import Context
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.settlement.keeper import SettlementKeeper
from finchain.modules.settlement.messages import MsgCancel, MsgInstruct, MsgSettle


def settle(keeper: SettlementKeeper, ctx: Context, msg: MsgSettle) -> None:
    keeper.settle(ctx, ctx.signer, msg.instruction, msg.endorsements)


def instruct(keeper: SettlementKeeper, ctx: Context, msg: MsgInstruct) -> None:
    keeper.instruct(ctx, ctx.signer, msg.counterparty, msg.instruction)


def cancel(keeper: SettlementKeeper, ctx: Context, msg: MsgCancel) -> None:
    keeper.cancel(ctx, ctx.signer, msg.id)


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgSettle: settle,
    MsgInstruct: instruct,
    MsgCancel: cancel,
}
