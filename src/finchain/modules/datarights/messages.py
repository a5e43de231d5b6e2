"""Messages of the data-rights module and their strict parsers.

The owner (the signer must control the owner DID) registers an asset, adds
versions, grants, revokes and forgets; a grantee (the signer must control the
grantee DID) records each access. Byte fields travel as bytes (DAG-CBOR), block
times as integer nanoseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from finchain.core.errors import ErrInvalidMsg
from finchain.core.msgs import Msg
from finchain.core.schema import expect_fields, get_bytes, get_int, get_list, get_str
from finchain.formats.did import KEY_ID, is_did
from finchain.modules.datarights.types import (
    HASH_BYTES,
    KEY_ID_BYTES,
    LOCATION,
    MAX_ACTIVE_GRANTS,
    MAX_DID_BYTES,
    MAX_LOCATION,
    MAX_PURPOSES,
    MAX_TERMS,
    MAX_TIME_NS,
    MAX_TITLE,
    MAX_VERSIONS,
    MAX_WRAPPED_KEY,
    PURPOSE,
)

_MAX_ID = 2**63 - 1


def parse_did_field(value: dict[str, Any], name: str) -> str:
    text = get_str(value, name, max_len=MAX_DID_BYTES)
    if not is_did(text):
        raise ErrInvalidMsg(
            f"field {name!r}: {text[:80]!r} is not a did:finchain DID with valid check digits"
        )
    return text


def _asset_id(value: dict[str, Any]) -> int:
    return get_int(value, "asset", low=1, high=_MAX_ID)


def _version(value: dict[str, Any]) -> int:
    return get_int(value, "version", low=1, high=MAX_VERSIONS)


def _fixed_bytes(value: dict[str, Any], name: str, size: int) -> bytes:
    data = get_bytes(value, name, max_len=size)
    if len(data) != size:
        raise ErrInvalidMsg(f"field {name!r} must be {size} bytes, not {len(data)}")
    return data


def _key_method(value: dict[str, Any], name: str = "key_id") -> str:
    text = get_str(value, name, max_len=32)
    if not KEY_ID.fullmatch(text):
        raise ErrInvalidMsg(
            f"field {name!r}: {text!r} must be the fragment of a keyAgreement key "
            f"(matching {KEY_ID.pattern})"
        )
    return text


def _wrapped_key(value: dict[str, Any]) -> bytes:
    data = get_bytes(value, "wrapped_key", max_len=MAX_WRAPPED_KEY)
    if not data:
        raise ErrInvalidMsg("field 'wrapped_key' must hold the sealed data key")
    return data


def _location(value: dict[str, Any]) -> str:
    text = get_str(value, "location", max_len=MAX_LOCATION, allow_empty=True)
    if text and not LOCATION.fullmatch(text):
        raise ErrInvalidMsg(
            "field 'location' must be empty or a URI such as https://… or urn:… "
            f"(at most {MAX_LOCATION} bytes, no spaces)"
        )
    return text


def _purposes(value: dict[str, Any], name: str) -> tuple[str, ...]:
    items = get_list(value, name, max_items=MAX_PURPOSES, min_items=1)
    for item in items:
        if type(item) is not str or not PURPOSE.fullmatch(item):
            raise ErrInvalidMsg(
                f"field {name!r}: {str(item)[:40]!r} must match {PURPOSE.pattern} "
                "(a short identifier such as credit-scoring)"
            )
    if len(set(items)) != len(items):
        raise ErrInvalidMsg(f"field {name!r} holds duplicates")
    return tuple(sorted(items))


@dataclass(frozen=True, slots=True)
class MsgRegisterAsset(Msg):
    """Register a data asset owned by ``owner``; the chain assigns its id (event ``asset``)."""

    TYPE = "datarights/register_asset"
    owner: str
    hash: bytes
    title: str
    terms: str
    purposes: tuple[str, ...]
    location: str
    key_id: bytes

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(
            value,
            {"owner", "hash", "title", "terms", "purposes", "location", "key_id"},
            cls.TYPE,
        )
        return cls(
            parse_did_field(value, "owner"),
            _fixed_bytes(value, "hash", HASH_BYTES),
            get_str(value, "title", max_len=MAX_TITLE),
            get_str(value, "terms", max_len=MAX_TERMS, allow_empty=True),
            _purposes(value, "purposes"),
            _location(value),
            _fixed_bytes(value, "key_id", KEY_ID_BYTES),
        )

    def to_value(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "hash": self.hash,
            "title": self.title,
            "terms": self.terms,
            "purposes": list(self.purposes),
            "location": self.location,
            "key_id": self.key_id,
        }


@dataclass(frozen=True, slots=True)
class Rewrap:
    """The new version's data key sealed to one remaining grantee."""

    grantee: str
    key_id: str
    wrapped_key: bytes

    @classmethod
    def parse(cls, value: Any) -> Rewrap:
        expect_fields(value, {"grantee", "key_id", "wrapped_key"}, "wrap")
        return cls(parse_did_field(value, "grantee"), _key_method(value), _wrapped_key(value))

    def to_value(self) -> dict[str, Any]:
        return {"grantee": self.grantee, "key_id": self.key_id, "wrapped_key": self.wrapped_key}


