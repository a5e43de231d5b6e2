"""Event types and constructors of the credentials module (attributes in a fixed order).

``disclosure_granted`` names the claim's issuer DID: the subject's bank (or
KYC provider) follows events carrying its DID and learns that a regulator
opened the escrow of one of its customers, without asking anyone.
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.core.events import Event

ISSUER_ACCREDITED = "issuer_accredited"
ISSUER_TYPES_CHANGED = "issuer_types_changed"
ISSUER_REVOKED = "issuer_revoked"
SCHEMA_REGISTERED = "schema_registered"
STATUS_LIST_ANCHORED = "status_list_anchored"
KYC_RECORDED = "kyc_recorded"
KYC_REVOKED = "kyc_revoked"
REGULATOR_ADDED = "regulator_added"
REGULATOR_REMOVED = "regulator_removed"
PARAMS_CHANGED = "credentials_params_changed"
DISCLOSURE_REQUESTED = "disclosure_requested"
DISCLOSURE_APPROVED = "disclosure_approved"
DISCLOSURE_GRANTED = "disclosure_granted"
DISCLOSURE_EXPIRED = "disclosure_expired"


def issuer_changed(kind: str, did: str, types: Sequence[str]) -> Event:
    """Accredited, types changed or revoked: the issuer's types as they now stand."""
    return Event(kind, (("issuer", did), ("types", ",".join(types))))


def schema_registered(schema_id: str, name: str, version: int, issuer: str) -> Event:
    return Event(
        SCHEMA_REGISTERED,
        (("schema_id", schema_id), ("name", name), ("version", str(version)), ("issuer", issuer)),
    )


def status_list_anchored(list_id: str, issuer: str, version: int, digest: bytes) -> Event:
    return Event(
        STATUS_LIST_ANCHORED,
        (
            ("list_id", list_id),
            ("issuer", issuer),
            ("version", str(version)),
            ("digest", digest.hex()),
        ),
    )


def kyc_recorded(account: str, issuer: str, tier: int, expires_ns: int) -> Event:
    return Event(
        KYC_RECORDED,
        (
            ("account", account),
            ("issuer", issuer),
            ("tier", str(tier)),
            ("expires", str(expires_ns)),
        ),
    )


def kyc_revoked(account: str, issuer: str) -> Event:
    return Event(KYC_REVOKED, (("account", account), ("issuer", issuer)))


def regulator_changed(kind: str, account: str) -> Event:
    return Event(kind, (("account", account),))


def params_changed(threshold: int, lifetime: int) -> Event:
    return Event(
        PARAMS_CHANGED,
        (("disclosure_threshold", str(threshold)), ("request_lifetime", str(lifetime))),
    )


def disclosure(kind: str, request_id: int, account: str, issuer: str, regulator: str) -> Event:
    """Requested (``regulator`` = requester), approved (= approver) or expired (= requester)."""
    return Event(
        kind,
        (
            ("request_id", str(request_id)),
            ("account", account),
            ("issuer", issuer),
            ("regulator", regulator),
        ),
    )


def disclosure_granted(
    request_id: int, account: str, issuer: str, requester: str, approvers: Sequence[str]
) -> Event:
    return Event(
        DISCLOSURE_GRANTED,
        (
            ("request_id", str(request_id)),
            ("account", account),
            ("issuer", issuer),
            ("requester", requester),
            ("approvers", ",".join(approvers)),
        ),
    )
