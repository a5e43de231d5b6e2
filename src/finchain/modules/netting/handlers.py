"""One thin function per message: the signer is the operator (open) or the payer (submit)."""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.context import Context
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.netting.keeper import NettingKeeper
from finchain.modules.netting.messages import MsgOpenCycle, MsgSubmitObligations


def open_cycle(keeper: NettingKeeper, ctx: Context, msg: MsgOpenCycle) -> None:
    keeper.open_cycle(ctx, ctx.signer, msg.asset, msg.members, msg.close_height, msg.close_time_ns)


def submit(keeper: NettingKeeper, ctx: Context, msg: MsgSubmitObligations) -> None:
    pairs = tuple((ob.payee, ob.amount) for ob in msg.obligations)
    keeper.submit(ctx, ctx.signer, msg.cycle, msg.asset, pairs)


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgOpenCycle: open_cycle,
    MsgSubmitObligations: submit,
}
