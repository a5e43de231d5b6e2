"""Builders for the credentials module's messages: issuers, schemas, status lists, KYC, disclosure.

Governance-only messages (accredit an issuer, add a regulator...) go inside a
proposal: ``submit_proposal(title, [exec_msg(accredit_issuer(...))])``.

Each builds the message object and returns its wire form (``Msg.to_raw``).

Example::

    from finchain.client import credentials_builders as cb

    digest = anchor_digest(status_list_credential, "sm3")
    signer.sign(cb.anchor_status_list(bank_did, url, version=2, digest=digest))
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from finchain.codec import RawMsg
from finchain.crypto import hash_bytes
from finchain.modules.credentials import messages as cm
from finchain.modules.credentials.types import EncryptionKey, Escrow
from finchain.offchain.vc.jcs import canonicalize

KYC_SALT_BYTES = 32


def accredit_issuer(did: str, name: str, kind: str, types: Sequence[str]) -> RawMsg:
    """Governance: let ``did`` issue ``types`` (kind: bank | kyc_provider | regulator | other)."""
    return cm.MsgAccreditIssuer(did, name, kind, tuple(types)).to_raw()


def set_issuer_types(did: str, types: Sequence[str]) -> RawMsg:
    return cm.MsgSetIssuerTypes(did, tuple(types)).to_raw()


def revoke_issuer(did: str) -> RawMsg:
    return cm.MsgRevokeIssuer(did).to_raw()


def add_regulator(account: str, name: str, scheme: str, public_key: bytes) -> RawMsg:
    """Governance: a regulator and the encryption key escrows are sealed to (sm2 | x25519)."""
    return cm.MsgAddRegulator(account, name, EncryptionKey(scheme, public_key)).to_raw()


def remove_regulator(account: str) -> RawMsg:
    return cm.MsgRemoveRegulator(account).to_raw()


def set_credentials_params(disclosure_threshold: int, request_lifetime: int) -> RawMsg:
    """Governance: m of the m-of-n disclosure rule, and how many blocks a request stays open."""
    return cm.MsgSetParams(disclosure_threshold, request_lifetime).to_raw()


def register_schema(
    issuer: str, name: str, version: int, credential_type: str, schema: Mapping[str, Any]
) -> RawMsg:
    """Publish a JSON Schema; the chain stores its RFC 8785 form under its hash."""
    document = canonicalize(dict(schema))
    return cm.MsgRegisterSchema(issuer, name, version, credential_type, document).to_raw()


def anchor_status_list(
    issuer: str, list_id: str, *, version: int, digest: bytes, purpose: str = ""
) -> RawMsg:
    """Commit version ``version`` of a status list credential (``anchor_digest`` of it)."""
    return cm.MsgAnchorStatusList(issuer, list_id, version, digest, purpose).to_raw()


def new_kyc_salt() -> bytes:
    return secrets.token_bytes(KYC_SALT_BYTES)


def kyc_credential_hash(credential: Mapping[str, Any], salt: bytes, hash_name: str) -> bytes:
    """The salted hash recorded on chain: ``hash(salt ‖ JCS(credential))``.

    The salt stays with the issuer and the holder, so the hash neither reveals
    nor lets anyone confirm a guessed credential.
    """
    return hash_bytes(hash_name, salt + canonicalize(dict(credential)))


def record_kyc(
    issuer: str,
    account: str,
    subject: str,
    *,
    tier: int,
    expires_ns: int,
    credential_hash: bytes,
    escrow: Mapping[str, Any] | None,
) -> RawMsg:
    """Record the issuer's KYC tier claim on ``account`` (escrow required for tiers 1 and 2).

    ``escrow`` is the map ``finchain.client.escrow.build_escrow`` returns.
    """
    sealed = None if escrow is None else Escrow.from_obj(dict(escrow))
    return cm.MsgRecordKyc(
        issuer, account, subject, tier, expires_ns, credential_hash, sealed
    ).to_raw()


def revoke_kyc(issuer: str, account: str) -> RawMsg:
    return cm.MsgRevokeKyc(issuer, account).to_raw()


def request_disclosure(account: str, issuer: str, reason: str) -> RawMsg:
    """A regulator asks to open the escrow of ``issuer``'s claim on ``account``."""
    return cm.MsgRequestDisclosure(account, issuer, reason).to_raw()


def approve_disclosure(request_id: int, share: bytes) -> RawMsg:
    """Another regulator's approval: its share re-sealed to the requester (``reseal_share``)."""
    return cm.MsgApproveDisclosure(request_id, share).to_raw()
