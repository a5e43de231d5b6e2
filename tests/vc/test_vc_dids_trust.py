"""did:finchain syntax, DID-document lookups, and InMemoryTrust (including bundles)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from finchain.errors import FinchainError
from finchain.formats.did import make_did, parse_did
from finchain.offchain.vc.dids import method_in_relationship
from finchain.offchain.vc.errors import ErrInvalidDid, ErrInvalidTrustData, ErrUnknownDid
from finchain.offchain.vc.trust import InMemoryTrust
from finchain.offchain.vc.verifier import verify_credential
from tests.vc.world import KYC_SCHEMA, NOW, T0, World


def test_did_round_trip_and_check_digits() -> None:
    did = make_did("main-net", 142)
    assert did == "did:finchain:main-net:000000014260"
    assert int(did.rsplit(":", 1)[1]) % 97 == 1
    assert parse_did(did).number == 142 and parse_did(did).chain_id == "main-net"
    for bad in (
        "did:finchain:main-net:000000014261",  # typo caught by the check digits
        "did:finchain:Main:000000014260",
        "did:finchain:-a:000000014260",
        "did:example:123",
        "did:finchain:main:000000000098",  # number 0
        None,
    ):
        with pytest.raises(FinchainError) as info:
            parse_did(bad)
        assert ErrInvalidDid.matches(info.value)


def test_method_lookup_needs_relationship_and_controller() -> None:
    world = World()
    doc = world.trust.resolve(world.bank_did)
    method_id = f"{world.bank_did}#k1"
    assert method_in_relationship(doc, method_id, "assertionMethod") == world.bank_method
    assert method_in_relationship(doc, method_id, "authentication") is None
    doc["verificationMethod"][0]["controller"] = world.alice_did
    assert method_in_relationship(doc, method_id, "assertionMethod") is None
    embedded = {"id": world.bank_did, "assertionMethod": [world.bank_method]}
    assert method_in_relationship(embedded, method_id, "assertionMethod") == world.bank_method


def test_resolution_follows_history() -> None:
    world = World()
    world.trust.deactivate(world.bank_did, since=datetime(2025, 5, 1, tzinfo=UTC))
    assert world.trust.resolve(world.bank_did, at=datetime(2025, 4, 1, tzinfo=UTC))
    for at in (None, datetime(2025, 5, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)):
        with pytest.raises(FinchainError) as info:
            world.trust.resolve(world.bank_did, at=at)
        assert ErrUnknownDid.matches(info.value)
    with pytest.raises(FinchainError) as info:
        world.trust.deactivate(world.bank_did, since=T0)
    assert ErrInvalidTrustData.matches(info.value)


def test_bundle_from_json_gives_the_same_verdicts() -> None:
    world = World()
    bundle = {
        "dids": [
            {"document": world.trust.resolve(d), "since": "2025-01-01T00:00:00Z"}
            for d in (world.bank_did, world.alice_did)
        ],
        "accreditations": [
            {"issuer": world.bank_did, "type": "KycCredential", "since": "2025-01-01T00:00:00Z"}
        ],
        "schemas": [{"hash": "sha256", "schema": KYC_SCHEMA}],
        "status_lists": [
            {
                "url": url,
                "credential": world.trust.status_list_credential(url),
                "hash": "sha256",
                "height": 7,
            }
            for url in world.lists
        ],
    }
    trust = InMemoryTrust.from_bundle(json.loads(json.dumps(bundle)))
    assert verify_credential(world.credential(), trust, now=NOW).verified
    with pytest.raises(FinchainError) as info:
        InMemoryTrust.from_bundle({"dids": [{"since": "2025-01-01T00:00:00Z"}]})
    assert ErrInvalidTrustData.matches(info.value)
