"""Verify credentials and presentations against a TrustSource, reporting every check.

A credential passes through these checks, in order; each ends ``passed``,
``failed`` (with one machine-readable reason) or ``skipped`` (not applicable,
or impossible because an earlier check could not read what it needs):

1. ``structure``     the credential's shape                          -> ``malformed``
2. ``proof``         signature by a key in the issuer DID's
                     ``assertionMethod`` as of ``proof.created``     -> ``malformed``,
                     ``proof_invalid``, ``proof_expired``, ``unknown_verification_method``
3. ``accreditation`` the issuer accredited for each credential type
                     at ``proof.created``                            -> ``issuer_not_accredited``
4. ``schema``        Draft 2020-12 validation of the credential
                     (without ``proof``) by each content-addressed
                     ``credentialSchema``                            -> ``schema_invalid``
5. ``validity``      ``validFrom <= now <= validUntil``              -> ``not_yet_valid``,
                                                                     ``expired``
6. ``status``        each status list credential: its proof, its
                     digest against the chain anchor, then the bit   -> ``status_unverifiable``,
                     ``revoked``, ``suspended``

A presentation adds ``structure``, ``proof`` (``authentication`` of the
holder DID), ``challenge``, ``domain``, ``holder`` (every credential's
subject is the holder) and ``credentials`` (each credential verified as above).

The verifier never raises for a bad credential: the result says what failed.
It raises only for its own misuse (``now`` not timezone-aware, a missing
challenge) and lets a TrustSource's non-``vc`` errors (node unreachable)
propagate, because "could not ask" is not "invalid".

Example::

    result = verify_credential(vc, trust, now=datetime.now(UTC))
    if not result.verified:
        print(result.reasons)        # ("revoked",)
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from finchain.errors import FinchainError
from finchain.formats.keyformats import public_key_of
from finchain.formats.times import aware
from finchain.offchain.vc.credentials import VERIFIABLE_CREDENTIAL, CredentialInfo, read_credential
from finchain.offchain.vc.dids import method_in_relationship
from finchain.offchain.vc.errors import CODESPACE, ErrMalformedPresentation
from finchain.offchain.vc.presentations import read_presentation
from finchain.offchain.vc.proofs import (
    ASSERTION_METHOD,
    AUTHENTICATION,
    ProofInfo,
    read_proof,
    verify_proof,
)
from finchain.offchain.vc.schemas import check_schema, schema_errors, schema_matches_id
from finchain.offchain.vc.statuslist import REVOCATION, anchor_digest, read_status_list
from finchain.offchain.vc.trust import TrustSource

MALFORMED = "malformed"
PROOF_INVALID = "proof_invalid"
PROOF_EXPIRED = "proof_expired"
UNKNOWN_VERIFICATION_METHOD = "unknown_verification_method"
ISSUER_NOT_ACCREDITED = "issuer_not_accredited"
SCHEMA_INVALID = "schema_invalid"
NOT_YET_VALID = "not_yet_valid"
EXPIRED = "expired"
REVOKED = "revoked"
SUSPENDED = "suspended"
STATUS_UNVERIFIABLE = "status_unverifiable"
HOLDER_MISMATCH = "holder_mismatch"
CHALLENGE_MISMATCH = "challenge_mismatch"
DOMAIN_MISMATCH = "domain_mismatch"
CREDENTIAL_INVALID = "credential_invalid"

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of one check: ``status`` is passed/failed/skipped; ``reason`` when failed."""

    name: str
    status: str
    reason: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """Every check in order, plus the results of a presentation's credentials.

    ``verified`` is True iff no check failed (here or in a nested credential).
    """

    checks: tuple[Check, ...]
    credentials: tuple[VerificationResult, ...] = field(default=())

    @property
    def verified(self) -> bool:
        return all(c.status != FAILED for c in self.checks) and all(
            r.verified for r in self.credentials
        )

    @property
    def reasons(self) -> tuple[str, ...]:
        """The distinct failure reasons, own checks first, then nested credentials'."""
        found: list[str] = []
        for check in self.checks:
            if check.reason is not None and check.reason not in found:
                found.append(check.reason)
        for nested in self.credentials:
            found.extend(r for r in nested.reasons if r not in found)
        return tuple(found)

    def check(self, name: str) -> Check:
        """The check called ``name`` (KeyError if this result has none)."""
        for item in self.checks:
            if item.name == name:
                return item
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "reasons": list(self.reasons),
            "checks": [c.to_dict() for c in self.checks],
            "credentials": [r.to_dict() for r in self.credentials],
        }


