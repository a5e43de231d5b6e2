"""verify_credential: the happy path for both suites, and one case per failure reason."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from finchain.errors import FinchainError
from finchain.formats.keyformats import verification_method
from finchain.offchain.vc.credentials import issue
from finchain.offchain.vc.errors import ErrInvalidTime
from finchain.offchain.vc.proofs import add_proof
from finchain.offchain.vc.verifier import FAILED, PASSED, SKIPPED, verify_credential
from tests.vc.world import (
    ISSUED,
    NOW,
    REVOCATION_URL,
    SUSPENSION_URL,
    T0,
    World,
    did_document,
    key,
)


@pytest.fixture(params=[("ed25519", "sha256"), ("sm2", "sm3")], ids=["intl", "gm"])
def world(request: pytest.FixtureRequest) -> World:
    scheme, hash_name = request.param
    return World(scheme=scheme, hash_name=hash_name)


def _only_failure(result: object, check: str, reason: str) -> None:
    from finchain.offchain.vc.verifier import VerificationResult

    assert isinstance(result, VerificationResult)
    assert not result.verified
    assert result.reasons == (reason,), result.to_dict()
    assert result.check(check).status == FAILED


def test_valid_credential_passes_every_check(world: World) -> None:
    result = verify_credential(world.credential(), world.trust, now=NOW)
    assert result.verified, result.to_dict()
    assert [c.name for c in result.checks] == [
        "structure",
        "proof",
        "accreditation",
        "schema",
        "validity",
        "status",
    ]
    assert all(c.status == PASSED for c in result.checks)


def test_optional_checks_are_skipped_not_failed(world: World) -> None:
    result = verify_credential(world.credential(schema_id=None, status=()), world.trust, now=NOW)
    assert result.verified
    assert result.check("schema").status == SKIPPED
    assert result.check("status").status == SKIPPED


def test_malformed(world: World) -> None:
    vc = world.credential()
    del vc["issuer"]
    result = verify_credential(vc, world.trust, now=NOW)
    _only_failure(result, "structure", "malformed")
    assert all(c.status == SKIPPED for c in result.checks[1:])
    assert verify_credential([1], world.trust, now=NOW).reasons == ("malformed",)


def test_malformed_proof(world: World) -> None:
    vc = world.credential()
    vc["proof"]["created"] = "yesterday"
    _only_failure(verify_credential(vc, world.trust, now=NOW), "proof", "malformed")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("credentialSubject", "kycTier"), 3),
        (("validFrom",), "2024-01-01T00:00:00Z"),
        (("credentialSubject", "id"), "did:finchain:testnet:000000000383"),
        (("proof", "created"), "2025-02-01T00:00:01Z"),
        (("proof", "proofValue"), None),
    ],
)
def test_proof_invalid_after_tampering(world: World, path: tuple[str, ...], value: object) -> None:
    vc = world.credential()
    target = vc
    for name in path[:-1]:
        target = target[name]
    if value is None:  # flip one character of the signature
        text = target[path[-1]]
        value = text[:-2] + ("2" if text[-2] != "2" else "3") + text[-1]
    target[path[-1]] = value
    result = verify_credential(vc, world.trust, now=NOW)
    assert result.check("proof").reason == "proof_invalid", result.to_dict()
    assert not result.verified


def test_unknown_verification_method(world: World) -> None:
    stranger = key(world.scheme, 99)
    method = verification_method(world.bank_did, "k9", world.scheme, stranger.public_key().data)
    vc = issue(world.unsigned(), stranger, method, created=ISSUED)
    _only_failure(
        verify_credential(vc, world.trust, now=NOW), "proof", "unknown_verification_method"
    )


def test_key_is_judged_at_issuance_time(world: World) -> None:
    """A key rotated in after issuance does not validate an older-dated proof."""
    new_key = key(world.scheme, 21)
    new_method = verification_method(world.bank_did, "k2", world.scheme, new_key.public_key().data)
    rotated = did_document(world.bank_did, [world.bank_method, new_method], assertionMethod=["#k2"])
    world.trust.add_did_document(rotated, since=datetime(2025, 3, 1, tzinfo=UTC))
    # Issued before the rotation with the old key: still valid.
    assert verify_credential(world.credential(), world.trust, now=NOW).verified
    # Signed with the new key but dated before it existed: rejected.
    backdated = issue(world.unsigned(), new_key, new_method, created=ISSUED)
    _only_failure(
        verify_credential(backdated, world.trust, now=NOW), "proof", "unknown_verification_method"
    )
    # The old key after rotation: rejected.
    late = issue(
        world.unsigned(),
        world.bank_key,
        world.bank_method,
        created=datetime(2025, 4, 1, tzinfo=UTC),
    )
    _only_failure(
        verify_credential(late, world.trust, now=NOW), "proof", "unknown_verification_method"
    )


def test_deactivated_issuer(world: World) -> None:
    world.trust.deactivate(world.bank_did, since=T0)
    result = verify_credential(world.credential(), world.trust, now=NOW)
    assert result.check("proof").reason == "unknown_verification_method"


def test_issuer_not_accredited(world: World) -> None:
    vc = world.credential(types=["KycCredential", "CreditScoreCredential"])
    result = verify_credential(vc, world.trust, now=NOW)
    _only_failure(result, "accreditation", "issuer_not_accredited")
    assert "CreditScoreCredential" in result.check("accreditation").detail


def test_accreditation_is_judged_at_issuance_time(world: World) -> None:
    world.trust.accredit(world.bank_did, "LoanCredential", since=datetime(2025, 3, 1, tzinfo=UTC))
    early = world.credential(types=["LoanCredential"], schema_id=None)
    _only_failure(
        verify_credential(early, world.trust, now=NOW), "accreditation", "issuer_not_accredited"
    )


def test_schema_invalid(world: World) -> None:
    vc = world.credential(subject={"id": world.alice_did, "kycTier": 7})
    result = verify_credential(vc, world.trust, now=NOW)
    _only_failure(result, "schema", "schema_invalid")
    assert "kycTier" in result.check("schema").detail


def test_schema_unknown_or_substituted(world: World) -> None:
    bogus = "00" * 32
    result = verify_credential(world.credential(schema_id=bogus), world.trust, now=NOW)
    _only_failure(result, "schema", "schema_invalid")
    # A source that serves a different schema under the id is caught by the hash.
    world.trust._schemas[world.schema_id] = {"type": "object"}
    result = verify_credential(world.credential(), world.trust, now=NOW)
    _only_failure(result, "schema", "schema_invalid")


def test_not_yet_valid_and_expired(world: World) -> None:
    vc = world.credential(valid_from=datetime(2025, 7, 1, tzinfo=UTC))
    _only_failure(verify_credential(vc, world.trust, now=NOW), "validity", "not_yet_valid")
    vc = world.credential(valid_until=datetime(2025, 5, 31, tzinfo=UTC))
    _only_failure(verify_credential(vc, world.trust, now=NOW), "validity", "expired")
    # The boundaries are inclusive.
    assert verify_credential(world.credential(valid_until=NOW), world.trust, now=NOW).verified


def test_revoked_then_suspended_then_reinstated(world: World) -> None:
    vc = world.credential()
    world.lists[SUSPENSION_URL].set(94567)
    world.publish(SUSPENSION_URL)
    _only_failure(verify_credential(vc, world.trust, now=NOW), "status", "suspended")
    world.lists[SUSPENSION_URL].clear(94567)
    world.publish(SUSPENSION_URL)
    assert verify_credential(vc, world.trust, now=NOW).verified
    world.lists[REVOCATION_URL].set(94567)
    world.publish(REVOCATION_URL)
    _only_failure(verify_credential(vc, world.trust, now=NOW), "status", "revoked")
    # A neighbour's bit does not affect this credential.
    other = world.credential(
        status=[
            {**vc["credentialStatus"][0], "statusListIndex": "94566"},
        ]
    )
    assert verify_credential(other, world.trust, now=NOW).verified


def test_status_unverifiable_when_list_differs_from_anchor(world: World) -> None:
    vc = world.credential()
    stale = world.trust.status_list_credential(REVOCATION_URL)
    world.lists[REVOCATION_URL].set(94567)
    world.publish(REVOCATION_URL)
    # The issuer revoked and re-anchored; a server still hands out the old list.
    result = verify_credential(vc, world.trust, now=NOW, status_lists={REVOCATION_URL: stale})
    _only_failure(result, "status", "status_unverifiable")
    assert "anchor" in result.check("status").detail


def test_status_unverifiable_when_list_is_forged_or_missing(world: World) -> None:
    vc = world.credential()
    forged = copy.deepcopy(world.trust.status_list_credential(REVOCATION_URL))
    forged["validUntil"] = "2030-01-01T00:00:00Z"
    result = verify_credential(vc, world.trust, now=NOW, status_lists={REVOCATION_URL: forged})
    _only_failure(result, "status", "status_unverifiable")
    assert "proof" in result.check("status").detail
    world.lists["https://bank.example/status/3"] = world.lists[REVOCATION_URL]
    world.publish("https://bank.example/status/3", "revocation", anchored=False)
    unanchored = world.credential(
        status=[
            {**vc["credentialStatus"][0], "statusListCredential": "https://bank.example/status/3"}
        ]
    )
    _only_failure(
        verify_credential(unanchored, world.trust, now=NOW), "status", "status_unverifiable"
    )
    missing = world.credential(
        status=[{**vc["credentialStatus"][0], "statusListCredential": "https://bank.example/none"}]
    )
    _only_failure(verify_credential(missing, world.trust, now=NOW), "status", "status_unverifiable")


def test_status_list_of_another_purpose_is_unverifiable(world: World) -> None:
    vc = world.credential(
        status=[
            {**world.credential()["credentialStatus"][0], "statusListCredential": SUSPENSION_URL}
        ]
    )
    _only_failure(verify_credential(vc, world.trust, now=NOW), "status", "status_unverifiable")


def test_every_failure_is_reported_together(world: World) -> None:
    world.lists[REVOCATION_URL].set(94567)
    world.publish(REVOCATION_URL)
    vc = world.credential(
        subject={"id": world.alice_did, "kycTier": 9}, valid_until=datetime(2025, 3, 1, tzinfo=UTC)
    )
    result = verify_credential(vc, world.trust, now=NOW)
    assert result.reasons == ("schema_invalid", "expired", "revoked")
    assert result.check("proof").status == PASSED


def test_now_must_be_aware(world: World) -> None:
    with pytest.raises(FinchainError) as info:
        verify_credential(world.credential(), world.trust, now=datetime(2025, 6, 1))
    assert ErrInvalidTime.matches(info.value)


def test_proof_created_in_the_future_or_expired(world: World) -> None:
    vc = world.credential()
    result = verify_credential(vc, world.trust, now=datetime(2025, 1, 15, tzinfo=UTC))
    assert result.check("proof").reason == "proof_invalid"
    expiring = add_proof(
        world.unsigned(),
        world.bank_key,
        verification_method=str(world.bank_method["id"]),
        proof_purpose="assertionMethod",
        created=ISSUED,
        expires=datetime(2025, 5, 1, tzinfo=UTC),
    )
    _only_failure(verify_credential(expiring, world.trust, now=NOW), "proof", "proof_expired")


def test_wrong_proof_purpose_is_invalid(world: World) -> None:
    vc = add_proof(
        world.unsigned(),
        world.bank_key,
        verification_method=str(world.bank_method["id"]),
        proof_purpose="authentication",
        created=ISSUED,
    )
    _only_failure(verify_credential(vc, world.trust, now=NOW), "proof", "proof_invalid")
