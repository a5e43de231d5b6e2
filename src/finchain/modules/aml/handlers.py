"""One thin function per message: the keeper checks the signer is a regulator where needed.

A travel record is the signer's own statement; the institutions it names must
be active DIDs.
"""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.context import Context
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.aml.keeper import AmlKeeper
from finchain.modules.aml.messages import (
    MsgListAdd,
    MsgListDiscard,
    MsgListSeal,
    MsgTravelRecord,
)


def list_add(keeper: AmlKeeper, ctx: Context, msg: MsgListAdd) -> None:
    keeper.add_entries(ctx, ctx.signer, msg.version, msg.entries)


def list_seal(keeper: AmlKeeper, ctx: Context, msg: MsgListSeal) -> None:
    keeper.seal(ctx, ctx.signer, msg.version, msg.count, msg.hash)


def list_discard(keeper: AmlKeeper, ctx: Context, msg: MsgListDiscard) -> None:
    keeper.discard(ctx, ctx.signer, msg.version)


def travel_record(keeper: AmlKeeper, ctx: Context, msg: MsgTravelRecord) -> None:
    keeper.record_travel(
        ctx,
        ctx.signer,
        msg.covers,
        msg.envelope_hash,
        msg.originator_institution,
        msg.beneficiary_institution,
    )


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgListAdd: list_add,
    MsgListSeal: list_seal,
    MsgListDiscard: list_discard,
    MsgTravelRecord: travel_record,
}
