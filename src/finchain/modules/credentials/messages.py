"""Messages of the credentials module, checked without state.

Three kinds of sender:

* governance only (``GOVERNED``: a transaction carrying one directly is refused;
  a passed proposal runs it with signer ``governance``): accredit, change or
  revoke an issuer; add or remove a regulator; set the disclosure parameters;
* an issuer, named by its DID in the ``issuer`` field and acting through an
  account that controls that DID: register a schema, anchor a status list,
  record or revoke a KYC claim;
* a regulator (the signing account): request and approve a disclosure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NoReturn, Self

import rfc8785
from jsonschema import Draft202012Validator, SchemaError  # type: ignore[import-untyped]

from finchain.core.errors import ErrInvalidMsg
from finchain.core.msgs import Msg
from finchain.core.schema import expect_fields, get_bytes, get_int, get_list, get_str
from finchain.crypto import public_key_from_bytes
from finchain.errors import FinchainError
from finchain.formats import did as dids
from finchain.modules.accounts.types import is_account_id
from finchain.modules.credentials.types import (
    CREDENTIAL_TYPE,
    DIGEST_BYTES,
    ENCRYPTION_KEY_BYTES,
    ISSUER_KINDS,
    MAX_DID,
    MAX_ESCROW_CIPHERTEXT,
    MAX_LIFETIME,
    MAX_NAME,
    MAX_REASON,
    MAX_REGULATORS,
    MAX_SCHEMA_BYTES,
    MAX_SCHEMA_DEPTH,
    MAX_SHARE,
    MAX_TIER,
    MAX_TIME_NS,
    MAX_TYPES,
    SCHEMA_NAME,
    STATUS_LIST_ID,
    STATUS_PURPOSES,
    Escrow,
)

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
MAX_VERSION = 2**32 - 1
MAX_REQUEST_ID = 2**63 - 1


def _did(value: dict[str, Any], name: str) -> str:
    did = get_str(value, name, max_len=MAX_DID)
    try:
        dids.parse_did(did)
    except FinchainError as exc:
        raise ErrInvalidMsg(f"field {name!r}: {exc.message}") from None
    return did


def _account(value: dict[str, Any], name: str) -> str:
    account = get_str(value, name, max_len=14)
    if not is_account_id(account):
        raise ErrInvalidMsg(f"field {name!r}: {account!r} is not a valid account id")
    return account


def _types(value: dict[str, Any]) -> tuple[str, ...]:
    items = get_list(value, "types", min_items=1, max_items=MAX_TYPES)
    for item in items:
        if type(item) is not str or not CREDENTIAL_TYPE.fullmatch(item):
            raise ErrInvalidMsg(
                f"field 'types': {str(item)[:70]!r} is not a credential type "
                f"({CREDENTIAL_TYPE.pattern})"
            )
    if len(set(items)) != len(items):
        raise ErrInvalidMsg("field 'types' holds duplicates")
    return tuple(sorted(items))


def _digest(value: dict[str, Any], name: str) -> bytes:
    digest = get_bytes(value, name, max_len=DIGEST_BYTES)
    if len(digest) != DIGEST_BYTES:
        raise ErrInvalidMsg(f"field {name!r} must be a {DIGEST_BYTES}-byte digest")
    return digest


def _refuse(what: str) -> NoReturn:
    raise ErrInvalidMsg(f"field 'document': {what}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        _refuse("a JSON object repeats a member name")
    return found


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, level + 1) for child in children)
    return deepest


def check_schema_document(document: bytes) -> dict[str, Any]:
    """Refuse anything but a Draft 2020-12 JSON Schema object in RFC 8785 canonical form.

    Canonical bytes give a schema one id (its hash) everywhere. Format
    assertions are off: which formats jsonschema checks depends on optional
    packages, and every node must reach the same verdict.
    """
    if not document:
        _refuse("must not be empty")
    try:
        parsed = json.loads(
            document.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=lambda name: _refuse(f"{name} is not JSON"),
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        _refuse("is not UTF-8 JSON (or nests too deeply to parse)")
    if not isinstance(parsed, dict):
        _refuse("a schema must be a JSON object")
    if _depth(parsed) > MAX_SCHEMA_DEPTH:
        _refuse(f"nests deeper than {MAX_SCHEMA_DEPTH} levels")
    try:
        canonical = rfc8785.dumps(parsed)
    except (rfc8785.CanonicalizationError, ValueError, TypeError, OverflowError):
        _refuse("holds a number JSON canonicalisation (RFC 8785) cannot represent")
    if canonical != document:
        _refuse("is not in RFC 8785 canonical form: send rfc8785.dumps(schema)")
    if parsed.get("$schema", DRAFT_2020_12) != DRAFT_2020_12:
        _refuse(f"'$schema' must be {DRAFT_2020_12!r} (or absent)")
    try:
        Draft202012Validator.check_schema(parsed, format_checker=None)
    except SchemaError as exc:
        _refuse(f"not a valid Draft 2020-12 schema: {exc.message[:200]}")
    return parsed


@dataclass(frozen=True, slots=True)
class MsgAccreditIssuer(Msg):
    """Accredit a DID to issue the listed credential types (governance)."""

    TYPE = "credentials/accredit_issuer"
    GOVERNED = True
    did: str
    name: str
    kind: str
    types: tuple[str, ...]

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"did", "name", "kind", "types"}, cls.TYPE)
        kind = get_str(value, "kind", max_len=16)
        if kind not in ISSUER_KINDS:
            raise ErrInvalidMsg(f"field 'kind' must be one of {list(ISSUER_KINDS)}, got {kind!r}")
        return cls(
            _did(value, "did"), get_str(value, "name", max_len=MAX_NAME), kind, _types(value)
        )

    def to_value(self) -> dict[str, Any]:
        return {"did": self.did, "name": self.name, "kind": self.kind, "types": list(self.types)}


@dataclass(frozen=True, slots=True)
class MsgSetIssuerTypes(Msg):
    """Replace the credential types an accredited issuer may issue (governance)."""

    TYPE = "credentials/set_issuer_types"
    GOVERNED = True
    did: str
    types: tuple[str, ...]

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"did", "types"}, cls.TYPE)
        return cls(_did(value, "did"), _types(value))

    def to_value(self) -> dict[str, Any]:
        return {"did": self.did, "types": list(self.types)}


@dataclass(frozen=True, slots=True)
class MsgRevokeIssuer(Msg):
    """End an issuer's accreditation (governance); its history stays."""

    TYPE = "credentials/revoke_issuer"
    GOVERNED = True
    did: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"did"}, cls.TYPE)
        return cls(_did(value, "did"))

    def to_value(self) -> dict[str, Any]:
        return {"did": self.did}