class _Failed(Exception):
    """Internal: a check ends with ``reason``; never escapes this module."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def verify_credential(
    credential: object,
    trust: TrustSource,
    *,
    now: datetime,
    status_lists: Mapping[str, dict[str, Any]] | None = None,
) -> VerificationResult:
    """Run every credential check (module docstring) and report each.

    Parameters:
        credential: the secured credential, as parsed JSON.
        trust: where DIDs, accreditations, schemas and status anchors come from.
        now: the verification instant (aware datetime): no wall clock is read here.
        status_lists: status list credentials by URL, used instead of fetching
            them from ``trust`` (their digests are still checked against the anchors).
    """
    now = aware(now)
    try:
        info = read_credential(credential)
    except FinchainError as exc:
        skipped = [Check(n, SKIPPED) for n in ("proof", "accreditation", "schema", "validity")]
        return VerificationResult(
            (Check("structure", FAILED, MALFORMED, exc.message), *skipped, Check("status", SKIPPED))
        )
    assert isinstance(credential, dict)
    checks = [Check("structure", PASSED)]
    proof_check, proof = _run(
        "proof", lambda: _controller_proof(credential, info.issuer, ASSERTION_METHOD, trust, now)
    )
    checks.append(proof_check)
    if proof is None or proof.created is None:
        checks.append(Check("accreditation", SKIPPED, detail="no readable proof.created"))
    else:
        checks.append(_run("accreditation", lambda: _accreditation(info, trust, proof))[0])
    checks.append(_run("schema", lambda: _schema(credential, info, trust))[0])
    checks.append(_run("validity", lambda: _validity(info, now))[0])
    checks.append(_run("status", lambda: _status(info, trust, now, status_lists or {}))[0])
    return VerificationResult(tuple(checks))


def verify_presentation(
    presentation: object,
    trust: TrustSource,
    *,
    challenge: str,
    domain: str,
    now: datetime,
    status_lists: Mapping[str, dict[str, Any]] | None = None,
) -> VerificationResult:
    """Verify a presentation for the ``challenge`` and ``domain`` this verifier issued.

    The result's ``credentials`` hold one :class:`VerificationResult` per
    enclosed credential, in order.

    Raises ``ErrMalformedPresentation`` only if ``challenge`` or ``domain`` is
    not a non-empty string (the verifier's own misuse).
    """
    now = aware(now)
    for name, value in (("challenge", challenge), ("domain", domain)):
        if not isinstance(value, str) or not value:
            raise ErrMalformedPresentation(
                f"verify_presentation needs the {name} you sent to the holder"
            )
    names = ("proof", "challenge", "domain", "holder", "credentials")
    try:
        info = read_presentation(presentation)
    except FinchainError as exc:
        skipped = [Check(n, SKIPPED) for n in names]
        return VerificationResult((Check("structure", FAILED, MALFORMED, exc.message), *skipped))
    assert isinstance(presentation, dict)
    checks = [Check("structure", PASSED)]
    proof_check, proof = _run(
        "proof", lambda: _controller_proof(presentation, info.holder, AUTHENTICATION, trust, now)
    )
    checks.append(proof_check)
    for name, expected, reason in (
        ("challenge", challenge, CHALLENGE_MISMATCH),
        ("domain", domain, DOMAIN_MISMATCH),
    ):
        got = None if proof is None else getattr(proof, name)
        if proof is None:
            checks.append(Check(name, SKIPPED, detail="no readable proof"))
        elif got is None or not hmac.compare_digest(got.encode(), expected.encode()):
            detail = f"proof.{name} is missing" if got is None else f"proof.{name} differs"
            checks.append(Check(name, FAILED, reason, detail))
        else:
            checks.append(Check(name, PASSED))
    results = tuple(
        verify_credential(c, trust, now=now, status_lists=status_lists) for c in info.credentials
    )
    checks.append(_run("holder", lambda: _holder(info.holder, info.credentials))[0])
    failing = [i for i, r in enumerate(results) if not r.verified]
    if failing:
        checks.append(
            Check("credentials", FAILED, CREDENTIAL_INVALID, f"credential(s) {failing} failed")
        )
    else:
        checks.append(Check("credentials", PASSED))
    return VerificationResult(tuple(checks), results)


# -- checks -------------------------------------------------------------------


def _run(name: str, body: Any) -> tuple[Check, Any]:
    """Run one check body; it returns ``(detail, value)`` or raises ``_Failed``."""
    try:
        detail, value = body()
    except _Failed as failed:
        return Check(name, FAILED, failed.reason, failed.detail), None
    status = SKIPPED if detail.startswith("not applicable") else PASSED
    return Check(name, status, detail=detail), value


def _controller_proof(
    document: dict[str, Any], controller: str, purpose: str, trust: TrustSource, now: datetime
) -> tuple[str, ProofInfo]:
    """The document's proof is by a ``purpose`` method of ``controller`` as of ``proof.created``."""
    try:
        proof = read_proof(document)
    except FinchainError as exc:
        raise _Failed(MALFORMED, exc.message) from None
    if proof.proof_purpose != purpose:
        raise _Failed(PROOF_INVALID, f"proofPurpose is {proof.proof_purpose}, expected {purpose}")
    if proof.created is None:
        raise _Failed(MALFORMED, "proof.created is required: keys are checked at that instant")
    if proof.created > now:
        raise _Failed(PROOF_INVALID, "proof.created is after the verification time")
    if proof.expires is not None and proof.expires <= now:
        raise _Failed(PROOF_EXPIRED, "the proof's expires time has passed")
    method_id = proof.verification_method
    if method_id.split("#", 1)[0] != controller or "#" not in method_id:
        raise _Failed(
            UNKNOWN_VERIFICATION_METHOD, f"{method_id[:120]} is not a method of {controller[:80]}"
        )
    document_of_controller = _ask(
        lambda: trust.resolve(controller, at=proof.created), UNKNOWN_VERIFICATION_METHOD
    )
    method = method_in_relationship(document_of_controller, method_id, purpose)
    if method is None:
        raise _Failed(
            UNKNOWN_VERIFICATION_METHOD,
            f"{method_id[:120]} is not in {purpose} of {controller[:80]} at {proof.created}",
        )
    try:
        scheme, public_key = public_key_of(method)
    except FinchainError as exc:
        raise _Failed(UNKNOWN_VERIFICATION_METHOD, exc.message) from None
    if not verify_proof(document, scheme, public_key):
        raise _Failed(PROOF_INVALID, "signature does not verify: the document or proof changed")
    return f"{proof.suite.name} by {method_id}", proof


def _accreditation(info: CredentialInfo, trust: TrustSource, proof: ProofInfo) -> tuple[str, None]:
    assert proof.created is not None
    types = [t for t in info.types if t != VERIFIABLE_CREDENTIAL] or [VERIFIABLE_CREDENTIAL]
    missing = [t for t in types if not trust.issuer_accredited(info.issuer, t, proof.created)]
    if missing:
        raise _Failed(
            ISSUER_NOT_ACCREDITED,
            f"{info.issuer[:80]} was not accredited for {missing} at {proof.created}",
        )
    return f"accredited for {types}", None


def _schema(
    credential: dict[str, Any], info: CredentialInfo, trust: TrustSource
) -> tuple[str, None]:
    if not info.schema_ids:
        return "not applicable: no credentialSchema", None
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    for identifier in info.schema_ids:
        schema = _ask(partial(trust.schema, identifier), SCHEMA_INVALID)
        if not schema_matches_id(schema, identifier):
            raise _Failed(SCHEMA_INVALID, f"schema served for {identifier[:120]} has another hash")
        try:
            check_schema(schema)
        except FinchainError as exc:
            raise _Failed(SCHEMA_INVALID, exc.message) from None
        errors = schema_errors(schema, unsecured)
        if errors:
            raise _Failed(SCHEMA_INVALID, "; ".join(errors))
    return f"valid against {len(info.schema_ids)} schema(s)", None


def _validity(info: CredentialInfo, now: datetime) -> tuple[str, None]:
    if info.valid_from is not None and now < info.valid_from:
        raise _Failed(NOT_YET_VALID, f"valid from {info.valid_from}")
    if info.valid_until is not None and now > info.valid_until:
        raise _Failed(EXPIRED, f"valid until {info.valid_until}")
    return "within validFrom/validUntil", None


def _status(
    info: CredentialInfo,
    trust: TrustSource,
    now: datetime,
    status_lists: Mapping[str, dict[str, Any]],
) -> tuple[str, None]:
    if not info.status:
        return "not applicable: no credentialStatus", None
    set_bits: list[str] = []
    for entry in info.status:
        url = entry.list_url
        if url in status_lists:
            listed = status_lists[url]
        else:
            listed = _ask(partial(trust.status_list_credential, url), STATUS_UNVERIFIABLE)
        try:
            list_info = read_credential(listed)
        except FinchainError as exc:
            raise _Failed(STATUS_UNVERIFIABLE, f"status list {url[:120]}: {exc.message}") from None
        if list_info.issuer != info.issuer or listed.get("id") != url:
            raise _Failed(
                STATUS_UNVERIFIABLE, f"status list {url[:120]} is not the issuer's list at that URL"
            )
        try:
            _controller_proof(listed, info.issuer, ASSERTION_METHOD, trust, now)
        except _Failed as failed:
            raise _Failed(STATUS_UNVERIFIABLE, f"status list proof: {failed.detail}") from None
        anchor = _ask(partial(trust.status_list_anchor, url), STATUS_UNVERIFIABLE)
        try:
            digest = anchor_digest(listed, anchor.hash_name)
        except FinchainError as exc:
            raise _Failed(STATUS_UNVERIFIABLE, exc.message) from None
        if not hmac.compare_digest(digest, anchor.digest):
            raise _Failed(
                STATUS_UNVERIFIABLE,
                f"status list {url[:120]} differs from its on-chain anchor (version "
                f"{anchor.version}, height {anchor.height}): it is stale or altered",
            )
        if (list_info.valid_from is not None and now < list_info.valid_from) or (
            list_info.valid_until is not None and now > list_info.valid_until
        ):
            raise _Failed(STATUS_UNVERIFIABLE, f"status list {url[:120]} is outside its validity")
        try:
            purpose, bits = read_status_list(listed)
            if purpose != entry.purpose:
                raise _Failed(
                    STATUS_UNVERIFIABLE, f"list {url[:120]} is for {purpose}, not {entry.purpose}"
                )
            if bits.get(entry.index):
                set_bits.append(entry.purpose)
        except FinchainError as exc:
            raise _Failed(STATUS_UNVERIFIABLE, f"status list {url[:120]}: {exc.message}") from None
    if REVOCATION in set_bits:
        raise _Failed(REVOKED, "the issuer has revoked this credential")
    if set_bits:
        raise _Failed(SUSPENDED, "the issuer has suspended this credential")
    return f"{len(info.status)} status entr(ies) clear", None


def _holder(holder: str, credentials: tuple[dict[str, Any], ...]) -> tuple[str, None]:
    for index, credential in enumerate(credentials):
        try:
            subjects = read_credential(credential).subject_ids
        except FinchainError:
            raise _Failed(HOLDER_MISMATCH, f"credential {index} is malformed") from None
        if any(subject != holder for subject in subjects):
            raise _Failed(
                HOLDER_MISMATCH, f"credential {index} is about someone else than {holder[:80]}"
            )
    return f"holder {holder[:80]} is every credential's subject", None


def _ask(question: Any, reason: str) -> Any:
    """Ask the trust source; its "not known" (``vc``) errors become ``reason``."""
    try:
        return question()
    except FinchainError as exc:
        if exc.codespace != CODESPACE:
            raise
        raise _Failed(reason, exc.message) from None
