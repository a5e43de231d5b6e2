"""One thin function per message: check authority, call the keeper.

Three authorities: governance (``require_governance``: only a passed
proposal), an issuer (the signer controls the DID named in ``issuer``) and a
regulator (the signer is a registered regulator account).
"""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.authority import require_governance
from finchain.core.context import Context
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.credentials.errors import ErrNotGovernance
from finchain.modules.credentials.keeper import CredentialsKeeper
from finchain.modules.credentials.messages import (
    MsgAccreditIssuer,
    MsgAddRegulator,
    MsgAnchorStatusList,
    MsgApproveDisclosure,
    MsgRecordKyc,
    MsgRegisterSchema,
    MsgRemoveRegulator,
    MsgRequestDisclosure,
    MsgRevokeIssuer,
    MsgRevokeKyc,
    MsgSetIssuerTypes,
    MsgSetParams,
)


def _require_governance(ctx: Context, what: str) -> None:
    require_governance(
        ctx,
        ErrNotGovernance,
        f"only a passed governance proposal may {what}: submit a proposal with an exec action "
        "carrying this message",
    )


def accredit_issuer(keeper: CredentialsKeeper, ctx: Context, msg: MsgAccreditIssuer) -> None:
    _require_governance(ctx, "accredit an issuer")
    keeper.accredit(ctx, msg.did, msg.name, msg.kind, msg.types)


def set_issuer_types(keeper: CredentialsKeeper, ctx: Context, msg: MsgSetIssuerTypes) -> None:
    _require_governance(ctx, "change an issuer's credential types")
    keeper.set_issuer_types(ctx, msg.did, msg.types)


def revoke_issuer(keeper: CredentialsKeeper, ctx: Context, msg: MsgRevokeIssuer) -> None:
    _require_governance(ctx, "revoke an issuer's accreditation")
    keeper.revoke_issuer(ctx, msg.did)


def add_regulator(keeper: CredentialsKeeper, ctx: Context, msg: MsgAddRegulator) -> None:
    _require_governance(ctx, "add a regulator")
    key = msg.encryption_key
    keeper.add_regulator(ctx, msg.account, msg.name, key.scheme, key.public_key)


def remove_regulator(keeper: CredentialsKeeper, ctx: Context, msg: MsgRemoveRegulator) -> None:
    _require_governance(ctx, "remove a regulator")
    keeper.remove_regulator(ctx, msg.account)


def set_params(keeper: CredentialsKeeper, ctx: Context, msg: MsgSetParams) -> None:
    _require_governance(ctx, "change the disclosure parameters")
    keeper.set_disclosure_params(ctx, msg.disclosure_threshold, msg.request_lifetime)


def register_schema(keeper: CredentialsKeeper, ctx: Context, msg: MsgRegisterSchema) -> None:
    keeper.require_controller(ctx, msg.issuer)
    keeper.register_schema(
        ctx, msg.issuer, msg.name, msg.version, msg.credential_type, msg.document
    )


def anchor_status_list(keeper: CredentialsKeeper, ctx: Context, msg: MsgAnchorStatusList) -> None:
    keeper.require_controller(ctx, msg.issuer)
    keeper.anchor_status_list(ctx, msg.issuer, msg.list_id, msg.version, msg.digest, msg.purpose)


def record_kyc(keeper: CredentialsKeeper, ctx: Context, msg: MsgRecordKyc) -> None:
    keeper.require_controller(ctx, msg.issuer)
    keeper.record_kyc(
        ctx,
        issuer=msg.issuer,
        account=msg.account,
        subject=msg.subject,
        tier=msg.tier,
        expires_ns=msg.expires,
        credential_hash=msg.credential_hash,
        escrow=msg.escrow,
    )


def revoke_kyc(keeper: CredentialsKeeper, ctx: Context, msg: MsgRevokeKyc) -> None:
    keeper.require_controller(ctx, msg.issuer)
    keeper.revoke_kyc(ctx, msg.account, msg.issuer)


def request_disclosure(keeper: CredentialsKeeper, ctx: Context, msg: MsgRequestDisclosure) -> None:
    keeper.request_disclosure(ctx, ctx.signer, msg.account, msg.issuer, msg.reason)


def approve_disclosure(keeper: CredentialsKeeper, ctx: Context, msg: MsgApproveDisclosure) -> None:
    keeper.approve_disclosure(ctx, ctx.signer, msg.request_id, msg.share)


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgAccreditIssuer: accredit_issuer,
    MsgSetIssuerTypes: set_issuer_types,
    MsgRevokeIssuer: revoke_issuer,
    MsgAddRegulator: add_regulator,
    MsgRemoveRegulator: remove_regulator,
    MsgSetParams: set_params,
    MsgRegisterSchema: register_schema,
    MsgAnchorStatusList: anchor_status_list,
    MsgRecordKyc: record_kyc,
    MsgRevokeKyc: revoke_kyc,
    MsgRequestDisclosure: request_disclosure,
    MsgApproveDisclosure: approve_disclosure,
}
