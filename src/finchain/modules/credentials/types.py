"""Records of the credentials module: issuers, schemas, status lists, KYC claims,
regulators, disclosure requests and audit records, and the field codecs they share.

Times are block times in integer nanoseconds since the Unix epoch (as
``Context.time_ns``), heights are block heights: both come from consensus, so
every node stores the same record. Nothing here holds personal data: a KYC
claim names DIDs, a tier, an expiry, a salted hash and an opaque escrow.

Every record is declared with ``wire`` fields, so the state, the genesis file
(its JSON form, bytes in hex) and the messages read them with the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import (
    DIGEST,
    HEIGHT,
    TIME_NS,
    Blob,
    Flag,
    Integer,
    ListOf,
    Nested,
    OneOf,
    Optional,
    Record,
    Text,
    wire,
)
from finchain.crypto import public_key_from_bytes
from finchain.errors import FinchainError
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.identity.types import DID_REF

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

MAX_NAME = 64
MAX_TYPES = 32
MAX_REGULATORS = 32
MAX_SCHEMA_BYTES = 16 * 1024
MAX_SCHEMA_DEPTH = 32
MAX_REASON = 512
MAX_ESCROW_CIPHERTEXT = 4 * 1024
MAX_SHARE = 512
MAX_LIFETIME = 10_000_000
MAX_TIME_NS = 2**63 - 1
MAX_VERSION = 2**32 - 1
MAX_REQUEST_ID = 2**63 - 1

OPEN = "open"
GRANTED = "granted"
EXPIRED = "expired"
REQUEST_STATUSES = (OPEN, GRANTED, EXPIRED)
GRANT = "grant"
CHANGE_TYPES = "change_types"
REVOKE = "revoke"
ACCREDITATION_ACTIONS = (GRANT, CHANGE_TYPES, REVOKE)

CLAIM_ACTIVE = "active"
CLAIM_REVOKED = "revoked"

# -- field codecs (tx:6 when refused: the module's codes are for refusals that need state) ------


DISPLAY_NAME = Text(max_len=MAX_NAME)
TYPE_NAME = Text(max_len=MAX_NAME, pattern=CREDENTIAL_TYPE.pattern, what="a credential type name")
TYPES = ListOf(TYPE_NAME, min_items=1, max_items=MAX_TYPES, unique=True, sort=True)
"""The credential types an issuer is accredited for: a set, held sorted."""
SCHEMA_NAME_FIELD = Text(max_len=MAX_NAME, pattern=SCHEMA_NAME.pattern, what="a schema name")
STATUS_LIST_ID_FIELD = Text(
    max_len=256,
    pattern=STATUS_LIST_ID.pattern,
    what="an https URL, URN or DID URL of printable ASCII without spaces",
)
TYPE_SET = ListOf(TYPE_NAME, max_items=MAX_TYPES, unique=True, sort=True)
"""The types an issuer record or an accreditation change holds (empty after a revocation)."""
ISSUER_KIND = OneOf(*ISSUER_KINDS)
STATUS_PURPOSE = OneOf("", *STATUS_PURPOSES)
"""A status list's purpose, "" until its first anchor names one."""
VERSION = Integer(low=1, high=MAX_VERSION)
REQUEST_ID = Integer(low=1, high=MAX_REQUEST_ID)
REGULATOR_COUNT = Integer(low=1, high=MAX_REGULATORS)
"""A number of regulators: a disclosure or escrow threshold, the approvals a request needs."""
REGULATOR_SET = ListOf(ACCOUNT, max_items=MAX_REGULATORS, unique=True)
REQUEST_LIFETIME = Integer(low=1, high=MAX_LIFETIME)
TIER = Integer(low=0, high=MAX_TIER)
EXPIRY = Integer(low=1, high=MAX_TIME_NS)
"""When a KYC claim stops counting: a block time in ns."""
ENCRYPTION_SCHEME = OneOf(*ENCRYPTION_KEY_BYTES)
ENCRYPTION_PUBLIC_KEY = Blob(max_len=max(ENCRYPTION_KEY_BYTES.values()))
SHARE = Blob(max_len=MAX_SHARE, min_len=1)
REASON = Text(max_len=MAX_REASON)


# -- parameters, issuers, schemas, status lists -------------------------------------------------


@dataclass(frozen=True, slots=True)
class CredentialsParams(Record):
    """``disclosure_threshold``: m, the approvals a disclosure needs (1 ≤ m ≤ regulators once
    there are any). ``request_lifetime``: blocks a request stays open before it expires."""

    WHAT = "params"
    disclosure_threshold: int = wire(REGULATOR_COUNT)
    request_lifetime: int = wire(REQUEST_LIFETIME)


