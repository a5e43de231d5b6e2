"""The DID registry through real blocks: lifecycle, history, authority, bindings.

The default chain has accounts 1..3 (Ed25519 keys); each scenario creates DIDs
with fresh keys, so DID-side signatures are independent of account keys.
"""

from __future__ import annotations

from typing import Any

import pytest

from finchain.app import TxResult
from finchain.codec import RawMsg
from finchain.crypto import PrivateKey, generate_private_key
from finchain.errors import FinchainError
from finchain.formats.keyformats import from_jwk, from_multikey
from finchain.modules.accounts.types import account_id
from finchain.modules.identity.binding import binding_statement
from finchain.modules.identity.types import did_for, rfc3339
from tests.harness import BLOCK_NS, CHAIN_ID, Chain

A = {n: account_id(n) for n in range(1, 6)}
AUTH = ["authentication", "assertionMethod"]


def method(key_id: str, key: PrivateKey, relationships: list[str] | None = None) -> dict[str, Any]:
    public = key.public_key()
    return {
        "id": key_id,
        "scheme": public.scheme,
        "public_key": public.data,
        "relationships": AUTH if relationships is None else relationships,
    }


def create_did(methods: list[dict[str, Any]], services=(), controllers=()) -> RawMsg:
    return RawMsg(
        "identity/create_did",
        {"methods": methods, "services": list(services), "controllers": list(controllers)},
    )


def update_did(did: str, **changes: Any) -> RawMsg:
    return RawMsg("identity/update_did", {"did": did, **changes})


def rotate_key(did: str, key_id: str, key: PrivateKey) -> RawMsg:
    public = key.public_key()
    return RawMsg(
        "identity/rotate_key",
        {"did": did, "key_id": key_id, "scheme": public.scheme, "public_key": public.data},
    )


def deactivate(did: str) -> RawMsg:
    return RawMsg("identity/deactivate_did", {"did": did})


