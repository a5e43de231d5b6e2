"""Messages of the data-rights module, declared field by field.

The owner (the signer must control the owner DID) registers an asset, adds
versions, grants, revokes and forgets; a grantee (the signer must control the
grantee DID) records each access. Byte fields travel as bytes (DAG-CBOR), block
times as integer nanoseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import DIGEST, TIME_NS, ListOf, Nested, wire
from finchain.core.msgs import Msg
from finchain.modules.datarights.types import (
    ID,
    KEY_COMMITMENT,
    KEY_METHOD,
    LOCATION_FIELD,
    MAX_ACTIVE_GRANTS,
    PURPOSE_FIELD,
    PURPOSES,
    SEALED_KEY,
    TERMS,
    TITLE,
    VERSION,
    Rewrap,
)
from finchain.modules.identity.types import DID_REF


@dataclass(frozen=True, slots=True)
class MsgRegisterAsset(Msg):
    """Register a data asset owned by ``owner``; the chain assigns its id (event ``asset``)."""

    TYPE = "datarights/register_asset"
    owner: str = wire(DID_REF)
    hash: bytes = wire(DIGEST)
    title: str = wire(TITLE)
    terms: str = wire(TERMS)
    purposes: tuple[str, ...] = wire(PURPOSES)
    location: str = wire(LOCATION_FIELD)
    key_id: bytes = wire(KEY_COMMITMENT)


@dataclass(frozen=True, slots=True)
class MsgAddVersion(Msg):
    """A new payload version (new content hash, new data key) with keys for kept grantees."""

    TYPE = "datarights/add_version"
    asset: int = wire(ID)
    hash: bytes = wire(DIGEST)
    location: str = wire(LOCATION_FIELD)
    key_id: bytes = wire(KEY_COMMITMENT)
    wraps: tuple[Rewrap, ...] = wire(ListOf(Nested(Rewrap), max_items=MAX_ACTIVE_GRANTS, sort=True))

    def check(self) -> None:
        grantees = [w.grantee for w in self.wraps]
        if len(set(grantees)) != len(grantees):
            raise ErrInvalidMsg("field 'wraps' names a grantee twice")


@dataclass(frozen=True, slots=True)
class MsgGrant(Msg):
    """Give ``grantee`` access for ``purposes`` within [not_before, not_after] (block time)."""

    TYPE = "datarights/grant"
    asset: int = wire(ID)
    grantee: str = wire(DID_REF)
    purposes: tuple[str, ...] = wire(PURPOSES)
    not_before: int = wire(TIME_NS)
    not_after: int = wire(TIME_NS)
    key_id: str = wire(KEY_METHOD)
    wrapped_key: bytes = wire(SEALED_KEY)

    def check(self) -> None:
        if self.not_before >= self.not_after:
            raise ErrInvalidMsg("field 'not_before' must be before 'not_after'")


@dataclass(frozen=True, slots=True)
class MsgRevoke(Msg):
    """End ``grantee``'s grant now; rotate the key (``add_version``) so new versions stay shut."""

    TYPE = "datarights/revoke"
    asset: int = wire(ID)
    grantee: str = wire(DID_REF)


@dataclass(frozen=True, slots=True)
class MsgRecordAccess(Msg):
    """Record, as ``grantee``, that version ``version`` is being opened for ``purpose``."""

    TYPE = "datarights/record_access"
    asset: int = wire(ID)
    grantee: str = wire(DID_REF)
    purpose: str = wire(PURPOSE_FIELD)
    version: int = wire(VERSION)


@dataclass(frozen=True, slots=True)
class MsgForget(Msg):
    """Record that the off-chain payload of a version was deleted (hash and history stay)."""

    TYPE = "datarights/forget"
    asset: int = wire(ID)
    version: int = wire(VERSION)


ALL_MSGS: tuple[type[Msg], ...] = (
    MsgRegisterAsset,
    MsgAddVersion,
    MsgGrant,
    MsgRevoke,
    MsgRecordAccess,
    MsgForget,
)