DEFAULT_PARAMS = CredentialsParams(1, 1_000)


@dataclass(frozen=True, slots=True)
class Issuer(Record):
    """An accredited (or formerly accredited) issuer, identified by its DID."""

    WHAT = "issuer"
    did: str = wire(DID_REF)
    name: str = wire(DISPLAY_NAME)
    kind: str = wire(ISSUER_KIND)
    types: tuple[str, ...] = wire(TYPE_SET)
    accredited: bool = wire(Flag())
    changes: int = wire(Integer(low=0, high=MAX_VERSION))
    """How many accreditation changes its history holds (numbered 1..changes)."""


@dataclass(frozen=True, slots=True)
class AccreditationChange(Record):
    """One grant, type change or revocation, with the block that made it.

    ``types`` is the full set after the change (empty after a revocation), so
    the answer for any time is read from one entry.
    """

    WHAT = "accreditation change"
    seq: int = wire(Integer(low=1, high=MAX_VERSION))
    action: str = wire(OneOf(*ACCREDITATION_ACTIONS))
    types: tuple[str, ...] = wire(TYPE_SET)
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)

    def allows(self, credential_type: str) -> bool:
        return self.action != REVOKE and credential_type in self.types


@dataclass(frozen=True, slots=True)
class Schema(Record):
    WHAT = "schema"
    id: str = wire(Text(max_len=128, pattern=r"[0-9a-f]{64}", what="a hex digest"))
    name: str = wire(SCHEMA_NAME_FIELD)
    version: int = wire(VERSION)
    credential_type: str = wire(TYPE_NAME)
    issuer: str = wire(DID_REF)
    document: bytes = wire(Blob(max_len=MAX_SCHEMA_BYTES, min_len=1))
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)


@dataclass(frozen=True, slots=True)
class SchemaName(Record):
    """Who owns a schema name (its first registrant) and its latest version."""

    WHAT = "schema name"
    name: str = wire(SCHEMA_NAME_FIELD)
    issuer: str = wire(DID_REF)
    latest: int = wire(VERSION)


@dataclass(frozen=True, slots=True)
class StatusList(Record):
    """A status list's owner, purpose and latest anchor."""

    WHAT = "status list"
    list_id: str = wire(STATUS_LIST_ID_FIELD)
    issuer: str = wire(DID_REF)
    purpose: str = wire(STATUS_PURPOSE)
    version: int = wire(VERSION)
    digest: bytes = wire(DIGEST)
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)


@dataclass(frozen=True, slots=True)
class StatusAnchor(Record):
    WHAT = "status anchor"
    version: int = wire(VERSION)
    digest: bytes = wire(DIGEST)
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)


# -- KYC claims and their escrow ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Escrow(Record):
    """The sealed link between an account and a real identity; opaque to the chain.

    ``shares[i]`` is regulator ``regulators[i]``'s Shamir share of the data key
    that encrypts ``ciphertext``, sealed to that regulator's encryption key. The
    chain only checks its shape: shares align with regulators, listed in
    ascending order, and the threshold is at most their number.
    """

    WHAT = "escrow"
    threshold: int = wire(REGULATOR_COUNT)
    regulators: tuple[str, ...] = wire(ListOf(ACCOUNT, min_items=1, max_items=MAX_REGULATORS))
    ciphertext: bytes = wire(Blob(max_len=MAX_ESCROW_CIPHERTEXT, min_len=1))
    shares: tuple[bytes, ...] = wire(ListOf(SHARE, min_items=1, max_items=MAX_REGULATORS))

    def check(self) -> None:
        if any(a >= b for a, b in pairwise(self.regulators)):
            raise ErrInvalidMsg("escrow.regulators must be in ascending order without duplicates")
        if len(self.shares) != len(self.regulators):
            raise ErrInvalidMsg("escrow.shares must hold one share per regulator")
        if self.threshold > len(self.regulators):
            raise ErrInvalidMsg(
                f"escrow.threshold must be an integer in [1, {len(self.regulators)}]"
            )

    def share_of(self, account: str) -> bytes | None:
        if account not in self.regulators:
            return None
        return self.shares[self.regulators.index(account)]


