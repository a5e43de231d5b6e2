"""The credentials module through real blocks: governance accredits a bank and registers
three regulators (threshold 2) by an ``exec`` proposal; the bank records a KYC claim whose
escrow is built with the real escrow cryptography; a regulator's disclosure request fails
without a second approval and succeeds with it, leaving an audit record the bank sees; the
requester then opens the escrow with the approver's re-sealed share.

Chain: accounts 1..5 (1..4 governance members), the bank's DID controlled by account 1,
the customer account 5 bound to its own DID, regulators accounts 2, 3 and 4.
"""

from __future__ import annotations

from typing import Any

import pytest

from finchain.client import builders as b
from finchain.client.escrow import build_escrow, decode_link, encode_link, open_escrow, reseal_share
from finchain.codec import RawMsg
from finchain.core.errors import ErrGovernanceOnly
from finchain.crypto import generate_private_key
from finchain.crypto.sealing import EncryptionKey, generate_encryption_key
from finchain.errors import FinchainError
from finchain.modules.credentials.errors import (
    ErrAlreadyApproved,
    ErrNotAccredited,
    ErrNotRegulator,
    ErrRequestClosed,
    ErrStatusListVersion,
    ErrUnknownIssuer,
)
from finchain.store import verify_proof
from tests.harness import BLOCK_NS, CHAIN_ID
from tests.modules.test_governance import Gov, make_gov
from tests.modules.test_identity import A, Registry, method
from tests.support import code

KYC = "KycTierCredential"
LIFETIME = 4


class World:
    """The chain, the DIDs and the regulators' keys, and the steps the scenario uses."""

    def __init__(self, gov: Gov) -> None:
        self.gov = gov
        self.app = gov.app
        self.reg = Registry(gov.chain)
        self.bank = self.reg.create(1, method("assert", generate_private_key("ed25519")))
        customer_key = generate_private_key("ed25519")
        self.customer = self.reg.create(5, method("auth", customer_key))
        assert self.reg.bind(5, self.customer, "auth", customer_key).ok
        self.keys: dict[str, EncryptionKey] = {
            A[n]: generate_encryption_key("x25519") for n in (2, 3, 4)
        }

    def send(self, who: int, msg_type: str, **value: Any):
        return self.reg.send(who, RawMsg("credentials/" + msg_type, value))

    def query(self, path: str, **args: Any) -> Any:
        return self.app.query("credentials/" + path, args).value

    def govern(self, *msgs: tuple[str, dict[str, Any]]) -> None:
        actions = [b.exec_msg(RawMsg("credentials/" + t, v)) for t, v in msgs]
        pid = self.gov.pass_proposal(*actions)
        assert self.gov.proposal(pid)["status"] == "executed", self.gov.proposal(pid)

    def regulators(self) -> list[tuple[str, str, bytes]]:
        return [(a, "x25519", self.keys[a].public_key) for a in sorted(self.keys)]


@pytest.fixture
def world(tmp_path) -> World:
    world = World(make_gov(tmp_path))
    before = world.app.last_block_time_ns
    world.govern(
        ("accredit_issuer", {"did": world.bank, "name": "Bank A", "kind": "bank", "types": [KYC]}),
        *[
            (
                "add_regulator",
                {
                    "account": account,
                    "name": f"regulator {account}",
                    "encryption_key": {"scheme": scheme, "public_key": key},
                },
            )
            for account, scheme, key in world.regulators()
        ],
        ("set_params", {"disclosure_threshold": 2, "request_lifetime": LIFETIME}),
    )
    assert not world.query("accredited", did=world.bank, type=KYC, time_ns=before)["accredited"]
    now = world.app.last_block_time_ns
    assert world.query("accredited", did=world.bank, type=KYC, time_ns=now)["accredited"]
    return world


def test_governed_messages_are_refused_in_transactions(world):
    result = world.send(1, "accredit_issuer", did=world.bank, name="me", kind="bank", types=["X1"])
    assert (result.codespace, result.code) == code(ErrGovernanceOnly) and result.events == ()
    assert world.query("issuer", did=world.bank)["types"] == [KYC]


