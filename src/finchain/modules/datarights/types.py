"""Data assets, their versions, grants, wrapped keys and access records.

The chain never holds a payload or a data key in clear: an asset is a content
hash per version, a commitment to the version's data key (``key_id``, a hash
of the key), and for each grantee the data key sealed to the grantee's
keyAgreement key. The payload itself lives off chain (``location``), encrypted
with the suite's AEAD; ``forget`` records that it was deleted while the hash
and every grant and access stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

HASH_BYTES = 32
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
MAX_DID_BYTES = 80
MAX_TIME_NS = 2**63 - 1
PURPOSE = re.compile(r"[a-z][a-z0-9_.-]{0,31}")
LOCATION = re.compile(r"[a-z][a-z0-9+.-]{0,15}:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
SEALABLE_SCHEMES = ("sm2",)
"""keyAgreement key schemes a data key can be sealed to (finchain.crypto.sealing: ``sm2``).

The identity module admits sm2 and secp256k1 keyAgreement keys; finchain has
no secp256k1 encryption, so a grant names an sm2 key. See docs/data-rights.md.
"""


@dataclass(frozen=True, slots=True)
class Asset:
    """A registered data asset; the counts give the length of its lists."""

    id: int
    owner: str
    registrant: str
    hash_alg: str
    title: str
    terms: str
    purposes: tuple[str, ...]
    height: int
    time_ns: int
    versions: int = 1
    grants: int = 0
    active_grants: int = 0
    accesses: int = 0

    def to_obj(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner": self.owner,
            "registrant": self.registrant,
            "hash_alg": self.hash_alg,
            "title": self.title,
            "terms": self.terms,
            "purposes": list(self.purposes),
            "height": self.height,
            "time_ns": self.time_ns,
            "versions": self.versions,
            "grants": self.grants,
            "active_grants": self.active_grants,
            "accesses": self.accesses,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Asset:
        return cls(**{**obj, "purposes": tuple(obj["purposes"])})


@dataclass(frozen=True, slots=True)
class Version:
    """One encrypted payload of an asset; ``forgotten_height`` > 0 once it was deleted."""

    asset: int
    number: int
    hash: bytes
    key_id: bytes
    location: str
    height: int
    time_ns: int
    forgotten_height: int = 0
    forgotten_ns: int = 0

    @property
    def forgotten(self) -> bool:
        return self.forgotten_height > 0

    def to_obj(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "number": self.number,
            "hash": self.hash,
            "key_id": self.key_id,
            "location": self.location,
            "height": self.height,
            "time_ns": self.time_ns,
            "forgotten_height": self.forgotten_height,
            "forgotten_ns": self.forgotten_ns,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Version:
        return cls(**obj)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.to_obj(),
            "hash": self.hash.hex(),
            "key_id": self.key_id.hex(),
            "forgotten": self.forgotten,
        }


@dataclass(frozen=True, slots=True)
class Grant:
    """Access for ``grantee`` for ``purposes`` within [not_before, not_after] (block time, ns).

    ``key_method`` is the fragment of the grantee's keyAgreement key the data
    keys are sealed to. ``revoked_height`` > 0 once the owner revoked it.
    """

    id: int
    asset: int
    grantee: str
    purposes: tuple[str, ...]
    not_before: int
    not_after: int
    key_method: str
    granted_version: int
    height: int
    time_ns: int
    revoked_height: int = 0
    revoked_ns: int = 0

    @property
    def revoked(self) -> bool:
        return self.revoked_height > 0

    def open_at(self, time_ns: int) -> bool:
        return self.not_before <= time_ns <= self.not_after

    def to_obj(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "asset": self.asset,
            "grantee": self.grantee,
            "purposes": list(self.purposes),
            "not_before": self.not_before,
            "not_after": self.not_after,
            "key_method": self.key_method,
            "granted_version": self.granted_version,
            "height": self.height,
            "time_ns": self.time_ns,
            "revoked_height": self.revoked_height,
            "revoked_ns": self.revoked_ns,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Grant:
        return cls(**{**obj, "purposes": tuple(obj["purposes"])})

    def to_json(self) -> dict[str, Any]:
        return {**self.to_obj(), "revoked": self.revoked}


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A version's data key sealed to the grantee's ``key_method`` (ciphertext only)."""

    key_method: str
    wrapped: bytes

    def to_obj(self) -> dict[str, Any]:
        return {"key_method": self.key_method, "wrapped": self.wrapped}

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> WrappedKey:
        return cls(obj["key_method"], obj["wrapped"])


@dataclass(frozen=True, slots=True)
class Access:
    """One recorded use: who (DID and signing account), which version, why, and when."""

    asset: int
    seq: int
    grantee: str
    account: str
    grant: int
    version: int
    purpose: str
    height: int
    time_ns: int
    tx_id: bytes

    def to_obj(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "seq": self.seq,
            "grantee": self.grantee,
            "account": self.account,
            "grant": self.grant,
            "version": self.version,
            "purpose": self.purpose,
            "height": self.height,
            "time_ns": self.time_ns,
            "tx_id": self.tx_id,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Access:
        return cls(**obj)

    def to_json(self) -> dict[str, Any]:
        return {**self.to_obj(), "tx_id": self.tx_id.hex()}
