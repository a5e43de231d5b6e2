"""An eddsa-jcs-2022 verifier written from the W3C specs alone, against finchain's output.

Only rfc8785, base58, hashlib and nacl.signing check the proof; finchain is
used only to produce the credential and the issuer's verification method.
Steps (vc-di-eddsa 1.0, 3.3.2 Verify Proof; 3.3.4 Hashing; 3.3.5 Proof
Configuration; 2.1.1 Multikey):

1. unsecured = document without ``proof``; options = proof without ``proofValue``;
2. the document's @context must start with options' @context; use the latter;
3. hashData = SHA-256(JCS(options)) || SHA-256(JCS(unsecured));
4. the Multikey is 'z' + base58btc(0xed 0x01 || 32-byte key); verify Ed25519.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import base58
import rfc8785
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from tests.vc.world import World


def independent_verify(secured: dict[str, Any], public_key_multibase: str) -> bool:
    proof = secured["proof"]
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != "eddsa-jcs-2022":
        return False
    unsecured = {k: v for k, v in secured.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options:
        proof_context = options["@context"]
        if secured.get("@context", [])[: len(proof_context)] != proof_context:
            return False
        unsecured["@context"] = proof_context
    hash_data = (
        hashlib.sha256(rfc8785.dumps(options)).digest()
        + hashlib.sha256(rfc8785.dumps(unsecured)).digest()
    )
    assert proof["proofValue"].startswith("z")
    signature = base58.b58decode(proof["proofValue"][1:])
    assert public_key_multibase.startswith("z")
    multikey = base58.b58decode(public_key_multibase[1:])
    assert multikey[:2] == b"\xed\x01" and len(multikey) == 34
    try:
        VerifyKey(multikey[2:]).verify(hash_data, signature)
    except BadSignatureError:
        return False
    return True


def test_independent_verifier_accepts_finchain_credential_and_rejects_tampering() -> None:
    world = World(scheme="ed25519", hash_name="sha256")
    credential = world.credential()
    public = str(world.bank_method["publicKeyMultibase"])
    assert independent_verify(credential, public)

    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["kycTier"] = 3
    assert not independent_verify(tampered, public)

    tampered = copy.deepcopy(credential)
    tampered["proof"]["created"] = "2030-01-01T00:00:00Z"
    assert not independent_verify(tampered, public)


def test_independent_verifier_accepts_finchain_presentation_and_status_list() -> None:
    from finchain.offchain.vc.presentations import build_presentation, sign_presentation
    from tests.vc.world import NOW, REVOCATION_URL

    world = World(scheme="ed25519", hash_name="sha256")
    vp = sign_presentation(
        build_presentation(holder=world.alice_did, credentials=[world.credential()]),
        world.alice_key,
        f"{world.alice_did}#k1",
        created=NOW,
        challenge="n-1",
        domain="verifier.example",
    )
    alice_method = world.trust.resolve(world.alice_did)["verificationMethod"][0]
    assert independent_verify(vp, alice_method["publicKeyMultibase"])
    status_list = world.trust.status_list_credential(REVOCATION_URL)
    assert independent_verify(status_list, str(world.bank_method["publicKeyMultibase"]))
