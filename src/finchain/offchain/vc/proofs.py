"""Data Integrity proofs with the JCS cryptosuites ``eddsa-jcs-2022`` and ``sm2-jcs-2025``.

``eddsa-jcs-2022`` follows W3C vc-di-eddsa 1.0 section 3.3 step for step, so
any conforming verifier accepts finchain's proofs:

1. the proof options plus the document's ``@context`` form the proof
   configuration; both it and the document (without ``proof``) are
   canonicalised with JCS;
2. ``hashData = SHA-256(JCS(proof config)) || SHA-256(JCS(document))``;
3. the Ed25519 signature of ``hashData`` is ``proofValue``, multibase base58btc.

``sm2-jcs-2025`` (specified in docs/vc-suites.md) is the same with SM3 for
both hashes and an SM2 signature (default distinguishing ID, raw ``r||s``).

Only single proofs are produced and accepted: a proof set or chain has no
meaning for finchain's verifier, and accepting one it does not check would
let an unchecked proof ride along.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from finchain.crypto import PrivateKey, hash_bytes, verify_signature
from finchain.formats.multibase import decode_base58btc, encode_base58btc
from finchain.formats.times import format_time, parse_time
from finchain.offchain.vc.errors import ErrMalformedProof, ErrUnsupportedCryptosuite
from finchain.offchain.vc.jcs import canonicalize

PROOF_TYPE = "DataIntegrityProof"
EDDSA_JCS_2022 = "eddsa-jcs-2022"
SM2_JCS_2025 = "sm2-jcs-2025"
ASSERTION_METHOD = "assertionMethod"
AUTHENTICATION = "authentication"
PROOF_PURPOSES = (ASSERTION_METHOD, AUTHENTICATION)


@dataclass(frozen=True, slots=True)
class Cryptosuite:
    """A JCS cryptosuite: the key scheme it signs with and the hash of both halves."""

    name: str
    scheme: str
    hash_name: str


CRYPTOSUITES: dict[str, Cryptosuite] = {
    EDDSA_JCS_2022: Cryptosuite(EDDSA_JCS_2022, "ed25519", "sha256"),
    SM2_JCS_2025: Cryptosuite(SM2_JCS_2025, "sm2", "sm3"),
}
_SUITE_OF_SCHEME = {suite.scheme: suite for suite in CRYPTOSUITES.values()}

_PROOF_MEMBERS = frozenset(
    {
        "@context",
        "id",
        "type",
        "cryptosuite",
        "created",
        "expires",
        "verificationMethod",
        "proofPurpose",
        "proofValue",
        "challenge",
        "domain",
        "nonce",
    }
)
_MAX_TEXT = 512
_PROOF_VALUE_MAX_CHARS = 128


@dataclass(frozen=True, slots=True)
class ProofInfo:
    """The checked fields of a document's proof, for the verifier to act on."""

    suite: Cryptosuite
    verification_method: str
    proof_purpose: str
    created: datetime | None
    expires: datetime | None
    challenge: str | None
    domain: str | None


def suite_for_scheme(scheme: str) -> Cryptosuite:
    """The cryptosuite that signs with ``scheme``; ``ErrUnsupportedCryptosuite`` if none."""
    try:
        return _SUITE_OF_SCHEME[scheme]
    except KeyError:
        raise ErrUnsupportedCryptosuite(
            f"no JCS cryptosuite signs with {scheme!r} keys: use an ed25519 or sm2 key"
        ) from None


