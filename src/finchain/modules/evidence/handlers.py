"""One thin function per message: check authority, call the keeper.

Authority is the signature itself: whoever signs a record is its submitter,
and only a named co-signer's own transaction adds its co-signature.
"""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.context import Context
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.evidence.keeper import EvidenceKeeper
from finchain.modules.evidence.messages import MsgCosign, MsgRecord


def record(keeper: EvidenceKeeper, ctx: Context, msg: MsgRecord) -> None:
    keeper.record(ctx, ctx.signer, msg.hash_alg, msg.hash, msg.kind, msg.metadata, msg.cosigners)


def cosign(keeper: EvidenceKeeper, ctx: Context, msg: MsgCosign) -> None:
    keeper.cosign(ctx, ctx.signer, msg.hash_alg, msg.hash)


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgRecord: record,
    MsgCosign: cosign,
}
