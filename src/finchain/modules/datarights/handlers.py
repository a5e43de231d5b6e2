"""One thin function per message: the keeper checks authority against the signer.

The owner's messages need the signer to control the asset's owner DID; the
access record needs it to control the grantee DID (the identity module says
who controls a DID, so a DID's controller may change without touching grants).
"""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.context import Context
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.datarights.keeper import DataRightsKeeper
from finchain.modules.datarights.messages import (
    MsgAddVersion,
    MsgForget,
    MsgGrant,
    MsgRecordAccess,
    MsgRegisterAsset,
    MsgRevoke,
)


def register_asset(keeper: DataRightsKeeper, ctx: Context, msg: MsgRegisterAsset) -> None:
    keeper.register(
        ctx,
        msg.owner,
        msg.hash,
        msg.key_id,
        title=msg.title,
        terms=msg.terms,
        purposes=msg.purposes,
        location=msg.location,
    )


def add_version(keeper: DataRightsKeeper, ctx: Context, msg: MsgAddVersion) -> None:
    keeper.add_version(ctx, msg.asset, msg.hash, msg.key_id, location=msg.location, wraps=msg.wraps)


def grant(keeper: DataRightsKeeper, ctx: Context, msg: MsgGrant) -> None:
    keeper.grant_access(
        ctx,
        msg.asset,
        msg.grantee,
        purposes=msg.purposes,
        not_before=msg.not_before,
        not_after=msg.not_after,
        key_method=msg.key_id,
        wrapped_key=msg.wrapped_key,
    )


def revoke(keeper: DataRightsKeeper, ctx: Context, msg: MsgRevoke) -> None:
    keeper.revoke(ctx, msg.asset, msg.grantee)


def record_access(keeper: DataRightsKeeper, ctx: Context, msg: MsgRecordAccess) -> None:
    keeper.record_access(ctx, msg.asset, msg.grantee, purpose=msg.purpose, version=msg.version)


def forget(keeper: DataRightsKeeper, ctx: Context, msg: MsgForget) -> None:
    keeper.forget(ctx, msg.asset, msg.version)


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgRegisterAsset: register_asset,
    MsgAddVersion: add_version,
    MsgGrant: grant,
    MsgRevoke: revoke,
    MsgRecordAccess: record_access,
    MsgForget: forget,
}
