"""Records of the credentials module: issuers, schemas, status lists, KYC claims,
regulators, disclosure requests and audit records.

Times are block times in integer nanoseconds since the Unix epoch (as
``Context.time_ns``), heights are block heights: both come from consensus, so
every node stores the same record. Nothing here holds personal data: a KYC
claim names DIDs, a tier, an expiry, a salted hash and an opaque escrow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any, Self

KYC_CREDENTIAL_TYPE = "KycTierCredential"
MAX_TIER = 2
"""Tiers: 0 anonymous, 1 basic, 2 full."""

ISSUER_KINDS = ("bank", "kyc_provider", "regulator", "other")
STATUS_PURPOSES = ("revocation", "suspension")
ENCRYPTION_SCHEME_OF_SUITE = {"gm": "sm2", "intl": "x25519"}
ENCRYPTION_KEY_BYTES = {"sm2": 65, "x25519": 32}

CREDENTIAL_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")
SCHEMA_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
STATUS_LIST_ID = re.compile(r"(https://|urn:|did:)[\x21-\x7e]{1,240}")
"""A URL, URN or DID URL of printable ASCII without spaces (it is a storage key)."""

MAX_DID = 80
MAX_NAME = 64
MAX_TYPES = 32
MAX_REGULATORS = 32
MAX_SCHEMA_BYTES = 16 * 1024
MAX_SCHEMA_DEPTH = 32
MAX_REASON = 512
MAX_ESCROW_CIPHERTEXT = 4 * 1024
MAX_SHARE = 512
DIGEST_BYTES = 32
MAX_LIFETIME = 10_000_000
MAX_TIME_NS = 2**63 - 1

OPEN = "open"
GRANTED = "granted"
EXPIRED = "expired"
GRANT = "grant"
CHANGE_TYPES = "change_types"
REVOKE = "revoke"

CLAIM_ACTIVE = "active"
CLAIM_REVOKED = "revoked"


class Record:
    """A frozen dataclass stored as a CBOR map of its fields (tuples as lists)."""

    def to_obj(self) -> dict[str, Any]:
        return {
            f.name: _plain(getattr(self, f.name))
            for f in fields(self)  # type: ignore[arg-type]
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Self:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in obj.items()})


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True, slots=True)
class CredentialsParams(Record):
    """``disclosure_threshold``: m, the approvals a disclosure needs (1 ≤ m ≤ regulators once
    there are any). ``request_lifetime``: blocks a request stays open before it expires."""

    disclosure_threshold: int = 1
    request_lifetime: int = 1_000


@dataclass(frozen=True, slots=True)
class Issuer(Record):
    """An accredited (or formerly accredited) issuer, identified by its DID."""

    did: str
    name: str
    kind: str
    types: tuple[str, ...]
    accredited: bool
    changes: int
    """How many accreditation changes its history holds (numbered 1..changes)."""


@dataclass(frozen=True, slots=True)
class AccreditationChange(Record):
    """One grant, type change or revocation, with the block that made it.

    ``types`` is the full set after the change (empty after a revocation), so
    the answer for any time is read from one entry.
    """

    seq: int
    action: str
    types: tuple[str, ...]
    height: int
    time_ns: int

    def allows(self, credential_type: str) -> bool:
        return self.action != REVOKE and credential_type in self.types


@dataclass(frozen=True, slots=True)
class Schema(Record):
    id: str
    name: str
    version: int
    credential_type: str
    issuer: str
    document: bytes
    height: int
    time_ns: int


@dataclass(frozen=True, slots=True)
class SchemaName(Record):
    """Who owns a schema name (its first registrant) and its latest version."""

    name: str
    issuer: str
    latest: int


@dataclass(frozen=True, slots=True)
class StatusList(Record):
    """A status list's owner, purpose and latest anchor."""

    list_id: str
    issuer: str
    purpose: str
    version: int
    digest: bytes
    height: int
    time_ns: int


@dataclass(frozen=True, slots=True)
class StatusAnchor(Record):
    version: int
    digest: bytes
    height: int
    time_ns: int


@dataclass(frozen=True, slots=True)
class Escrow(Record):
    """The sealed link between an account and a real identity; opaque to the chain.

    ``shares[i]`` is regulator ``regulators[i]``'s Shamir share of the data key
    that encrypts ``ciphertext``, sealed to that regulator's encryption key.
    """

    threshold: int
    regulators: tuple[str, ...]
    ciphertext: bytes
    shares: tuple[bytes, ...]

    def share_of(self, account: str) -> bytes | None:
        if account not in self.regulators:
            return None
        return self.shares[self.regulators.index(account)]


@dataclass(frozen=True, slots=True)
class KycClaim:
    """A KYC tier recorded by an issuer against an account (one per issuer and account)."""

    account: str
    issuer: str
    subject: str
    tier: int
    expires_ns: int
    credential_hash: bytes
    escrow: Escrow | None
    status: str
    height: int
    time_ns: int
    accreditation: int
    """The issuer's accreditation change in force when the claim was recorded: "accredited
    at recording" is read from it exactly, even if governance changes the issuer later in
    the same block (same block time)."""

    def to_obj(self) -> dict[str, Any]:
        obj = {f.name: getattr(self, f.name) for f in fields(self)}
        obj["escrow"] = None if self.escrow is None else self.escrow.to_obj()
        return obj

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> KycClaim:
        escrow = obj["escrow"]
        return cls(**{**obj, "escrow": None if escrow is None else Escrow.from_obj(escrow)})

    def counts_at(self, now_ns: int) -> bool:
        return self.status == CLAIM_ACTIVE and now_ns < self.expires_ns


@dataclass(frozen=True, slots=True)
class Regulator(Record):
    account: str
    name: str
    scheme: str
    public_key: bytes
    since: int


@dataclass(frozen=True, slots=True)
class DisclosureRequest(Record):
    """A regulator's request to open one claim's escrow.

    ``claim_height`` pins the claim version the request is about; ``required``
    is max(disclosure threshold, escrow threshold) when filed; ``approvers``
    are distinct regulators holding a share, the requester first if it holds one.
    """

    id: int
    requester: str
    account: str
    issuer: str
    claim_height: int
    reason: str
    required: int
    approvers: tuple[str, ...]
    status: str
    height: int
    expires_at: int
    final_height: int = 0


@dataclass(frozen=True, slots=True)
class Approval(Record):
    """An approval: the approver's share re-sealed to the requester's encryption key."""

    request_id: int
    approver: str
    share: bytes
    height: int


@dataclass(frozen=True, slots=True)
class AuditRecord(Record):
    """Written once, when a disclosure is granted; never changed or deleted."""

    request_id: int
    requester: str
    approvers: tuple[str, ...]
    account: str
    issuer: str
    reason: str
    height: int
    time_ns: int
