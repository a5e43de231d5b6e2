"""Data assets, their versions, grants, wrapped keys and access records.

The chain never holds a payload or a data key in clear: an asset is a content
hash per version, a commitment to the version's data key (``key_id``, a hash
of the key), and for each grantee the data key sealed to the grantee's
keyAgreement key. The payload itself lives off chain (``location``), encrypted
with the suite's AEAD; ``forget`` records that it was deleted while the hash
and every grant and access stay.

Every record's fields are declared once (``finchain.core.fields``): the same
declaration reads and writes the stored record, its JSON form (queries and
genesis: bytes as lowercase hex) and the messages' parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import (
    DIGEST,
    HEIGHT,
    TIME_NS,
    Blob,
    Integer,
    ListOf,
    OneOf,
    Record,
    Text,
    wire,
)
from finchain.crypto import HASH_NAMES
from finchain.formats.did import KEY_ID
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.identity.types import DID_REF

KEY_ID_BYTES = 32
"""A version's key commitment: the suite hash of its data key (finchain.offchain.datarights)."""
MAX_WRAPPED_KEY = 256
"""An SM2-sealed 32-byte data key is 162 bytes; room for a second scheme, never for data."""
MAX_TITLE = 128
MAX_TERMS = 1024
MAX_LOCATION = 512
MAX_PURPOSES = 16
MAX_VERSIONS = 256
MAX_ACTIVE_GRANTS = 64
"""Bounded so that one ``add_version`` can re-wrap the new key for every remaining grantee."""
MAX_ID = 2**63 - 1
PURPOSE = re.compile(r"[a-z][a-z0-9_.-]{0,31}")
LOCATION = re.compile(r"[a-z][a-z0-9+.-]{0,15}:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
SEALABLE_SCHEMES = ("sm2",)
"""keyAgreement key schemes a data key can be sealed to (finchain.crypto.sealing: ``sm2``).

The identity module admits sm2 and secp256k1 keyAgreement keys; finchain has
no secp256k1 encryption, so a grant names an sm2 key. See docs/data-rights.md.
"""

# -- the domain codecs, declared once -----------------------------------------------------------

TITLE = Text(max_len=MAX_TITLE)
TERMS = Text(max_len=MAX_TERMS, allow_empty=True)
ID = Integer(low=1, high=MAX_ID)
"""An asset or grant id (from a counter, starting at 1)."""
COUNT = Integer(low=0, high=MAX_ID)
VERSION = Integer(low=1, high=MAX_VERSIONS)
KEY_COMMITMENT = Blob(size=KEY_ID_BYTES)
KEY_METHOD = Text(max_len=32, pattern=KEY_ID.pattern, what="the fragment of a keyAgreement key")
"""The fragment (``ka1`` of ``did…#ka1``) of the keyAgreement key a data key is sealed to."""
SEALED_KEY = Blob(max_len=MAX_WRAPPED_KEY, min_len=1)
PURPOSE_FIELD = Text(max_len=32, pattern=PURPOSE.pattern, what="a purpose like credit-scoring")
PURPOSES = ListOf(PURPOSE_FIELD, max_items=MAX_PURPOSES, min_items=1, unique=True, sort=True)
"""1 to 16 distinct purposes, a set on the wire (held sorted)."""
LOCATION_FIELD = Text(
    max_len=MAX_LOCATION,
    allow_empty=True,
    pattern=f"(?:{LOCATION.pattern})?",
    what="empty or a URI such as https://… or urn:… (no spaces)",
)
TX_ID = Blob(max_len=32)


@dataclass(frozen=True, slots=True)
class Asset(Record):
    """A registered data asset; the counts give the length of its lists."""

    WHAT = "data asset"
    id: int = wire(ID)
    owner: str = wire(DID_REF)
    registrant: str = wire(ACCOUNT)
    hash_alg: str = wire(OneOf(*HASH_NAMES))
    title: str = wire(TITLE)
    terms: str = wire(TERMS)
    purposes: tuple[str, ...] = wire(PURPOSES)
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)
    versions: int = wire(VERSION)
    grants: int = wire(COUNT)
    active_grants: int = wire(Integer(low=0, high=MAX_ACTIVE_GRANTS))
    accesses: int = wire(COUNT)

    def check(self) -> None:
        if self.active_grants > self.grants:
            raise ErrInvalidMsg(f"data asset #{self.id}: more active grants than grants")


@dataclass(frozen=True, slots=True)
class Version(Record):
    """One encrypted payload of an asset; ``forgotten_height`` > 0 once it was deleted.

    JSON form: the fields, bytes as hex, and the derived ``forgotten``.
    """

    WHAT = "data version"
    DERIVED = ("forgotten",)
    asset: int = wire(ID)
    number: int = wire(VERSION)
    hash: bytes = wire(DIGEST)
    key_id: bytes = wire(KEY_COMMITMENT)
    location: str = wire(LOCATION_FIELD)
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)
    forgotten_height: int = wire(HEIGHT)
    forgotten_ns: int = wire(TIME_NS)

    @property
    def forgotten(self) -> bool:
        return self.forgotten_height > 0


@dataclass(frozen=True, slots=True)
class Grant(Record):
    """Access for ``grantee`` for ``purposes`` within [not_before, not_after] (block time, ns).

    ``key_method`` is the fragment of the grantee's keyAgreement key the data
    keys are sealed to. ``revoked_height`` > 0 once the owner revoked it.
    JSON form: the fields and the derived ``revoked``.
    """

    WHAT = "data grant"
    DERIVED = ("revoked",)
    id: int = wire(ID)
    asset: int = wire(ID)
    grantee: str = wire(DID_REF)
    purposes: tuple[str, ...] = wire(PURPOSES)
    not_before: int = wire(TIME_NS)
    not_after: int = wire(TIME_NS)
    key_method: str = wire(KEY_METHOD)
    granted_version: int = wire(VERSION)
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)
    revoked_height: int = wire(HEIGHT)
    revoked_ns: int = wire(TIME_NS)

    @property
    def revoked(self) -> bool:
        return self.revoked_height > 0

    def open_at(self, time_ns: int) -> bool:
        return self.not_before <= time_ns <= self.not_after

    def check(self) -> None:
        if self.not_before >= self.not_after:
            raise ErrInvalidMsg(f"data grant {self.id}: not_before must be before not_after")


@dataclass(frozen=True, slots=True)
class WrappedKey(Record):
    """A version's data key sealed to the grantee's ``key_method`` (ciphertext only)."""

    WHAT = "wrapped key"
    key_method: str = wire(KEY_METHOD)
    wrapped: bytes = wire(SEALED_KEY)


@dataclass(frozen=True, slots=True, order=True)
class Rewrap(Record):
    """A new version's data key sealed to one remaining grantee (a part of ``add_version``)."""

    WHAT = "wrap"
    grantee: str = wire(DID_REF)
    key_id: str = wire(KEY_METHOD)
    wrapped_key: bytes = wire(SEALED_KEY)


@dataclass(frozen=True, slots=True)
class Access(Record):
    """One recorded use: who (DID and signing account), which version, why, and when.

    ``seq`` is its place in the asset's access log, ``grantee_seq`` its place
    among every access of the grantee (``datarights/accesses_by``).
    """

    WHAT = "data access"
    asset: int = wire(ID)
    seq: int = wire(COUNT)
    grantee: str = wire(DID_REF)
    grantee_seq: int = wire(COUNT)
    account: str = wire(ACCOUNT)
    grant: int = wire(ID)
    version: int = wire(VERSION)
    purpose: str = wire(PURPOSE_FIELD)
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)
    tx_id: bytes = wire(TX_ID)
