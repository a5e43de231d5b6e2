"""One thin function per message: check authority, call the keeper.

Authority is by finchain account: a DID changes only in a transaction signed
by an account that controls it (``IdentityView.controls``). The one exception
is ``identity/retire_did``, executed only by a passed governance proposal
(signer ``GOV_AUTHORITY``), so the members can retire a compromised or
abandoned DID whose controller cannot act.
"""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.authority import require_governance
from finchain.core.context import Context
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.identity.errors import ErrNotController
from finchain.modules.identity.keeper import IdentityKeeper
from finchain.modules.identity.messages import (
    MsgBindAccount,
    MsgCreateDid,
    MsgDeactivateDid,
    MsgRetireDid,
    MsgRotateKey,
    MsgUnbindAccount,
    MsgUpdateDid,
)


def create_did(keeper: IdentityKeeper, ctx: Context, msg: MsgCreateDid) -> None:
    keeper.require_active_account(ctx, ctx.signer, "controller account")
    keeper.create(ctx, ctx.signer, msg.methods, msg.services, msg.controllers)


def update_did(keeper: IdentityKeeper, ctx: Context, msg: MsgUpdateDid) -> None:
    keeper.update(
        ctx,
        keeper.require_controlled(ctx, msg.did, ctx.signer),
        add_methods=msg.add_methods or (),
        remove_methods=msg.remove_methods or (),
        set_relationships=msg.set_relationships or (),
        add_services=msg.add_services or (),
        remove_services=msg.remove_services or (),
        controllers=msg.controllers,
        controller_account=msg.controller_account,
    )


def rotate_key(keeper: IdentityKeeper, ctx: Context, msg: MsgRotateKey) -> None:
    current = keeper.require_controlled(ctx, msg.did, ctx.signer)
    keeper.rotate(ctx, current, msg.key_id, msg.scheme, msg.public_key)


def deactivate_did(keeper: IdentityKeeper, ctx: Context, msg: MsgDeactivateDid) -> None:
    keeper.deactivate(ctx, keeper.require_controlled(ctx, msg.did, ctx.signer))


def retire_did(keeper: IdentityKeeper, ctx: Context, msg: MsgRetireDid) -> None:
    require_governance(
        ctx, ErrNotController, f"only a passed governance proposal may retire {msg.did}"
    )
    keeper.deactivate(ctx, keeper.require_active(ctx, msg.did))


def bind_account(keeper: IdentityKeeper, ctx: Context, msg: MsgBindAccount) -> None:
    keeper.require_active_account(ctx, ctx.signer, "account to bind")
    record = keeper.require_active(ctx, msg.did)
    keeper.bind(
        ctx, record, ctx.signer, key_id=msg.key_id, nonce=msg.nonce, signature=msg.signature
    )


def unbind_account(keeper: IdentityKeeper, ctx: Context, msg: MsgUnbindAccount) -> None:
    record = keeper.require_record(ctx, msg.did)
    if ctx.signer == msg.account:
        keeper.unbind(ctx, record, msg.account, "by_account")
    elif keeper.controls(ctx.store, msg.did, ctx.signer):
        keeper.unbind(ctx, record, msg.account, "by_controller")
    else:
        raise ErrNotController(
            f"account {ctx.signer} may not unbind {msg.account} from {msg.did}: only the bound "
            "account itself or a controller of the DID may"
        )


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgCreateDid: create_did,
    MsgUpdateDid: update_did,
    MsgRotateKey: rotate_key,
    MsgDeactivateDid: deactivate_did,
    MsgRetireDid: retire_did,
    MsgBindAccount: bind_account,
    MsgUnbindAccount: unbind_account,
}