def test_deanonymisation_needs_m_approvals_and_leaves_an_audit_record(world):
    link = encode_link(
        account=A[5],
        did=world.customer,
        name="Zhang San",
        id_number="110101199001011234",
        issuer=world.bank,
        kyc_ref="kyc-2026-0001",
    )
    escrow = build_escrow(link, world.regulators(), 2, suite="intl", chain_id=CHAIN_ID)
    recorded = world.send(
        1,
        "record_kyc",
        issuer=world.bank,
        account=A[5],
        subject=world.customer,
        tier=2,
        expires=world.app.last_block_time_ns + 1_000 * BLOCK_NS,
        credential_hash=b"\x42" * 32,
        escrow=escrow,
    )
    assert recorded.ok, recorded.log
    now = world.app.last_block_time_ns
    assert world.query("kyc_tier", account=A[5], time_ns=now)["tier"] == 2
    assert world.app.credentials.kyc_tier(world.app.state, A[5], now) == 2

    # A non-regulator cannot even ask.
    refused = world.send(5, "request_disclosure", account=A[5], issuer=world.bank, reason="x")
    assert (refused.codespace, refused.code) == code(ErrNotRegulator)

    requested = world.send(2, "request_disclosure", account=A[5], issuer=world.bank, reason="AML-7")
    assert requested.ok, requested.log
    (event,) = [e for e in requested.events if e.type == "disclosure_requested"]
    rid = int(event.get("request_id") or 0)

    # Without the second approval: no grant, no audit record, and the link stays sealed.
    request = world.query("disclosure", request_id=rid)
    assert (request["status"], request["approvers"], request["audit"]) == ("open", [A[2]], None)
    assert world.query("audit", issuer=world.bank) == {"audit": []}
    with pytest.raises(FinchainError):
        open_escrow(
            escrow, [], world.keys[A[2]], chain_id=CHAIN_ID, request_id=rid, my_account=A[2]
        )
    again = world.send(2, "approve_disclosure", request_id=rid, share=b"\x01")
    assert (again.codespace, again.code) == code(ErrAlreadyApproved)

    share = reseal_share(
        escrow,
        A[3],
        world.keys[A[3]],
        "x25519",
        world.keys[A[2]].public_key,
        chain_id=CHAIN_ID,
        request_id=rid,
    )
    approved = world.send(3, "approve_disclosure", request_id=rid, share=share)
    assert approved.ok, approved.log
    (granted,) = [e for e in approved.events if e.type == "disclosure_granted"]
    assert granted.get("issuer") == world.bank and granted.get("account") == A[5]

    record = world.query("audit", issuer=world.bank)["audit"]
    assert record == world.query("audit", account=A[5])["audit"]
    assert [(r["request_id"], r["requester"], r["approvers"], r["reason"]) for r in record] == [
        (rid, A[2], [A[2], A[3]], "AML-7")
    ]
    stored = world.query("disclosure", request_id=rid)
    assert stored["status"] == "granted"
    (on_chain_share,) = [bytes.fromhex(a["share"]) for a in stored["approvals"]]
    opened = open_escrow(
        escrow,
        [on_chain_share],
        world.keys[A[2]],
        chain_id=CHAIN_ID,
        request_id=rid,
        my_account=A[2],
    )
    assert decode_link(opened)["name"] == "Zhang San"

    late = world.send(4, "approve_disclosure", request_id=rid, share=b"\x01")
    assert (late.codespace, late.code) == code(ErrRequestClosed)

    # A second request that nobody approves expires after LIFETIME blocks.
    second = world.send(3, "request_disclosure", account=A[5], issuer=world.bank, reason="fishing")
    (event,) = [e for e in second.events if e.type == "disclosure_requested"]
    rid2 = int(event.get("request_id") or 0)
    world.gov.run_until(world.query("disclosure", request_id=rid2)["expires_at"])
    assert world.query("disclosure", request_id=rid2)["status"] == "expired"
    expired = world.send(4, "approve_disclosure", request_id=rid2, share=b"\x01")
    assert (expired.codespace, expired.code) == code(ErrRequestClosed)
    assert len(world.query("audit", account=A[5])["audit"]) == 1
    assert world.app.check_invariants() == []


def test_status_list_anchor_is_provable(world):
    digest = b"\x07" * 32
    anchored = world.send(
        1,
        "anchor_status_list",
        issuer=world.bank,
        list_id="urn:bank-a:status:1",
        version=1,
        digest=digest,
        purpose="revocation",
    )
    assert anchored.ok, anchored.log
    replay = world.send(
        1,
        "anchor_status_list",
        issuer=world.bank,
        list_id="urn:bank-a:status:1",
        version=1,
        digest=digest,
    )
    assert (replay.codespace, replay.code) == code(ErrStatusListVersion)
    proven = world.app.query(
        "credentials/status_list", {"list_id": "urn:bank-a:status:1"}, prove=True
    )
    assert proven.value["latest"]["digest"] == digest.hex()
    assert proven.proofs and all(
        verify_proof(proven.root, p.key, p.value, p.proof, "sha256") for p in proven.proofs
    )


def test_only_an_accredited_issuer_claims_a_new_status_list(world):
    """A list id is the URL the issuer's credentials carry: an unaccredited DID that anchored
    it first would lock the issuer out of its own list. Once claimed, the owner keeps
    anchoring after its accreditation is revoked, so it can still publish revocations."""
    squatter = world.reg.create(3, method("assert", generate_private_key("ed25519")))
    anchor = {"list_id": "https://bank-a.example/status/7", "digest": b"\x01" * 32}
    taken = world.send(3, "anchor_status_list", issuer=squatter, version=1, **anchor)
    assert (taken.codespace, taken.code) == code(ErrUnknownIssuer), taken.log
    assert "accredit" in taken.log and taken.events == ()
    with pytest.raises(FinchainError, match="never anchored"):
        world.query("status_list", list_id=anchor["list_id"])

    assert world.send(1, "anchor_status_list", issuer=world.bank, version=1, **anchor).ok
    world.govern(("revoke_issuer", {"did": world.bank}))
    again = world.send(1, "anchor_status_list", issuer=world.bank, version=2, **anchor)
    assert again.ok, again.log
    other = {**anchor, "list_id": "https://bank-a.example/status/8"}
    late = world.send(1, "anchor_status_list", issuer=world.bank, version=1, **other)
    assert (late.codespace, late.code) == code(ErrNotAccredited), late.log