@dataclass(frozen=True, slots=True)
class MsgAddRegulator(Msg):
    """Register a regulator account and its encryption key (governance).

    ``encryption_key``: ``{"scheme": "sm2" | "x25519", "public_key": bytes}``;
    the scheme must be the chain suite's (checked with state: sm2 on gm, x25519 on intl).
    """

    TYPE = "credentials/add_regulator"
    GOVERNED = True
    account: str
    name: str
    scheme: str
    public_key: bytes

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"account", "name", "encryption_key"}, cls.TYPE)
        key = value["encryption_key"]
        expect_fields(key, {"scheme", "public_key"}, "encryption_key")
        scheme = get_str(key, "scheme", max_len=16)
        if scheme not in ENCRYPTION_KEY_BYTES:
            raise ErrInvalidMsg(
                f"encryption_key.scheme must be one of {sorted(ENCRYPTION_KEY_BYTES)}, "
                f"got {scheme!r}"
            )
        size = ENCRYPTION_KEY_BYTES[scheme]
        public_key = get_bytes(key, "public_key", max_len=size)
        if len(public_key) != size:
            raise ErrInvalidMsg(
                f"an {scheme} encryption key has {size} bytes, not {len(public_key)}"
            )
        if scheme == "sm2":
            try:
                public_key_from_bytes("sm2", public_key)
            except FinchainError as exc:
                raise ErrInvalidMsg(f"encryption_key.public_key: {exc.message}") from None
        elif public_key == bytes(size):
            raise ErrInvalidMsg("encryption_key.public_key: the all-zero X25519 key is unusable")
        return cls(
            _account(value, "account"), get_str(value, "name", max_len=MAX_NAME), scheme, public_key
        )

    def to_value(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "name": self.name,
            "encryption_key": {"scheme": self.scheme, "public_key": self.public_key},
        }


