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
from typing import Any, NoReturn

import rfc8785
from jsonschema import Draft202012Validator, SchemaError  # type: ignore[import-untyped]

from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import DIGEST, Blob, Checked, Nested, OneOf, wire
from finchain.core.msgs import Msg
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.credentials.types import (
    DISPLAY_NAME,
    EXPIRY,
    ISSUER_KIND,
    MAX_SCHEMA_BYTES,
    MAX_SCHEMA_DEPTH,
    REASON,
    REGULATOR_COUNT,
    REQUEST_ID,
    REQUEST_LIFETIME,
    SCHEMA_NAME_FIELD,
    SHARE,
    STATUS_LIST_ID_FIELD,
    STATUS_PURPOSES,
    TIER,
    TYPE_NAME,
    TYPES,
    VERSION,
    EncryptionKey,
    Escrow,
)
from finchain.modules.identity.types import DID_REF

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


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
    did: str = wire(DID_REF)
    name: str = wire(DISPLAY_NAME)
    kind: str = wire(ISSUER_KIND)
    types: tuple[str, ...] = wire(TYPES)


@dataclass(frozen=True, slots=True)
class MsgSetIssuerTypes(Msg):
    """Replace the credential types an accredited issuer may issue (governance)."""

    TYPE = "credentials/set_issuer_types"
    GOVERNED = True
    did: str = wire(DID_REF)
    types: tuple[str, ...] = wire(TYPES)


@dataclass(frozen=True, slots=True)
class MsgRevokeIssuer(Msg):
    """End an issuer's accreditation (governance); its history stays."""

    TYPE = "credentials/revoke_issuer"
    GOVERNED = True
    did: str = wire(DID_REF)


@dataclass(frozen=True, slots=True)
class MsgAddRegulator(Msg):
    """Register a regulator account and its encryption key (governance).

    ``encryption_key``: ``{"scheme": "sm2" | "x25519", "public_key": bytes}``;
    the scheme must be the chain suite's (checked with state: sm2 on gm, x25519 on intl).
    """

    TYPE = "credentials/add_regulator"
    GOVERNED = True
    account: str = wire(ACCOUNT)
    name: str = wire(DISPLAY_NAME)
    encryption_key: EncryptionKey = wire(Nested(EncryptionKey))


@dataclass(frozen=True, slots=True)
class MsgRemoveRegulator(Msg):
    TYPE = "credentials/remove_regulator"
    GOVERNED = True
    account: str = wire(ACCOUNT)


@dataclass(frozen=True, slots=True)
class MsgSetParams(Msg):
    """Set the disclosure threshold m and the request lifetime in blocks (governance)."""

    TYPE = "credentials/set_params"
    GOVERNED = True
    disclosure_threshold: int = wire(REGULATOR_COUNT)
    request_lifetime: int = wire(REQUEST_LIFETIME)


def _schema_document(document: bytes, name: str) -> bytes:
    check_schema_document(document)
    return document


@dataclass(frozen=True, slots=True)
class MsgRegisterSchema(Msg):
    """Publish a JSON Schema (RFC 8785 canonical bytes) as version ``version`` of ``name``."""

    TYPE = "credentials/register_schema"
    issuer: str = wire(DID_REF)
    name: str = wire(SCHEMA_NAME_FIELD)
    version: int = wire(VERSION)
    credential_type: str = wire(TYPE_NAME)
    document: bytes = wire(Checked(Blob(max_len=MAX_SCHEMA_BYTES), _schema_document))


@dataclass(frozen=True, slots=True)
class MsgAnchorStatusList(Msg):
    """Anchor version ``version`` of a status list credential by its digest (suite hash).

    ``purpose`` (revocation | suspension) is optional; the first anchor fixes it.
    """

    TYPE = "credentials/anchor_status_list"
    issuer: str = wire(DID_REF)
    list_id: str = wire(STATUS_LIST_ID_FIELD)
    version: int = wire(VERSION)
    digest: bytes = wire(DIGEST)
    purpose: str = wire(OneOf(*STATUS_PURPOSES), default="")


@dataclass(frozen=True, slots=True)
class MsgRecordKyc(Msg):
    """Record (or replace) the issuer's KYC tier claim on an account.

    ``expires`` is a block time in ns. ``escrow`` is required for tiers above
    0 (someone was identified) and refused for tier 0 (nobody was).
    """

    TYPE = "credentials/record_kyc"
    issuer: str = wire(DID_REF)
    account: str = wire(ACCOUNT)
    subject: str = wire(DID_REF)
    tier: int = wire(TIER)
    expires: int = wire(EXPIRY)
    credential_hash: bytes = wire(DIGEST)
    escrow: Escrow | None = wire(Nested(Escrow), default=None)

    def check(self) -> None:
        if (self.tier > 0) != (self.escrow is not None):
            raise ErrInvalidMsg(
                "field 'escrow' is required for tiers 1 and above and refused for tier 0"
            )


@dataclass(frozen=True, slots=True)
class MsgRevokeKyc(Msg):
    """Withdraw the issuer's claim: it stops counting; its escrow stays disclosable."""

    TYPE = "credentials/revoke_kyc"
    issuer: str = wire(DID_REF)
    account: str = wire(ACCOUNT)


@dataclass(frozen=True, slots=True)
class MsgRequestDisclosure(Msg):
    """A regulator asks to open the escrow of ``issuer``'s claim on ``account``."""

    TYPE = "credentials/request_disclosure"
    account: str = wire(ACCOUNT)
    issuer: str = wire(DID_REF)
    reason: str = wire(REASON)


@dataclass(frozen=True, slots=True)
class MsgApproveDisclosure(Msg):
    """Another regulator approves, handing over its share re-sealed to the requester."""

    TYPE = "credentials/approve_disclosure"
    request_id: int = wire(REQUEST_ID)
    share: bytes = wire(SHARE)


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
