"""verify_presentation: holder binding, challenge and domain, nested credential results."""

from __future__ import annotations

from typing import Any

import pytest

from finchain.errors import FinchainError
from finchain.offchain.vc.errors import ErrKeyMismatch, ErrMalformedPresentation
from finchain.offchain.vc.presentations import build_presentation, sign_presentation
from finchain.offchain.vc.proofs import add_proof
from finchain.offchain.vc.verifier import FAILED, verify_presentation
from tests.vc.world import ISSUED, NOW, REVOCATION_URL, World, key

CHALLENGE = "c0ffee-1234"
DOMAIN = "verifier.bank.example"


@pytest.fixture(params=["ed25519", "sm2"])
def world(request: pytest.FixtureRequest) -> World:
    return World(scheme=request.param, hash_name="sha256" if request.param == "ed25519" else "sm3")


def _present(world: World, credentials: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"created": NOW, "challenge": CHALLENGE, "domain": DOMAIN}
    options.update(overrides)
    vp = build_presentation(holder=world.alice_did, credentials=credentials)
    return sign_presentation(vp, world.alice_key, f"{world.alice_did}#k1", **options)


def test_valid_presentation(world: World) -> None:
    vp = _present(world, [world.credential()])
    result = verify_presentation(vp, world.trust, challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert result.verified, result.to_dict()
    assert [c.name for c in result.checks] == [
        "structure",
        "proof",
        "challenge",
        "domain",
        "holder",
        "credentials",
    ]
    assert len(result.credentials) == 1 and result.credentials[0].verified


def test_challenge_and_domain_mismatch(world: World) -> None:
    vp = _present(world, [world.credential()])
    result = verify_presentation(vp, world.trust, challenge="other", domain=DOMAIN, now=NOW)
    assert result.reasons == ("challenge_mismatch",)
    result = verify_presentation(
        vp, world.trust, challenge=CHALLENGE, domain="evil.example", now=NOW
    )
    assert result.reasons == ("domain_mismatch",)


def test_missing_challenge_in_proof_is_a_mismatch(world: World) -> None:
    vp = build_presentation(holder=world.alice_did, credentials=[world.credential()])
    signed = add_proof(
        vp,
        world.alice_key,
        verification_method=f"{world.alice_did}#k1",
        proof_purpose="authentication",
        created=NOW,
        domain=DOMAIN,
    )
    result = verify_presentation(signed, world.trust, challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert result.reasons == ("challenge_mismatch",)


def test_replayed_challenge_cannot_be_edited_in(world: World) -> None:
    vp = _present(world, [world.credential()])
    vp["proof"]["challenge"] = "fresh-nonce"
    result = verify_presentation(vp, world.trust, challenge="fresh-nonce", domain=DOMAIN, now=NOW)
    assert result.reasons == ("proof_invalid",)


def test_holder_mismatch(world: World) -> None:
    bob_credential = world.credential(subject={"id": world.bank_did, "kycTier": 1})
    vp = _present(world, [world.credential(), bob_credential])
    result = verify_presentation(vp, world.trust, challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert result.check("holder").status == FAILED
    assert result.reasons == ("holder_mismatch",)
    assert "credential 1" in result.check("holder").detail


def test_holder_key_must_be_an_authentication_method(world: World) -> None:
    vp = build_presentation(holder=world.bank_did, credentials=[world.credential()])
    # The bank's key is an assertionMethod, not an authentication method.
    signed = sign_presentation(
        vp, world.bank_key, f"{world.bank_did}#k1", created=NOW, challenge=CHALLENGE, domain=DOMAIN
    )
    result = verify_presentation(signed, world.trust, challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert result.check("proof").reason == "unknown_verification_method"
    assert "holder_mismatch" in result.reasons


def test_stolen_credential_signed_by_another_key(world: World) -> None:
    vp = build_presentation(holder=world.alice_did, credentials=[world.credential()])
    thief = key(world.scheme, 77)
    signed = add_proof(
        vp,
        thief,
        verification_method=f"{world.alice_did}#k1",
        proof_purpose="authentication",
        created=NOW,
        challenge=CHALLENGE,
        domain=DOMAIN,
    )
    result = verify_presentation(signed, world.trust, challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert result.reasons == ("proof_invalid",)


def test_nested_credential_failure_is_reported(world: World) -> None:
    world.lists[REVOCATION_URL].set(94567)
    world.publish(REVOCATION_URL)
    vp = _present(world, [world.credential()])
    result = verify_presentation(vp, world.trust, challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert not result.verified
    assert result.reasons == ("credential_invalid", "revoked")
    assert result.credentials[0].reasons == ("revoked",)


def test_malformed_presentation(world: World) -> None:
    vp = _present(world, [world.credential()])
    vp["verifiableCredential"] = []
    result = verify_presentation(vp, world.trust, challenge=CHALLENGE, domain=DOMAIN, now=NOW)
    assert result.reasons == ("malformed",)


def test_builder_and_signer_refuse_misuse(world: World) -> None:
    vp = build_presentation(holder=world.alice_did, credentials=[world.credential()])
    with pytest.raises(FinchainError) as info:
        sign_presentation(
            vp, world.alice_key, f"{world.bank_did}#k1", created=ISSUED, challenge="c", domain="d"
        )
    assert ErrKeyMismatch.matches(info.value)
    with pytest.raises(FinchainError) as info:
        sign_presentation(
            vp, world.alice_key, f"{world.alice_did}#k1", created=ISSUED, challenge="", domain="d"
        )
    assert ErrMalformedPresentation.matches(info.value)
    with pytest.raises(FinchainError) as info:
        verify_presentation(vp, world.trust, challenge="", domain=DOMAIN, now=NOW)
    assert ErrMalformedPresentation.matches(info.value)