@dataclass(frozen=True, slots=True)
class MsgRemoveRegulator(Msg):
    TYPE = "credentials/remove_regulator"
    GOVERNED = True
    account: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"account"}, cls.TYPE)
        return cls(_account(value, "account"))

    def to_value(self) -> dict[str, Any]:
        return {"account": self.account}


@dataclass(frozen=True, slots=True)
class MsgSetParams(Msg):
    """Set the disclosure threshold m and the request lifetime in blocks (governance)."""

    TYPE = "credentials/set_params"
    GOVERNED = True
    disclosure_threshold: int
    request_lifetime: int

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"disclosure_threshold", "request_lifetime"}, cls.TYPE)
        return cls(
            get_int(value, "disclosure_threshold", low=1, high=MAX_REGULATORS),
            get_int(value, "request_lifetime", low=1, high=MAX_LIFETIME),
        )

    def to_value(self) -> dict[str, Any]:
        return {
            "disclosure_threshold": self.disclosure_threshold,
            "request_lifetime": self.request_lifetime,
        }


@dataclass(frozen=True, slots=True)
class MsgRegisterSchema(Msg):
    """Publish a JSON Schema (RFC 8785 canonical bytes) as version ``version`` of ``name``."""

    TYPE = "credentials/register_schema"
    issuer: str
    name: str
    version: int
    credential_type: str
    document: bytes

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"issuer", "name", "version", "credential_type", "document"}, cls.TYPE)
        name = get_str(value, "name", max_len=MAX_NAME)
        if not SCHEMA_NAME.fullmatch(name):
            raise ErrInvalidMsg(
                f"field 'name': {name!r} is not a schema name ({SCHEMA_NAME.pattern})"
            )
        credential_type = get_str(value, "credential_type", max_len=MAX_NAME)
        if not CREDENTIAL_TYPE.fullmatch(credential_type):
            raise ErrInvalidMsg(f"field 'credential_type': {credential_type!r} is not a type name")
        document = get_bytes(value, "document", max_len=MAX_SCHEMA_BYTES)
        check_schema_document(document)
        return cls(
            _did(value, "issuer"),
            name,
            get_int(value, "version", low=1, high=MAX_VERSION),
            credential_type,
            document,
        )

    def to_value(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "name": self.name,
            "version": self.version,
            "credential_type": self.credential_type,
            "document": self.document,
        }


@dataclass(frozen=True, slots=True)
class MsgAnchorStatusList(Msg):
    """Anchor version ``version`` of a status list credential by its digest (suite hash).

    ``purpose`` (revocation | suspension) is optional; the first anchor fixes it.
    """

    TYPE = "credentials/anchor_status_list"
    issuer: str
    list_id: str
    version: int
    digest: bytes
    purpose: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"issuer", "list_id", "version", "digest"}, cls.TYPE, {"purpose"})
        list_id = get_str(value, "list_id", max_len=256)
        if not STATUS_LIST_ID.fullmatch(list_id):
            raise ErrInvalidMsg(
                "field 'list_id' must be an https URL, URN or DID URL of printable ASCII "
                "without spaces, at most 256 bytes"
            )
        purpose = ""
        if "purpose" in value:
            purpose = get_str(value, "purpose", max_len=16)
            if purpose not in STATUS_PURPOSES:
                raise ErrInvalidMsg(f"field 'purpose' must be one of {list(STATUS_PURPOSES)}")
        return cls(
            _did(value, "issuer"),
            list_id,
            get_int(value, "version", low=1, high=MAX_VERSION),
            _digest(value, "digest"),
            purpose,
        )

    def to_value(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "issuer": self.issuer,
            "list_id": self.list_id,
            "version": self.version,
            "digest": self.digest,
        }
        if self.purpose:
            value["purpose"] = self.purpose
        return value


