"""Verifiable Credentials Data Model 2.0: building, issuing and reading credentials.

Credentials are plain dicts, ready for ``json.dumps``; this module builds
them with the members finchain's verifier relies on and reads them back into
a checked :class:`CredentialInfo`. Reading is strict on what the verifier
acts on (issuer, subject ids, types, validity times, schema, status) and
leaves other members alone: a credential may carry any claims.

Example::

    vc = build_credential(issuer=bank_did, subject={"id": alice_did, "kycTier": 2},
                          types=["KycCredential"], valid_from=now)
    signed = issue(vc, bank_key, f"{bank_did}#k1", created=now)
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from finchain.crypto import PrivateKey
from finchain.formats.keyformats import public_key_of
from finchain.formats.times import format_time, parse_time
from finchain.offchain.vc.errors import ErrKeyMismatch, ErrMalformedCredential
from finchain.offchain.vc.jcs import canonicalize
from finchain.offchain.vc.proofs import ASSERTION_METHOD, add_proof

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
VERIFIABLE_CREDENTIAL = "VerifiableCredential"
JSON_SCHEMA = "JsonSchema"
STATUS_LIST_ENTRY = "BitstringStatusListEntry"
_STATUS_PURPOSES = ("revocation", "suspension")
_MAX_TYPES = 16
_MAX_TEXT = 2048


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """One ``BitstringStatusListEntry``: bit ``index`` of list ``list_url`` for ``purpose``."""

    purpose: str
    list_url: str
    index: int


@dataclass(frozen=True, slots=True)
class CredentialInfo:
    """The members of a credential the verifier acts on, checked and parsed."""

    issuer: str
    types: tuple[str, ...]
    subject_ids: tuple[str | None, ...]
    valid_from: datetime | None
    valid_until: datetime | None
    schema_ids: tuple[str, ...]
    status: tuple[StatusEntry, ...]


def status_entry(*, purpose: str, list_url: str, index: int) -> dict[str, Any]:
    """A ``BitstringStatusListEntry`` for ``credentialStatus``.

    Raises ``ErrMalformedCredential`` on a bad purpose, URL or index.
    """
    entry = StatusEntry(purpose, list_url, index)
    _check_status(entry)
    return {
        "id": f"{list_url}#{index}",
        "type": STATUS_LIST_ENTRY,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def build_credential(
    *,
    issuer: str,
    subject: dict[str, Any],
    types: Sequence[str],
    valid_from: datetime,
    valid_until: datetime | None = None,
    credential_id: str | None = None,
    schema_id: str | None = None,
    status: Sequence[dict[str, Any]] = (),
    contexts: Sequence[str] = (),
) -> dict[str, Any]:
    """An unsecured VC 2.0 credential.

    Parameters:
        issuer: the issuer's DID.
        subject: ``credentialSubject``; its ``id`` is the holder's DID.
        types: the credential's own types; ``VerifiableCredential`` is put first.
        valid_from, valid_until: aware datetimes, written as UTC ``Z`` stamps.
        credential_id: optional ``id`` (a URL or ``urn:uuid:``).
        schema_id: optional content-addressed schema id (``finchain.offchain.vc.schemas``),
            as the chain's schema registry assigns it.
        status: up to two entries from :func:`status_entry` (revocation, suspension).
        contexts: extra ``@context`` URLs after the VC 2.0 context.

    Raises ``ErrMalformedCredential`` (or ``ErrMalformedJson``).
    """
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, *contexts],
        "type": [VERIFIABLE_CREDENTIAL, *(t for t in types if t != VERIFIABLE_CREDENTIAL)],
        "issuer": issuer,
        "validFrom": format_time(valid_from),
        "credentialSubject": copy.deepcopy(subject),
    }
    if credential_id is not None:
        credential["id"] = credential_id
    if valid_until is not None:
        credential["validUntil"] = format_time(valid_until)
    if schema_id is not None:
        credential["credentialSchema"] = {"id": schema_id, "type": JSON_SCHEMA}
    if status:
        entries = [copy.deepcopy(entry) for entry in status]
        credential["credentialStatus"] = entries[0] if len(entries) == 1 else entries
    read_credential(credential)
    canonicalize(credential)
    return credential


def issue(
    credential: dict[str, Any],
    key: PrivateKey,
    verification_method: str | dict[str, Any],
    *,
    created: datetime,
) -> dict[str, Any]:
    """The credential secured with an ``assertionMethod`` proof by ``key``.

    Parameters:
        credential: an unsecured credential (from :func:`build_credential` or a file).
        key: the issuer's ed25519 or sm2 key.
        verification_method: the method id (``<issuer DID>#<key-id>``), or the
            method itself from the issuer's DID document: then the key is
            checked against it, so a wrong key fails here and not at every verifier.
        created: the issuance time; verifiers check the key at this time.

    Raises ``ErrMalformedCredential``, ``ErrKeyMismatch``, ``ErrMalformedProof``,
    ``ErrUnsupportedCryptosuite``.
    """
    info = read_credential(credential)
    method_id = _method_id(verification_method, key)
    if not method_id.startswith(info.issuer + "#"):
        raise ErrKeyMismatch(
            f"verification method {method_id[:120]} is not one of issuer {info.issuer[:80]}'s"
        )
    return add_proof(
        credential,
        key,
        verification_method=method_id,
        proof_purpose=ASSERTION_METHOD,
        created=created,
    )


def read_credential(credential: object) -> CredentialInfo:
    """Check a credential's shape and return what the verifier needs.

    Raises ``ErrMalformedCredential`` with the first problem found.
    """
    if not isinstance(credential, dict):
        raise ErrMalformedCredential("a credential must be a JSON object")
    context = credential.get("@context")
    if not isinstance(context, list) or not context or context[0] != CREDENTIALS_V2:
        raise ErrMalformedCredential(f"@context must be a list starting with {CREDENTIALS_V2}")
    types = credential.get("type")
    if (
        not isinstance(types, list)
        or not 1 <= len(types) <= _MAX_TYPES
        or not all(isinstance(t, str) and 0 < len(t) <= 128 for t in types)
        or len(set(types)) != len(types)
        or VERIFIABLE_CREDENTIAL not in types
    ):
        raise ErrMalformedCredential(
            f"type must be a list of distinct names including {VERIFIABLE_CREDENTIAL}"
        )
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    if not isinstance(issuer, str) or not issuer or len(issuer) > _MAX_TEXT:
        raise ErrMalformedCredential("issuer must be a DID, or an object whose id is a DID")
    return CredentialInfo(
        issuer=issuer,
        types=tuple(types),
        subject_ids=_subject_ids(credential.get("credentialSubject")),
        valid_from=_time(credential, "validFrom"),
        valid_until=_time(credential, "validUntil"),
        schema_ids=_schema_ids(credential.get("credentialSchema")),
        status=_status_entries(credential.get("credentialStatus")),
    )


def _method_id(verification_method: object, key: PrivateKey) -> str:
    if isinstance(verification_method, dict):
        if public_key_of(verification_method) != (key.scheme, key.public_key().data):
            raise ErrKeyMismatch(
                "the signing key is not the key of this verification method: "
                "pick the method whose key you hold"
            )
        verification_method = verification_method.get("id")
    if not isinstance(verification_method, str) or "#" not in verification_method:
        raise ErrKeyMismatch("verification method id must be <issuer DID>#<key-id>")
    return verification_method


def _time(credential: dict[str, Any], name: str) -> datetime | None:
    if name not in credential:
        return None
    try:
        return parse_time(credential[name])
    except Exception as exc:
        raise ErrMalformedCredential(f"{name}: {exc}") from None


def _subject_ids(subject: object) -> tuple[str | None, ...]:
    subjects = subject if isinstance(subject, list) else [subject]
    if not subjects:
        raise ErrMalformedCredential("credentialSubject must be a non-empty object (or list)")
    ids: list[str | None] = []
    for item in subjects:
        if not isinstance(item, dict) or not item:
            raise ErrMalformedCredential("credentialSubject must be a non-empty object (or list)")
        subject_id = item.get("id")
        if subject_id is not None and (not isinstance(subject_id, str) or not subject_id):
            raise ErrMalformedCredential("credentialSubject.id must be a DID string")
        ids.append(subject_id)
    return tuple(ids)


def _schema_ids(schema: object) -> tuple[str, ...]:
    if schema is None:
        return ()
    schemas = schema if isinstance(schema, list) else [schema]
    ids = []
    for item in schemas:
        if (
            not isinstance(item, dict)
            or item.get("type") != JSON_SCHEMA
            or not isinstance(item.get("id"), str)
        ):
            raise ErrMalformedCredential(
                f'credentialSchema must be {{"id": <schema id>, "type": "{JSON_SCHEMA}"}}'
            )
        ids.append(item["id"])
    return tuple(ids)


def _status_entries(status: object) -> tuple[StatusEntry, ...]:
    if status is None:
        return ()
    items = status if isinstance(status, list) else [status]
    if not 1 <= len(items) <= 2:
        raise ErrMalformedCredential("credentialStatus holds one or two entries")
    entries = []
    for item in items:
        if not isinstance(item, dict) or item.get("type") != STATUS_LIST_ENTRY:
            raise ErrMalformedCredential(f"credentialStatus entries must be {STATUS_LIST_ENTRY}")
        index_text = item.get("statusListIndex")
        if not isinstance(index_text, str) or not index_text.isascii() or not index_text.isdigit():
            raise ErrMalformedCredential("statusListIndex must be a decimal string")
        if (len(index_text) > 1 and index_text.startswith("0")) or len(index_text) > 12:
            raise ErrMalformedCredential("statusListIndex must be canonical decimal, no leading 0")
        entry = StatusEntry(
            purpose=item.get("statusPurpose"),  # type: ignore[arg-type]
            list_url=item.get("statusListCredential"),  # type: ignore[arg-type]
            index=int(index_text),
        )
        _check_status(entry)
        entries.append(entry)
    if len({e.purpose for e in entries}) != len(entries):
        raise ErrMalformedCredential("credentialStatus has two entries for the same purpose")
    return tuple(entries)


def _check_status(entry: StatusEntry) -> None:
    if entry.purpose not in _STATUS_PURPOSES:
        raise ErrMalformedCredential(f"statusPurpose must be one of {_STATUS_PURPOSES}")
    if not isinstance(entry.list_url, str) or not entry.list_url or "#" in entry.list_url:
        raise ErrMalformedCredential("statusListCredential must be a URL without a fragment")
    if isinstance(entry.index, bool) or not isinstance(entry.index, int) or entry.index < 0:
        raise ErrMalformedCredential("statusListIndex must be a non-negative integer")