@dataclass(frozen=True, slots=True)
class KycClaim(Record):
    """A KYC tier recorded by an issuer against an account (one per issuer and account)."""

    WHAT = "KYC claim"
    account: str = wire(ACCOUNT)
    issuer: str = wire(DID_REF)
    subject: str = wire(DID_REF)
    tier: int = wire(TIER)
    expires_ns: int = wire(EXPIRY)
    credential_hash: bytes = wire(DIGEST)
    escrow: Escrow | None = wire(Optional(Nested(Escrow)))
    status: str = wire(OneOf(CLAIM_ACTIVE, CLAIM_REVOKED))
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)
    accreditation: int = wire(Integer(low=1, high=MAX_VERSION))
    """The issuer's accreditation change in force when the claim was recorded: "accredited
    at recording" is read from it exactly, even if governance changes the issuer later in
    the same block (same block time)."""

    def check(self) -> None:
        if (self.tier > 0) != (self.escrow is not None):
            raise ErrInvalidMsg("a claim escrows an identity for tiers 1 and above, not for 0")

    def counts_at(self, now_ns: int) -> bool:
        return self.status == CLAIM_ACTIVE and now_ns < self.expires_ns


# -- regulators and disclosure ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EncryptionKey(Record):
    """A regulator's encryption key: ``sm2`` (a 65-byte point on the curve) or ``x25519``
    (32 bytes, not all zero). Which one a chain takes depends on its suite (keeper)."""

    WHAT = "encryption_key"
    scheme: str = wire(ENCRYPTION_SCHEME)
    public_key: bytes = wire(ENCRYPTION_PUBLIC_KEY)

    def check(self) -> None:
        size = ENCRYPTION_KEY_BYTES[self.scheme]
        if len(self.public_key) != size:
            raise ErrInvalidMsg(
                f"an {self.scheme} encryption key has {size} bytes, not {len(self.public_key)}"
            )
        if self.scheme == "sm2":
            try:
                public_key_from_bytes("sm2", self.public_key)
            except FinchainError as exc:
                raise ErrInvalidMsg(f"encryption_key.public_key: {exc.message}") from None
        elif self.public_key == bytes(size):
            raise ErrInvalidMsg("encryption_key.public_key: the all-zero X25519 key is unusable")


@dataclass(frozen=True, slots=True)
class Regulator(Record):
    WHAT = "regulator"
    account: str = wire(ACCOUNT)
    name: str = wire(DISPLAY_NAME)
    scheme: str = wire(ENCRYPTION_SCHEME)
    public_key: bytes = wire(ENCRYPTION_PUBLIC_KEY)
    since: int = wire(HEIGHT)

    @property
    def encryption_key(self) -> EncryptionKey:
        return EncryptionKey(self.scheme, self.public_key)


@dataclass(frozen=True, slots=True)
class DisclosureRequest(Record):
    """A regulator's request to open one claim's escrow.

    ``claim_height`` pins the claim version the request is about; ``required``
    is max(disclosure threshold, escrow threshold) when filed; ``approvers``
    are distinct regulators holding a share, the requester first if it holds one.
    ``final_height`` is the height it was granted or expired at (0 while open).
    """

    WHAT = "disclosure request"
    id: int = wire(REQUEST_ID)
    requester: str = wire(ACCOUNT)
    account: str = wire(ACCOUNT)
    issuer: str = wire(DID_REF)
    claim_height: int = wire(HEIGHT)
    reason: str = wire(REASON)
    required: int = wire(REGULATOR_COUNT)
    approvers: tuple[str, ...] = wire(REGULATOR_SET)
    status: str = wire(OneOf(*REQUEST_STATUSES))
    height: int = wire(HEIGHT)
    expires_at: int = wire(HEIGHT)
    final_height: int = wire(HEIGHT)


@dataclass(frozen=True, slots=True)
class Approval(Record):
    """An approval: the approver's share re-sealed to the requester's encryption key."""

    WHAT = "approval"
    request_id: int = wire(REQUEST_ID)
    approver: str = wire(ACCOUNT)
    share: bytes = wire(SHARE)
    height: int = wire(HEIGHT)


@dataclass(frozen=True, slots=True)
class AuditRecord(Record):
    """Written once, when a disclosure is granted; never changed or deleted."""

    WHAT = "audit record"
    request_id: int = wire(REQUEST_ID)
    requester: str = wire(ACCOUNT)
    approvers: tuple[str, ...] = wire(REGULATOR_SET)
    account: str = wire(ACCOUNT)
    issuer: str = wire(DID_REF)
    reason: str = wire(REASON)
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)
