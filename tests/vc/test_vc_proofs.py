"""Data Integrity proofs: the W3C eddsa-jcs-2022 vector, the sm2-jcs-2025 vector, tampering."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import base58
import pytest

from finchain.crypto import generate_private_key, private_key_from_bytes
from finchain.errors import FinchainError
from finchain.formats.keyformats import from_jwk, from_multikey
from finchain.formats.times import parse_time
from finchain.offchain.vc.errors import ErrMalformedProof, ErrUnsupportedCryptosuite
from finchain.offchain.vc.proofs import add_proof, compute_hash_data, read_proof, verify_proof

# W3C vc-di-eddsa test vectors (TestVectors/keyPair.json, eddsa-jcs-2022/signedJCS.json,
# eddsa-jcs-2022/combinedHashJCS.txt).
SPEC_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
SPEC_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
SPEC_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/ns/credentials/examples/v2",
]
SPEC_UNSECURED: dict[str, Any] = {
    "@context": SPEC_CONTEXT,
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
SPEC_PROOF: dict[str, Any] = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "created": "2023-02-24T23:36:38Z",
    "verificationMethod": f"https://vc.example/issuers/5678#{SPEC_PUBLIC}",
    "proofPurpose": "assertionMethod",
    "@context": SPEC_CONTEXT,
    "proofValue": (
        "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"
    ),
}
SPEC_COMBINED_HASH = (
    "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db"
    "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
)

# sm2-jcs-2025 vector of docs/vc-suites.md (key: the GB/T 32918 example secret).
SM2_SECRET = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"
SM2_JWK = {
    "kty": "EC",
    "crv": "SM2",
    "x": "CfnfMR5UIaFQ3X0WHkvFxnIXn60YM_wHa7CP81bzUCA",
    "y": "zOpJDOJndaUtxupxjMGqYArtBfvzXghKZjL2By2prRM",
}
SM2_SECURED: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential", "KycCredential"],
    "issuer": "did:finchain:testnet:000000000195",
    "validFrom": "2025-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:finchain:testnet:000000000292", "kycTier": 2},
    "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "sm2-jcs-2025",
        "created": "2025-02-01T00:00:00Z",
        "verificationMethod": "did:finchain:testnet:000000000195#k1",
        "proofPurpose": "assertionMethod",
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "proofValue": (
            "z2bAemk1ew1CADLETrJh1upWSbx86Hp4oMxtE2rBeWYfBAv"
            "uhxqxYwEtHiNM8k8Ppe8goJL5bKQeqs4S2f3dXiEyp"
        ),
    },
}
SM2_HASH_DATA = (
    "fb78db4936f456be2a561643edf37fa48823a9e748fbddccfbaf28d697a8c5cc"
    "0ae9c44753b7a231f35cc3584a33b3730656b49feac29fe1425ae57df18a4471"
)


def _spec_secured() -> dict[str, Any]:
    return {**copy.deepcopy(SPEC_UNSECURED), "proof": copy.deepcopy(SPEC_PROOF)}


def test_w3c_eddsa_jcs_2022_vector_verifies() -> None:
    assert verify_proof(_spec_secured(), *from_multikey(SPEC_PUBLIC))


def test_w3c_eddsa_jcs_2022_vector_is_reproduced_byte_for_byte() -> None:
    seed = base58.b58decode(SPEC_SECRET[1:])[2:]
    key = private_key_from_bytes("ed25519", seed)
    secured = add_proof(
        SPEC_UNSECURED,
        key,
        verification_method=SPEC_PROOF["verificationMethod"],
        proof_purpose="assertionMethod",
        created=parse_time(SPEC_PROOF["created"]),
    )
    assert secured["proof"] == SPEC_PROOF
    assert secured == _spec_secured()


def test_w3c_combined_hash_vector() -> None:
    # The published hash vector was made with a did:key verification method.
    config = {k: v for k, v in SPEC_PROOF.items() if k != "proofValue"}
    config["verificationMethod"] = f"did:key:{SPEC_PUBLIC}#{SPEC_PUBLIC}"
    assert compute_hash_data(SPEC_UNSECURED, config).hex() == SPEC_COMBINED_HASH


def test_sm2_jcs_2025_vector() -> None:
    key = private_key_from_bytes("sm2", bytes.fromhex(SM2_SECRET))
    scheme, public = from_jwk(SM2_JWK)
    assert (scheme, public) == ("sm2", key.public_key().data)
    config = {k: v for k, v in SM2_SECURED["proof"].items() if k != "proofValue"}
    assert compute_hash_data(SM2_SECURED, config).hex() == SM2_HASH_DATA
    assert verify_proof(SM2_SECURED, scheme, public)
    # SM2 signatures are randomised: a fresh proof differs but verifies alike.
    unsecured = {k: v for k, v in SM2_SECURED.items() if k != "proof"}
    fresh = add_proof(
        unsecured,
        key,
        verification_method=config["verificationMethod"],
        proof_purpose="assertionMethod",
        created=parse_time(config["created"]),
    )
    assert {k: v for k, v in fresh["proof"].items() if k != "proofValue"} == config
    assert verify_proof(fresh, scheme, public)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))
    else:
        yield path


def _mutated(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    return value[:-1] + ("X" if value[-1:] != "X" else "Y")


@pytest.mark.parametrize("vector", ["w3c", "sm2"])
def test_tampering_any_field_breaks_the_proof(vector: str) -> None:
    secured = _spec_secured() if vector == "w3c" else copy.deepcopy(SM2_SECURED)
    public = from_multikey(SPEC_PUBLIC) if vector == "w3c" else from_jwk(SM2_JWK)
    paths = list(_leaves(secured))
    assert len(paths) > 12
    for path in paths:
        tampered = copy.deepcopy(secured)
        target = tampered
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = _mutated(target[path[-1]])
        try:
            assert not verify_proof(tampered, *public), path
        except FinchainError as exc:  # e.g. type or cryptosuite no longer readable
            assert exc.codespace == "vc", path
    # Adding or removing a member breaks it too.
    for extra in ({"extra": 1}, {"credentialSubject": {"id": "did:example:abcdefgh"}}):
        assert not verify_proof({**secured, **extra}, *public)


def test_proof_context_must_prefix_the_document_context() -> None:
    secured = _spec_secured()
    secured["@context"] = SPEC_CONTEXT[:1]
    assert not verify_proof(secured, *from_multikey(SPEC_PUBLIC))


def test_key_of_another_scheme_does_not_verify() -> None:
    other = generate_private_key("sm2").public_key().data
    assert not verify_proof(_spec_secured(), "sm2", other)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"cryptosuite": "ecdsa-jcs-2019"}, ErrUnsupportedCryptosuite),
        ({"type": "Ed25519Signature2020"}, ErrUnsupportedCryptosuite),
        ({"proofPurpose": "capabilityInvocation"}, ErrMalformedProof),
        ({"created": "2023-02-24 23:36:38"}, ErrMalformedProof),
        ({"previousProof": "urn:x"}, ErrMalformedProof),
        ({"verificationMethod": ""}, ErrMalformedProof),
        ({"proofValue": 5}, ErrMalformedProof),
    ],
)
def test_unreadable_proofs_raise_registered_errors(change: dict[str, Any], error: Any) -> None:
    secured = _spec_secured()
    secured["proof"].update(change)
    with pytest.raises(FinchainError) as info:
        read_proof(secured)
    assert error.matches(info.value)


def test_proof_sets_and_double_signing_are_refused() -> None:
    secured = _spec_secured()
    with pytest.raises(FinchainError) as info:
        read_proof({**secured, "proof": [secured["proof"]]})
    assert ErrMalformedProof.matches(info.value)
    with pytest.raises(FinchainError) as info:
        add_proof(
            secured,
            generate_private_key("ed25519"),
            verification_method="did:x#k",
            proof_purpose="assertionMethod",
            created=parse_time("2025-01-01T00:00:00Z"),
        )
    assert ErrMalformedProof.matches(info.value)


def test_secp256k1_keys_have_no_cryptosuite() -> None:
    with pytest.raises(FinchainError) as info:
        add_proof(
            SPEC_UNSECURED,
            generate_private_key("secp256k1"),
            verification_method="did:x#k",
            proof_purpose="assertionMethod",
            created=parse_time("2025-01-01T00:00:00Z"),
        )
    assert ErrUnsupportedCryptosuite.matches(info.value)