@dataclass(frozen=True, slots=True)
class MsgAddVersion(Msg):
    """A new payload version (new content hash, new data key) with keys for kept grantees."""

    TYPE = "datarights/add_version"
    asset: int
    hash: bytes
    location: str
    key_id: bytes
    wraps: tuple[Rewrap, ...]

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"asset", "hash", "location", "key_id", "wraps"}, cls.TYPE)
        wraps = tuple(
            Rewrap.parse(w) for w in get_list(value, "wraps", max_items=MAX_ACTIVE_GRANTS)
        )
        grantees = [w.grantee for w in wraps]
        if len(set(grantees)) != len(grantees):
            raise ErrInvalidMsg("field 'wraps' names a grantee twice")
        return cls(
            _asset_id(value),
            _fixed_bytes(value, "hash", HASH_BYTES),
            _location(value),
            _fixed_bytes(value, "key_id", KEY_ID_BYTES),
            tuple(sorted(wraps, key=lambda w: w.grantee)),
        )

    def to_value(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "hash": self.hash,
            "location": self.location,
            "key_id": self.key_id,
            "wraps": [w.to_value() for w in self.wraps],
        }


@dataclass(frozen=True, slots=True)
class MsgGrant(Msg):
    """Give ``grantee`` access for ``purposes`` within [not_before, not_after] (block time)."""

    TYPE = "datarights/grant"
    asset: int
    grantee: str
    purposes: tuple[str, ...]
    not_before: int
    not_after: int
    key_id: str
    wrapped_key: bytes

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(
            value,
            {"asset", "grantee", "purposes", "not_before", "not_after", "key_id", "wrapped_key"},
            cls.TYPE,
        )
        msg = cls(
            _asset_id(value),
            parse_did_field(value, "grantee"),
            _purposes(value, "purposes"),
            get_int(value, "not_before", low=0, high=MAX_TIME_NS),
            get_int(value, "not_after", low=0, high=MAX_TIME_NS),
            _key_method(value),
            _wrapped_key(value),
        )
        msg.validate()
        return msg

    def validate(self) -> None:
        if self.not_before >= self.not_after:
            raise ErrInvalidMsg("field 'not_before' must be before 'not_after'")

    def to_value(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "grantee": self.grantee,
            "purposes": list(self.purposes),
            "not_before": self.not_before,
            "not_after": self.not_after,
            "key_id": self.key_id,
            "wrapped_key": self.wrapped_key,
        }


@dataclass(frozen=True, slots=True)
class MsgRevoke(Msg):
    """End ``grantee``'s grant now; rotate the key (``add_version``) so new versions stay shut."""

    TYPE = "datarights/revoke"
    asset: int
    grantee: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"asset", "grantee"}, cls.TYPE)
        return cls(_asset_id(value), parse_did_field(value, "grantee"))

    def to_value(self) -> dict[str, Any]:
        return {"asset": self.asset, "grantee": self.grantee}


@dataclass(frozen=True, slots=True)
class MsgRecordAccess(Msg):
    """Record, as ``grantee``, that version ``version`` is being opened for ``purpose``."""

    TYPE = "datarights/record_access"
    asset: int
    grantee: str
    purpose: str
    version: int

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"asset", "grantee", "purpose", "version"}, cls.TYPE)
        purpose = get_str(value, "purpose", max_len=32)
        if not PURPOSE.fullmatch(purpose):
            raise ErrInvalidMsg(f"field 'purpose': {purpose!r} must match {PURPOSE.pattern}")
        return cls(_asset_id(value), parse_did_field(value, "grantee"), purpose, _version(value))

    def to_value(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "grantee": self.grantee,
            "purpose": self.purpose,
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class MsgForget(Msg):
    """Record that the off-chain payload of a version was deleted (hash and history stay)."""

    TYPE = "datarights/forget"
    asset: int
    version: int

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"asset", "version"}, cls.TYPE)
        return cls(_asset_id(value), _version(value))

    def to_value(self) -> dict[str, Any]:
        return {"asset": self.asset, "version": self.version}


ALL_MSGS: tuple[type[Msg], ...] = (
    MsgRegisterAsset,
    MsgAddVersion,
    MsgGrant,
    MsgRevoke,
    MsgRecordAccess,
    MsgForget,
)