class Registry:
    """A chain and the steps the scenarios are written in."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.app = chain.app

    def nonce(self, who: int) -> int:
        return self.app.accounts.nonce(self.app.state, A[who])

    def send(self, who: int, *msgs: RawMsg) -> TxResult:
        """One block holding one tx by account ``who`` with its committed nonce."""
        signer = self.chain.signer(who)
        signer.nonce = self.nonce(who)
        (result,) = self.chain.block(signer.sign(*msgs))
        return result

    def create(self, who: int, *methods: dict[str, Any], **kw: Any) -> str:
        result = self.send(who, create_did(list(methods), **kw))
        assert result.ok, result.log
        (event,) = [e for e in result.events if e.type == "did_created"]
        return str(event.get("did"))

    def resolve(self, did: str, **params: Any) -> dict[str, Any]:
        return self.app.query("identity/resolve", {"did": did, **params}).value

    def document(self, did: str, **params: Any) -> dict[str, Any]:
        return self.resolve(did, **params)["didDocument"]

    def key_of(self, did: str, key_id: str, **params: Any) -> tuple[str, bytes]:
        doc = self.document(did, **params)
        (found,) = [m for m in doc["verificationMethod"] if m["id"] == f"{did}#{key_id}"]
        if found["type"] == "Multikey":
            return from_multikey(found["publicKeyMultibase"])
        return from_jwk(found["publicKeyJwk"])

    def identity_state(self) -> dict[str, Any]:
        return self.app.export_genesis()["identity"]

    def bind(self, who: int, did: str, key_id: str, key: PrivateKey, *, nonce=None) -> TxResult:
        proof_nonce = self.nonce(who) if nonce is None else nonce
        signature = key.sign(binding_statement(CHAIN_ID, did, A[who], proof_nonce))
        msg = RawMsg(
            "identity/bind_account",
            {"did": did, "key_id": key_id, "nonce": proof_nonce, "signature": signature},
        )
        return self.send(who, msg)

    def unbind(self, who: int, did: str, account: str) -> TxResult:
        return self.send(who, RawMsg("identity/unbind_account", {"did": did, "account": account}))


def assert_refused(result: TxResult, code: int, *, codespace: str = "identity") -> None:
    assert (result.codespace, result.code) == (codespace, code), result.log
    assert result.events == ()


@pytest.fixture
def reg(tmp_path) -> Registry:
    return Registry(Chain(tmp_path / "db"))


def test_create_assigns_the_next_did_and_reports_it_in_the_event(reg):
    key = generate_private_key("ed25519")
    first = reg.create(1, method("k1", key))
    second = reg.create(2, method("k1", generate_private_key("ed25519")))

    assert (first, second) == (did_for(CHAIN_ID, 1), did_for(CHAIN_ID, 2))
    result = reg.resolve(first)
    doc = result["didDocument"]
    assert doc["id"] == first
    assert doc["@context"][0] == "https://www.w3.org/ns/did/v1"
    assert doc["authentication"] == doc["assertionMethod"] == [f"{first}#k1"]
    assert "keyAgreement" not in doc and "controller" not in doc
    assert reg.key_of(first, "k1") == ("ed25519", key.public_key().data)
    assert result["didDocumentMetadata"] == {
        "created": rfc3339(reg.chain.genesis.time_ns + BLOCK_NS),
        "versionId": "1",
        "deactivated": False,
    }
    assert result["didResolutionMetadata"] == {"contentType": "application/did+ld+json"}
    listed = reg.app.query("identity/dids_of_controller", {"account": A[1]}).value["dids"]
    assert listed == [{"did": first, "version": 1, "deactivated": False}]


def test_sm2_and_secp256k1_keys_render_as_json_web_keys(reg):
    sm2, k1 = generate_private_key("sm2"), generate_private_key("secp256k1")
    did = reg.create(
        1, method("gm", sm2, ["keyAgreement", "assertionMethod"]), method("btc", k1, AUTH)
    )

    doc = reg.document(did)
    types = {m["id"]: (m["type"], m["publicKeyJwk"]["crv"]) for m in doc["verificationMethod"]}
    assert types == {f"{did}#btc": ("JsonWebKey", "secp256k1"), f"{did}#gm": ("JsonWebKey", "SM2")}
    assert doc["keyAgreement"] == [f"{did}#gm"]
    assert reg.key_of(did, "gm") == ("sm2", sm2.public_key().data)
    assert reg.key_of(did, "btc") == ("secp256k1", k1.public_key().data)


def test_lifecycle_update_rotate_deactivate_with_history(reg):
    """create (v1) → update: add an SM2 key and a service (v2) → rotate k1 (v3) →
    deactivate (v4); every past version still resolves, the current one is empty."""
    old, new, sm2 = (generate_private_key(s) for s in ("ed25519", "ed25519", "sm2"))
    did = reg.create(1, method("k1", old))
    service = {"id": "kyc", "type": "LinkedDomains", "endpoint": "https://bank.example/kyc"}

    result = reg.send(1, update_did(did, add_methods=[method("k2", sm2)], add_services=[service]))
    assert result.ok, result.log
    assert [e.type for e in result.events] == ["did_updated"]
    result = reg.send(1, rotate_key(did, "k1", new))
    assert result.ok, result.log
    assert dict(result.events[0].attributes)["version"] == "3"

    assert reg.key_of(did, "k1") == ("ed25519", new.public_key().data)
    assert reg.key_of(did, "k1", versionId="1") == ("ed25519", old.public_key().data)
    assert reg.key_of(did, "k1", versionId="2") == ("ed25519", old.public_key().data)
    assert reg.document(did)["authentication"] == [f"{did}#k1", f"{did}#k2"]
    assert reg.document(did)["service"] == [
        {"id": f"{did}#kyc", "type": "LinkedDomains", "serviceEndpoint": service["endpoint"]}
    ]
    v1 = reg.resolve(did, versionId="1")["didDocumentMetadata"]
    assert v1["versionId"] == "1" and v1["nextVersionId"] == "2" and "updated" not in v1

    result = reg.send(1, deactivate(did))
    assert result.ok, result.log
    current = reg.resolve(did)
    assert current["didDocument"] == {"@context": current["didDocument"]["@context"], "id": did}
    assert current["didDocumentMetadata"]["deactivated"] is True
    assert current["didDocumentMetadata"]["versionId"] == "4"
    past = reg.resolve(did, versionId=3)
    assert past["didDocumentMetadata"]["deactivated"] is True
    assert reg.key_of(did, "k1", versionId="3") == ("ed25519", new.public_key().data)
    assert reg.app.identity.verification_method(reg.app.state, did, "k1") is None
    assert not reg.app.identity.is_active(reg.app.state, did)
    assert reg.app.check_invariants() == []


def test_deactivated_did_refuses_every_change(reg):
    key = generate_private_key("ed25519")
    did = reg.create(1, method("k1", key))
    assert reg.send(1, deactivate(did)).ok
    before = reg.identity_state()

    for msg in (
        update_did(did, remove_methods=["k1"]),
        rotate_key(did, "k1", generate_private_key("ed25519")),
        deactivate(did),
    ):
        assert_refused(reg.send(1, msg), 6)
    assert_refused(reg.bind(1, did, "k1", key), 6)
    assert reg.identity_state() == before


def test_resolution_by_version_time(reg):
    old, new = generate_private_key("ed25519"), generate_private_key("ed25519")
    did = reg.create(1, method("k1", old))
    created = reg.app.last_block_time_ns
    reg.chain.block()
    reg.chain.block()
    assert reg.send(1, rotate_key(did, "k1", new)).ok
    rotated = reg.app.last_block_time_ns

    view, state = reg.app.identity, reg.app.state
    assert (
        view.verification_method(state, did, "k1", at_time_ns=created)[1] == old.public_key().data
    )
    assert view.verification_method(state, did, "k1", at_time_ns=rotated - 1)[1] == (
        old.public_key().data
    )
    assert view.verification_method(state, did, "k1", at_time_ns=rotated)[1] == (
        new.public_key().data
    )
    assert view.verification_method(state, did, "k1", at_time_ns=created - 1) is None
    assert reg.key_of(did, "k1", versionTime=rfc3339(rotated - BLOCK_NS)) == (
        "ed25519",
        old.public_key().data,
    )
    early = reg.resolve(did, versionTime="2020-01-01T00:00:00Z")
    assert early["didResolutionMetadata"]["error"] == "notFound"
    both = reg.resolve(did, versionId="1", versionTime=rfc3339(rotated))
    assert both["didResolutionMetadata"]["error"] == "invalidDidUrl"
    assert reg.resolve(did, versionId="9")["didResolutionMetadata"]["error"] == "notFound"
    assert reg.resolve(did, versionId="01")["didResolutionMetadata"]["error"] == "invalidDidUrl"


def test_unauthorised_updates_are_refused_and_change_nothing_but_the_nonce(reg):
    did = reg.create(1, method("k1", generate_private_key("ed25519")))
    before, nonce = reg.identity_state(), reg.nonce(2)

    for msg in (
        update_did(did, remove_methods=["k1"]),
        update_did(did, controller_account=A[2]),
        rotate_key(did, "k1", generate_private_key("ed25519")),
        deactivate(did),
    ):
        result = reg.send(2, msg)
        assert_refused(result, 5)
        assert A[1] in result.log and "controller account" in result.log
    assert reg.identity_state() == before
    assert reg.nonce(2) == nonce + 4


def test_controller_dids_and_hand_over(reg):
    """DID B lists DID A as controller: A's account may update B, others may not; when A is
    deactivated its account loses that power. Handing B to account 3 moves control."""
    did_a = reg.create(1, method("k1", generate_private_key("ed25519")))
    did_b = reg.create(2, method("k1", generate_private_key("ed25519")), controllers=[did_a])
    assert reg.document(did_b)["controller"] == [did_b, did_a]

    service = {"id": "x", "type": "LinkedDomains", "endpoint": "https://a.example"}
    assert reg.send(1, update_did(did_b, add_services=[service])).ok
    assert_refused(reg.send(3, update_did(did_b, remove_services=["x"])), 5)
    assert reg.send(1, deactivate(did_a)).ok
    assert_refused(reg.send(1, update_did(did_b, remove_services=["x"])), 5)

    assert reg.send(2, update_did(did_b, controller_account=A[3], controllers=[])).ok
    assert_refused(reg.send(2, update_did(did_b, remove_services=["x"])), 5)
    assert reg.send(3, update_did(did_b, remove_services=["x"])).ok
    owned = reg.app.query("identity/dids_of_controller", {"account": A[3]}).value["dids"]
    assert [d["did"] for d in owned] == [did_b]
    assert reg.app.query("identity/dids_of_controller", {"account": A[2]}).value["dids"] == []
    assert reg.app.check_invariants() == []


def test_controllers_must_be_other_active_dids_of_this_chain(reg):
    did = reg.create(1, method("k1", generate_private_key("ed25519")))
    key = method("k1", generate_private_key("ed25519"))
    assert_refused(reg.send(1, update_did(did, controllers=[did])), 13)
    assert_refused(reg.send(1, create_did([key], controllers=[did_for(CHAIN_ID, 99)])), 13)
    assert_refused(reg.send(1, create_did([key], controllers=[did_for("other-chain", 1)])), 3)
    assert_refused(reg.send(1, update_did(did, controller_account=account_id(77))), 13)


def test_dids_of_another_chain_are_refused(reg):
    reg.create(1, method("k1", generate_private_key("ed25519")))
    foreign = did_for("other-chain", 1)

    assert_refused(reg.send(1, deactivate(foreign)), 3)
    assert_refused(reg.send(1, update_did(foreign, remove_methods=["k1"])), 3)
    error = reg.resolve(foreign)["didResolutionMetadata"]
    assert error["error"] == "notFound"
    assert reg.app.identity.controller_account(reg.app.state, foreign) is None
    assert (
        reg.resolve("did:finchain:test-chain:000000000100")["didResolutionMetadata"]["error"]
        == "invalidDid"
    )


def test_update_edge_cases_have_their_own_codes(reg):
    key = generate_private_key("ed25519")
    did = reg.create(1, method("k1", key))

    assert_refused(reg.send(1, update_did(did, remove_methods=["nope"])), 9)
    assert_refused(reg.send(1, update_did(did, add_methods=[method("k1", key)])), 8)
    assert_refused(reg.send(1, update_did(did, add_methods=[method("k2", key)])), 7)
    assert_refused(reg.send(1, update_did(did, remove_services=["web"])), 12)
    assert_refused(reg.send(1, update_did(did, controllers=[])), 19)
    assert_refused(reg.send(1, rotate_key(did, "k1", key)), 19)
    assert_refused(reg.send(1, rotate_key(did, "k9", key)), 9)
    ed_agreement = {"id": "k1", "relationships": ["keyAgreement"]}
    assert_refused(reg.send(1, update_did(did, set_relationships=[ed_agreement])), 7)
    many = [method(f"m{i}", generate_private_key("ed25519")) for i in range(32)]
    assert_refused(reg.send(1, update_did(did, add_methods=many)), 14)
    assert reg.resolve(did)["didDocumentMetadata"]["versionId"] == "1"


def test_binding_needs_both_sides_and_cannot_be_replayed(reg):
    auth, assertion_only = generate_private_key("ed25519"), generate_private_key("sm2")
    did = reg.create(
        1,
        method("auth", auth, ["authentication"]),
        method("vc", assertion_only, ["assertionMethod"]),
    )
    view = reg.app.identity

    stranger = generate_private_key("ed25519")
    assert_refused(reg.bind(2, did, "auth", stranger), 17)
    assert_refused(reg.bind(2, did, "vc", assertion_only), 17)
    assert_refused(reg.bind(2, did, "auth", auth, nonce=reg.nonce(2) + 1), 18)
    assert view.did_of_account(reg.app.state, A[2]) is None

    used_nonce = reg.nonce(2)
    result = reg.bind(2, did, "auth", auth)
    assert result.ok, result.log
    assert [e.type for e in result.events] == ["did_account_bound"]
    assert view.did_of_account(reg.app.state, A[2]) == did
    other = reg.create(3, method("auth", generate_private_key("ed25519"), ["authentication"]))
    assert_refused(reg.bind(2, other, "auth", auth), 15)

    assert reg.unbind(2, did, A[2]).ok
    replay = auth.sign(binding_statement(CHAIN_ID, did, A[2], used_nonce))
    msg = RawMsg(
        "identity/bind_account",
        {"did": did, "key_id": "auth", "nonce": used_nonce, "signature": replay},
    )
    assert_refused(reg.send(2, msg), 18)
    assert view.did_of_account(reg.app.state, A[2]) is None
    assert reg.app.check_invariants() == []


def test_unbinding_by_account_or_controller_and_on_deactivation(reg):
    auth = generate_private_key("ed25519")
    did = reg.create(1, method("auth", auth, ["authentication"]))
    assert reg.bind(2, did, "auth", auth).ok
    assert reg.bind(3, did, "auth", auth).ok
    record = reg.app.query("identity/record", {"did": did}).value
    assert record["bound_accounts"] == sorted([A[2], A[3]])

    assert_refused(reg.unbind(3, did, A[2]), 5)
    assert_refused(reg.unbind(1, did, A[1]), 16)
    result = reg.unbind(1, did, A[2])
    assert result.ok and dict(result.events[0].attributes)["reason"] == "by_controller"

    result = reg.send(1, deactivate(did))
    assert [e.type for e in result.events] == ["did_account_unbound", "did_deactivated"]
    assert reg.app.identity.did_of_account(reg.app.state, A[3]) is None
    assert reg.app.check_invariants() == []


def test_governance_may_retire_but_a_transaction_may_not(reg):
    did = reg.create(1, method("k1", generate_private_key("ed25519")))
    result = reg.send(1, RawMsg("identity/retire_did", {"did": did}))
    assert result.codespace == "gov" and not result.ok
    assert reg.app.identity.is_active(reg.app.state, did)


def test_state_survives_a_restart_with_the_same_app_hash(reg):
    key = generate_private_key("ed25519")
    did = reg.create(1, method("k1", key))
    assert reg.send(1, rotate_key(did, "k1", generate_private_key("ed25519"))).ok
    resolved, app_hash = reg.resolve(did, versionId="1"), reg.chain.app_hash()

    reg.chain.reopen()
    reg.app = reg.chain.app
    assert reg.chain.app_hash() == app_hash
    assert reg.resolve(did, versionId="1") == resolved


def test_a_passed_proposal_retires_a_did_and_ends_its_bindings(tmp_path):
    from finchain.client import builders as b
    from tests.modules.test_governance import make_gov

    gov = make_gov(tmp_path)
    reg = Registry(gov.chain)
    auth = generate_private_key("ed25519")
    did = reg.create(5, method("auth", auth, ["authentication"]))
    assert reg.bind(2, did, "auth", auth).ok

    pid = gov.pass_proposal(b.exec_msg(RawMsg("identity/retire_did", {"did": did})))

    assert gov.proposal(pid)["status"] == "executed"
    assert reg.resolve(did)["didDocumentMetadata"]["deactivated"] is True
    assert reg.app.identity.did_of_account(reg.app.state, A[2]) is None
    assert reg.app.check_invariants() == []


def test_a_past_version_resolves_with_a_state_proof(reg):
    from finchain.store import verify_proof

    did = reg.create(1, method("k1", generate_private_key("ed25519")))
    assert reg.send(1, rotate_key(did, "k1", generate_private_key("ed25519"))).ok

    proven = reg.app.query("identity/resolve", {"did": did, "versionId": "1"}, prove=True)
    assert proven.value == reg.resolve(did, versionId="1")
    assert len(proven.proofs) >= 2  # the current record and the stored version 1
    assert all(verify_proof(proven.root, p.key, p.value, p.proof, "sha256") for p in proven.proofs)


def test_dids_of_controller_answers_in_bounded_pages(reg):
    """Any account can hand DIDs to another, so the listing must not grow without limit."""
    made = [reg.create(2, method("k1", generate_private_key("ed25519"))) for _ in range(3)]
    handed = [update_did(did, controller_account=A[3]) for did in made]
    assert reg.send(2, *handed).ok

    def page(**params: Any) -> dict[str, Any]:
        return dict(reg.app.query("identity/dids_of_controller", {"account": A[3], **params}).value)

    first = page(limit=2)
    assert [d["did"] for d in first["dids"]] == made[:2]
    rest = page(limit="2", cursor=first["next_cursor"])
    assert [d["did"] for d in rest["dids"]] == made[2:] and rest["next_cursor"] is None
    assert page()["next_cursor"] is None and len(page()["dids"]) == 3
    for bad in ({"limit": 0}, {"limit": 201}, {"cursor": -1}, {"cursor": "x"}):
        with pytest.raises(FinchainError, match="must be an integer"):
            page(**bad)