def parse_escrow(value: Any) -> Escrow:
    """The escrow's shape: shares align with regulators, listed in ascending order."""
    expect_fields(value, {"threshold", "regulators", "ciphertext", "shares"}, "escrow")
    regulators = get_list(value, "regulators", min_items=1, max_items=MAX_REGULATORS)
    if not all(is_account_id(r) for r in regulators):
        raise ErrInvalidMsg("escrow.regulators must hold account ids")
    if any(a >= b for a, b in pairwise(regulators)):
        raise ErrInvalidMsg("escrow.regulators must be in ascending order without duplicates")
    shares = get_list(value, "shares", min_items=len(regulators), max_items=len(regulators))
    for share in shares:
        if type(share) is not bytes or not 0 < len(share) <= MAX_SHARE:
            raise ErrInvalidMsg(f"escrow.shares must hold byte strings of 1 to {MAX_SHARE} bytes")
    ciphertext = get_bytes(value, "ciphertext", max_len=MAX_ESCROW_CIPHERTEXT)
    if not ciphertext:
        raise ErrInvalidMsg("escrow.ciphertext must not be empty")
    threshold = get_int(value, "threshold", low=1, high=len(regulators))
    return Escrow(threshold, tuple(regulators), ciphertext, tuple(shares))


@dataclass(frozen=True, slots=True)
class MsgRecordKyc(Msg):
    """Record (or replace) the issuer's KYC tier claim on an account.

    ``expires`` is a block time in ns. ``escrow`` is required for tiers above
    0 (someone was identified) and refused for tier 0 (nobody was).
    """

    TYPE = "credentials/record_kyc"
    issuer: str
    account: str
    subject: str
    tier: int
    expires: int
    credential_hash: bytes
    escrow: Escrow | None

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(
            value,
            {"issuer", "account", "subject", "tier", "expires", "credential_hash"},
            cls.TYPE,
            {"escrow"},
        )
        tier = get_int(value, "tier", low=0, high=MAX_TIER)
        if (tier > 0) != ("escrow" in value):
            raise ErrInvalidMsg(
                "field 'escrow' is required for tiers 1 and above and refused for tier 0"
            )
        return cls(
            _did(value, "issuer"),
            _account(value, "account"),
            _did(value, "subject"),
            tier,
            get_int(value, "expires", low=1, high=MAX_TIME_NS),
            _digest(value, "credential_hash"),
            parse_escrow(value["escrow"]) if tier > 0 else None,
        )

    def to_value(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "issuer": self.issuer,
            "account": self.account,
            "subject": self.subject,
            "tier": self.tier,
            "expires": self.expires,
            "credential_hash": self.credential_hash,
        }
        if self.escrow is not None:
            value["escrow"] = self.escrow.to_obj()
        return value


@dataclass(frozen=True, slots=True)
class MsgRevokeKyc(Msg):
    """Withdraw the issuer's claim: it stops counting; its escrow stays disclosable."""

    TYPE = "credentials/revoke_kyc"
    issuer: str
    account: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"issuer", "account"}, cls.TYPE)
        return cls(_did(value, "issuer"), _account(value, "account"))

    def to_value(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "account": self.account}


@dataclass(frozen=True, slots=True)
class MsgRequestDisclosure(Msg):
    """A regulator asks to open the escrow of ``issuer``'s claim on ``account``."""

    TYPE = "credentials/request_disclosure"
    account: str
    issuer: str
    reason: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"account", "issuer", "reason"}, cls.TYPE)
        return cls(
            _account(value, "account"),
            _did(value, "issuer"),
            get_str(value, "reason", max_len=MAX_REASON),
        )

    def to_value(self) -> dict[str, Any]:
        return {"account": self.account, "issuer": self.issuer, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class MsgApproveDisclosure(Msg):
    """Another regulator approves, handing over its share re-sealed to the requester."""

    TYPE = "credentials/approve_disclosure"
    request_id: int
    share: bytes

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"request_id", "share"}, cls.TYPE)
        share = get_bytes(value, "share", max_len=MAX_SHARE)
        if not share:
            raise ErrInvalidMsg("field 'share' must not be empty")
        return cls(get_int(value, "request_id", low=1, high=MAX_REQUEST_ID), share)

    def to_value(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "share": self.share}


ALL_MSGS: tuple[type[Msg], ...] = (
    MsgAccreditIssuer,
    MsgSetIssuerTypes,
    MsgRevokeIssuer,
    MsgAddRegulator,
    MsgRemoveRegulator,
    MsgSetParams,
    MsgRegisterSchema,
    MsgAnchorStatusList,
    MsgRecordKyc,
    MsgRevokeKyc,
    MsgRequestDisclosure,
    MsgApproveDisclosure,
)