def add_proof(
    document: dict[str, Any],
    key: PrivateKey,
    *,
    verification_method: str,
    proof_purpose: str,
    created: datetime,
    challenge: str | None = None,
    domain: str | None = None,
    expires: datetime | None = None,
) -> dict[str, Any]:
    """A copy of ``document`` secured with a proof by ``key``.

    Example::

        secured = add_proof(doc, key, verification_method=f"{did}#k1",
                            proof_purpose="assertionMethod", created=now)

    Parameters:
        document: a JSON object without ``proof``.
        key: an ed25519 key (eddsa-jcs-2022) or sm2 key (sm2-jcs-2025).
        verification_method: the id of the method verifiers resolve for the key.
        proof_purpose: ``assertionMethod`` or ``authentication``.
        created, expires: aware datetimes, written in UTC.
        challenge, domain: bind a presentation proof to one verifier request.

    Raises ``ErrMalformedProof``, ``ErrUnsupportedCryptosuite`` or ``ErrMalformedJson``.
    """
    if not isinstance(document, dict):
        raise ErrMalformedProof("only a JSON object can be secured")
    if "proof" in document:
        raise ErrMalformedProof("document already has a proof: finchain signs each document once")
    suite = suite_for_scheme(key.scheme)
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": suite.name,
        "created": format_time(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    for name, value in (("challenge", challenge), ("domain", domain)):
        if value is not None:
            proof[name] = value
    if expires is not None:
        proof["expires"] = format_time(expires)
    if "@context" in document:
        proof["@context"] = copy.deepcopy(document["@context"])
    _read_options(proof)
    proof["proofValue"] = encode_base58btc(key.sign(_hash_data(suite, proof, document)))
    secured = copy.deepcopy(document)
    secured["proof"] = proof
    return secured


def read_proof(secured: object) -> ProofInfo:
    """The proof fields of a secured document, checked for shape but not for signature.

    Raises ``ErrMalformedProof`` or ``ErrUnsupportedCryptosuite``.
    """
    if not isinstance(secured, dict):
        raise ErrMalformedProof("a secured document must be a JSON object")
    proof = secured.get("proof")
    if isinstance(proof, list):
        raise ErrMalformedProof("proof sets are not accepted: the document must carry one proof")
    if not isinstance(proof, dict):
        raise ErrMalformedProof("the document has no proof object")
    if not isinstance(proof.get("proofValue"), str):
        raise ErrMalformedProof("proof.proofValue must be a multibase string")
    return _read_options({k: v for k, v in proof.items() if k != "proofValue"})


def verify_proof(secured: dict[str, Any], scheme: str, public_key: bytes) -> bool:
    """True iff the document's proof is a valid signature by ``(scheme, public_key)``.

    This checks the cryptography only (vc-di-eddsa "Verify Proof"); whether
    the key may sign for this document, and the proof's times, purpose,
    challenge and domain, are the verifier's checks. A key whose scheme is
    not the cryptosuite's, a ``@context`` the proof does not prefix, or an
    undecodable ``proofValue`` gives False.

    Raises ``ErrMalformedProof`` or ``ErrUnsupportedCryptosuite`` for a
    proof that cannot be read at all (see :func:`read_proof`).
    """
    info = read_proof(secured)
    if scheme != info.suite.scheme:
        return False
    proof = secured["proof"]
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    unsecured = {k: v for k, v in secured.items() if k != "proof"}
    if "@context" in options:
        if not _context_prefixes(options["@context"], secured.get("@context")):
            return False
        unsecured["@context"] = options["@context"]
    try:
        signature = decode_base58btc(proof["proofValue"], max_chars=_PROOF_VALUE_MAX_CHARS)
    except Exception:
        return False
    return verify_signature(
        scheme, public_key, _hash_data(info.suite, options, unsecured), signature
    )


def compute_hash_data(secured_or_unsecured: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    """``hash(JCS(proof config)) || hash(JCS(document))`` under the config's cryptosuite.

    Exposed for test vectors and for documentation; ``proof_config`` is the
    proof without ``proofValue``, including ``@context`` where the document has one.
    """
    info = _read_options(proof_config)
    document = {k: v for k, v in secured_or_unsecured.items() if k != "proof"}
    return _hash_data(info.suite, proof_config, document)


def _hash_data(suite: Cryptosuite, config: dict[str, Any], document: dict[str, Any]) -> bytes:
    return hash_bytes(suite.hash_name, canonicalize(config)) + hash_bytes(
        suite.hash_name, canonicalize(document)
    )


def _read_options(options: dict[str, Any]) -> ProofInfo:
    """Check proof options (vc-di-eddsa "Proof Configuration" steps 2-3, and DI 1.0 2.1)."""
    unknown = options.keys() - _PROOF_MEMBERS
    if unknown:
        raise ErrMalformedProof(
            f"proof has unsupported member(s) {sorted(unknown)[:5]}: "
            "previousProof and extensions are not accepted"
        )
    if options.get("type") != PROOF_TYPE:
        raise ErrUnsupportedCryptosuite(
            f"proof type {str(options.get('type'))[:40]!r} is not supported: use {PROOF_TYPE}"
        )
    suite = CRYPTOSUITES.get(options.get("cryptosuite"))  # type: ignore[arg-type]
    if suite is None:
        raise ErrUnsupportedCryptosuite(
            f"cryptosuite {str(options.get('cryptosuite'))[:40]!r} is not supported: "
            f"use one of {', '.join(CRYPTOSUITES)}"
        )
    method = _text(options, "verificationMethod", required=True)
    purpose = options.get("proofPurpose")
    if purpose not in PROOF_PURPOSES:
        raise ErrMalformedProof(
            f"proofPurpose {str(purpose)[:40]!r} is not supported: use one of {PROOF_PURPOSES}"
        )
    try:
        created = parse_time(options["created"]) if "created" in options else None
        expires = parse_time(options["expires"]) if "expires" in options else None
    except Exception as exc:
        raise ErrMalformedProof(f"proof time is malformed: {exc}") from None
    _text(options, "id", required=False)
    _text(options, "nonce", required=False)
    return ProofInfo(
        suite=suite,
        verification_method=method or "",
        proof_purpose=str(purpose),
        created=created,
        expires=expires,
        challenge=_text(options, "challenge", required=False),
        domain=_text(options, "domain", required=False),
    )


def _text(options: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = options.get(name)
    if value is None and not required and name not in options:
        return None
    if not isinstance(value, str) or not value or len(value) > _MAX_TEXT:
        raise ErrMalformedProof(
            f"proof.{name} must be a non-empty string of at most {_MAX_TEXT} characters"
        )
    return value


def _context_prefixes(proof_context: object, document_context: object) -> bool:
    """vc-di-eddsa 3.3.2 step 4.1: the document's @context starts with the proof's, in order."""
    proof_list = proof_context if isinstance(proof_context, list) else [proof_context]
    document_list = document_context if isinstance(document_context, list) else [document_context]
    if document_context is None or len(document_list) < len(proof_list):
        return False
    return all(a == b for a, b in zip(proof_list, document_list, strict=False))
