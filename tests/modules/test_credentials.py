"""Credentials module, message by message over an in-memory store (fakes for identity and
accounts): accreditation with history, schemas, status-list anchors, KYC claims and tiers,
regulators and the disclosure threshold, m-of-n de-anonymisation with its audit record.

The same scenarios through real blocks and governance proposals are in
test_credentials_chain.py.
"""

from __future__ import annotations

import hashlib
import json

import pytest
import rfc8785

from finchain.core.authority import GOV_AUTHORITY
from finchain.crypto import hash_bytes
from finchain.errors import FinchainError
from finchain.modules.credentials.errors import ErrBadGenesis
from tests.modules.test_credentials_lab import BLOCK_NS, KYC, A, Lab, did, encryption_key, escrow

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"tier": {"type": "integer", "minimum": 0, "maximum": 2}},
    "required": ["tier"],
}


@pytest.fixture
def lab() -> Lab:
    return Lab()


# -- accreditation ----------------------------------------------------------------------------


def test_only_governance_accredits_and_unknown_dids_are_refused(lab):
    error = lab.fails(2, A[1], "accredit_issuer", did=lab.bank, name="b", kind="bank", types=[KYC])
    assert "only a passed governance proposal may accredit an issuer" in error.message
    lab.fails(3, GOV_AUTHORITY, "accredit_issuer", did=did(9), name="b", kind="bank", types=[KYC])
    lab.fails(0, GOV_AUTHORITY, "accredit_issuer", did=lab.bank, name="b", kind="ngo", types=[KYC])
    assert lab.query("issuers") == {"issuers": []}


def test_accreditation_history_answers_at_time_queries(lab):
    before = lab.time_ns
    lab.next_block()
    lab.accredit(lab.bank, KYC, "AccountCredential")
    granted_at = lab.time_ns
    lab.fails(5, GOV_AUTHORITY, "accredit_issuer", did=lab.bank, name="x", kind="bank", types=[KYC])
    lab.next_block()
    lab.gov("set_issuer_types", did=lab.bank, types=["AccountCredential"])
    narrowed_at = lab.time_ns
    lab.next_block()
    lab.gov("revoke_issuer", did=lab.bank)
    revoked_at = lab.time_ns
    lab.fails(7, GOV_AUTHORITY, "revoke_issuer", did=lab.bank)
    lab.next_block()
    lab.accredit(lab.bank, KYC)
    again_at = lab.time_ns

    def accredited(kind: str, at: int) -> bool:
        answer = lab.query("accredited", did=lab.bank, type=kind, time_ns=str(at))
        return bool(answer["accredited"])

    assert not accredited(KYC, before)
    assert accredited(KYC, granted_at) and accredited(KYC, narrowed_at - 1)
    assert not accredited(KYC, narrowed_at) and accredited("AccountCredential", narrowed_at)
    assert not accredited("AccountCredential", revoked_at)
    assert not accredited(KYC, again_at - 1) and accredited(KYC, again_at)
    assert not lab.query("accredited", did=lab.kyc_provider, type=KYC, time_ns=again_at)[
        "accredited"
    ]
    history = lab.query("issuer", did=lab.bank)["history"]
    assert [(c["seq"], c["action"], c["types"]) for c in history] == [
        (1, "grant", ["AccountCredential", KYC]),
        (2, "change_types", ["AccountCredential"]),
        (3, "revoke", []),
        (4, "grant", [KYC]),
    ]
    assert [c["time_ns"] for c in history] == [granted_at, narrowed_at, revoked_at, again_at]
    assert [e["issuer"] for e in lab.events_of("issuer_revoked")] == [lab.bank]


# -- schemas ----------------------------------------------------------------------------------


def _schema_value(lab: Lab, version: int = 1, doc: dict | None = None, **overrides) -> dict:
    value = {
        "issuer": lab.bank,
        "name": "kyc-tier",
        "version": version,
        "credential_type": KYC,
        "document": rfc8785.dumps(doc or SCHEMA),
    }
    return {**value, **overrides}


def test_schema_registration_and_lookup(lab):
    lab.fails(7, A[1], "register_schema", **_schema_value(lab))
    lab.accredit(lab.bank, KYC)
    lab.fails(4, A[2], "register_schema", **_schema_value(lab))
    lab.ok(A[1], "register_schema", **_schema_value(lab))
    schema_id = hashlib.sha256(rfc8785.dumps(SCHEMA)).hexdigest()
    (event,) = lab.events_of("schema_registered")
    assert event["schema_id"] == schema_id
    by_id = lab.query("schema", id=schema_id)
    assert (by_id["name"], by_id["version"], by_id["issuer"]) == ("kyc-tier", 1, lab.bank)
    assert by_id["document"] == rfc8785.dumps(SCHEMA).decode()

    # Same content again, an older version, another issuer's name: refused, nothing changes.
    lab.fails(8, A[1], "register_schema", **_schema_value(lab, 2))
    v3 = {**SCHEMA, "required": []}
    lab.ok(A[1], "register_schema", **_schema_value(lab, 3, v3))
    lab.fails(9, A[1], "register_schema", **_schema_value(lab, 2, {**SCHEMA, "title": "t"}))
    lab.accredit(lab.kyc_provider, KYC)
    other = _schema_value(lab, 4, {"type": "object"}, issuer=lab.kyc_provider)
    lab.fails(9, A[2], "register_schema", **other)

    assert lab.query("schema", name="kyc-tier")["version"] == 3
    assert lab.query("schema", name="kyc-tier", version="1")["id"] == schema_id
    with pytest.raises(Exception, match="has no version 2"):
        lab.query("schema", name="kyc-tier", version=2)


def test_schema_id_is_the_suite_hash():
    lab = Lab(suite="gm")
    lab.accredit(lab.bank, KYC)
    lab.ok(A[1], "register_schema", **_schema_value(lab))
    (event,) = lab.events_of("schema_registered")
    assert event["schema_id"] == hash_bytes("sm3", rfc8785.dumps(SCHEMA)).hex()


# -- status lists -----------------------------------------------------------------------------

LIST = "https://bank.example/status/1"


def _anchor(lab: Lab, version: int, digest: bytes, **overrides) -> dict:
    return {"issuer": lab.bank, "list_id": LIST, "version": version, "digest": digest, **overrides}


def test_status_list_ownership_versions_and_history(lab):
    lab.fails(4, A[2], "anchor_status_list", **_anchor(lab, 1, b"\x01" * 32))
    lab.fails(6, A[1], "anchor_status_list", **_anchor(lab, 1, b"\x01" * 32))
    lab.accredit(lab.bank, "StatusList2021Credential")
    lab.fails(0, A[1], "anchor_status_list", **_anchor(lab, 1, b"\x01" * 31))
    lab.fails(12, A[1], "anchor_status_list", **_anchor(lab, 2, b"\x01" * 32))
    lab.ok(A[1], "anchor_status_list", **_anchor(lab, 1, b"\x01" * 32, purpose="revocation"))
    lab.next_block()
    lab.ok(A[1], "anchor_status_list", **_anchor(lab, 2, b"\x02" * 32))
    lab.fails(12, A[1], "anchor_status_list", **_anchor(lab, 2, b"\x02" * 32))  # replay
    lab.fails(12, A[1], "anchor_status_list", **_anchor(lab, 4, b"\x04" * 32))  # gap
    lab.fails(29, A[1], "anchor_status_list", **_anchor(lab, 3, b"\x03" * 32, purpose="suspension"))
    # Another issuer cannot take the list over, even with the right next version.
    lab.fails(
        11, A[2], "anchor_status_list", **_anchor(lab, 3, b"\x03" * 32, issuer=lab.kyc_provider)
    )
    lab.next_block()
    lab.ok(A[1], "anchor_status_list", **_anchor(lab, 3, b"\x03" * 32))

    latest = lab.query("status_list", list_id=LIST)
    assert latest["latest"]["version"] == 3 and latest["latest"]["digest"] == "03" * 32
    assert latest["latest"]["purpose"] == "revocation"
    assert [a["version"] for a in latest["history"]] == [3]
    full = lab.query("status_list", list_id=LIST, **{"from": 1, "to": 3})
    assert [(a["version"], a["digest"][:2], a["height"]) for a in full["history"]] == [
        (1, "01", 0),
        (2, "02", 1),
        (3, "03", 2),
    ]
    assert (
        lab.query("status_list", list_id=LIST, **{"from": 2, "to": 2})["history"][0]["version"] == 2
    )
    assert [e["version"] for e in lab.events_of("status_list_anchored")] == ["1", "2", "3"]


# -- regulators and threshold -----------------------------------------------------------------


def test_regulators_and_threshold_rules(lab):
    key = encryption_key("intl")
    lab.fails(2, A[8], "add_regulator", account=A[8], name="r", encryption_key=key)
    lab.fails(
        18,
        GOV_AUTHORITY,
        "add_regulator",
        account=A[8],
        name="r",
        encryption_key=encryption_key("gm"),
    )
    lab.accounts.statuses[A[11]] = "frozen"
    lab.fails(21, GOV_AUTHORITY, "add_regulator", account=A[11], name="r", encryption_key=key)
    lab.fails(22, GOV_AUTHORITY, "set_params", disclosure_threshold=1, request_lifetime=5)
    lab.add_regulators(8, 9, threshold=2)
    lab.fails(19, GOV_AUTHORITY, "add_regulator", account=A[8], name="r", encryption_key=key)
    lab.fails(22, GOV_AUTHORITY, "set_params", disclosure_threshold=3, request_lifetime=5)
    lab.fails(22, GOV_AUTHORITY, "remove_regulator", account=A[9])
    lab.fails(20, GOV_AUTHORITY, "remove_regulator", account=A[10])
    lab.gov("set_params", disclosure_threshold=1, request_lifetime=5)
    lab.gov("remove_regulator", account=A[9])
    lab.fails(22, GOV_AUTHORITY, "remove_regulator", account=A[8])
    answer = lab.query("regulators")
    assert [r["account"] for r in answer["regulators"]] == [A[8]]
    assert answer["disclosure_threshold"] == 1
    assert lab.module.invariants() and all(
        check(lab.state) is None for _, check in lab.module.invariants()
    )


def test_gm_chain_takes_sm2_encryption_keys_only():
    lab = Lab(suite="gm")
    lab.fails(
        18,
        GOV_AUTHORITY,
        "add_regulator",
        account=A[8],
        name="r",
        encryption_key=encryption_key("intl"),
    )
    lab.add_regulators(8)
    assert lab.query("regulators")["regulators"][0]["scheme"] == "sm2"


# -- KYC claims -------------------------------------------------------------------------------


def test_kyc_record_replace_revoke_and_expiry(lab):
    lab.add_regulators(8, 9, 10, threshold=2)
    lab.fails(7, A[1], "record_kyc", **lab.kyc_value(5))
    lab.accredit(lab.bank, KYC)
    lab.accredit(lab.kyc_provider, KYC, kind="kyc_provider")
    lab.fails(4, A[2], "record_kyc", **lab.kyc_value(5))
    lab.fails(14, A[1], "record_kyc", **lab.kyc_value(5, subject=did(6)))
    lab.fails(15, A[1], "record_kyc", **lab.kyc_value(5, expires=lab.time_ns))
    wrong_set = lab.kyc_value(5, escrow=escrow([A[8], A[9]], 2))
    assert (
        "rebuild it for the current set" in lab.fails(17, A[1], "record_kyc", **wrong_set).message
    )
    lab.fails(17, A[1], "record_kyc", **lab.kyc_value(5, escrow=escrow([A[8], A[9], A[10]], 3)))
    lab.fails(0, A[1], "record_kyc", **lab.kyc_value(5, tier=3))

    lab.record_kyc(5, tier=2)
    now = lab.time_ns
    assert lab.keeper.kyc_tier(lab.state, A[5], now) == 2
    assert lab.keeper.kyc_tier(lab.state, A[6], now) == 0
    (claim,) = lab.query("kyc", account=A[5])["claims"]
    assert claim["subject"] == did(5) and claim["credential_hash"] == "11" * 32
    assert claim["escrow"]["regulators"] == sorted([A[8], A[9], A[10]])

    lab.next_block()
    lab.record_kyc(5, tier=1)  # replaces the bank's own claim
    assert len(lab.query("kyc", account=A[5])["claims"]) == 1
    assert lab.keeper.kyc_tier(lab.state, A[5], lab.time_ns) == 1
    provider = lab.kyc_value(
        5, tier=2, issuer=lab.kyc_provider, expires=lab.time_ns + 10 * BLOCK_NS
    )
    lab.ok(A[2], "record_kyc", **provider)
    assert lab.keeper.kyc_tier(lab.state, A[5], lab.time_ns) == 2
    assert lab.keeper.kyc_tier(lab.state, A[5], lab.time_ns + 10 * BLOCK_NS) == 1  # expired

    lab.ok(A[2], "revoke_kyc", issuer=lab.kyc_provider, account=A[5])
    lab.fails(16, A[2], "revoke_kyc", issuer=lab.kyc_provider, account=A[5])
    lab.fails(16, A[2], "revoke_kyc", issuer=lab.kyc_provider, account=A[6])
    assert lab.keeper.kyc_tier(lab.state, A[5], lab.time_ns) == 1
    assert lab.query("kyc_tier", account=A[5], time_ns=str(lab.time_ns))["tier"] == 1

    # Accredited at recording time is what counts: a later revocation does not erase the tier,
    # but the revoked issuer cannot record again.
    lab.gov("revoke_issuer", did=lab.bank)
    assert lab.keeper.kyc_tier(lab.state, A[5], lab.time_ns) == 1
    lab.fails(7, A[1], "record_kyc", **lab.kyc_value(6))
    assert all(check(lab.state) is None for _, check in lab.module.invariants())


def test_tier_zero_claim_carries_no_escrow(lab):
    lab.add_regulators(8)
    lab.accredit(lab.bank, KYC)
    with_escrow = {**lab.kyc_value(5, tier=0), "escrow": escrow([A[8]], 1)}
    lab.fails(0, A[1], "record_kyc", **with_escrow)
    without = lab.kyc_value(5, tier=1)
    del without["escrow"]
    lab.fails(0, A[1], "record_kyc", **without)
    lab.record_kyc(5, tier=0)
    assert lab.keeper.kyc_tier(lab.state, A[5], lab.time_ns) == 0
    lab.fails(28, A[8], "request_disclosure", account=A[5], issuer=lab.bank, reason="aml case 1")


# -- disclosure -------------------------------------------------------------------------------


@pytest.fixture
def claimed() -> Lab:
    """Regulators A8, A9, A10 with threshold 2; the bank's tier-2 claim on A5."""
    lab = Lab()
    lab.add_regulators(8, 9, 10, threshold=2)
    lab.accredit(lab.bank, KYC)
    lab.record_kyc(5)
    return lab


def _request(lab: Lab, regulator: int = 8) -> int:
    request_id = lab.keeper.next_request_id(lab.state)
    lab.ok(A[regulator], "request_disclosure", account=A[5], issuer=lab.bank, reason="aml case 7")
    return request_id


def test_disclosure_needs_m_approvals_and_leaves_an_audit_record(claimed):
    lab = claimed
    lab.fails(20, A[6], "request_disclosure", account=A[5], issuer=lab.bank, reason="curious")
    lab.fails(16, A[8], "request_disclosure", account=A[6], issuer=lab.bank, reason="aml")
    rid = _request(lab)

    # One approval (the requester's own share) of the two required: no grant, no audit.
    request = lab.query("disclosure", request_id=rid)
    assert (request["status"], request["approvers"], request["required"]) == ("open", [A[8]], 2)
    assert request["audit"] is None
    assert lab.query("audit", account=A[5]) == {"audit": []}
    assert lab.events_of("disclosure_granted") == []

    lab.fails(25, A[8], "approve_disclosure", request_id=rid, share=b"resealed")
    lab.fails(20, A[6], "approve_disclosure", request_id=rid, share=b"resealed")
    lab.fails(23, A[9], "approve_disclosure", request_id=rid + 1, share=b"resealed")
    lab.next_block()
    lab.ok(A[9], "approve_disclosure", request_id=rid, share=b"resealed-by-9")

    granted = lab.query("disclosure", request_id=rid)
    assert granted["status"] == "granted" and granted["final_height"] == lab.height
    assert granted["approvals"] == [
        {"request_id": rid, "approver": A[9], "share": b"resealed-by-9".hex(), "height": lab.height}
    ]
    record = {
        "request_id": rid,
        "requester": A[8],
        "approvers": [A[8], A[9]],
        "account": A[5],
        "issuer": lab.bank,
        "reason": "aml case 7",
        "height": lab.height,
        "time_ns": lab.time_ns,
    }
    assert granted["audit"] == record
    assert lab.query("audit", account=A[5]) == {"audit": [record]}
    assert lab.query("audit", issuer=lab.bank) == {"audit": [record]}
    (event,) = lab.events_of("disclosure_granted")
    assert event == {
        "request_id": str(rid),
        "account": A[5],
        "issuer": lab.bank,
        "requester": A[8],
        "approvers": f"{A[8]},{A[9]}",
    }
    lab.fails(24, A[10], "approve_disclosure", request_id=rid, share=b"late")


def test_a_requester_without_a_share_needs_m_other_approvals(claimed):
    lab = claimed
    lab.gov("add_regulator", account=A[11], name="new", encryption_key=encryption_key("intl"))
    rid = _request(lab, regulator=11)
    assert lab.query("disclosure", request_id=rid)["approvers"] == []
    lab.fails(26, A[11], "approve_disclosure", request_id=rid, share=b"x")
    lab.ok(A[8], "approve_disclosure", request_id=rid, share=b"a")
    assert lab.query("disclosure", request_id=rid)["status"] == "open"
    lab.ok(A[10], "approve_disclosure", request_id=rid, share=b"b")
    assert lab.query("disclosure", request_id=rid)["audit"]["approvers"] == [A[8], A[10]]


def test_requests_expire_after_their_lifetime(claimed):
    lab = claimed
    rid = _request(lab)
    expires_at = lab.query("disclosure", request_id=rid)["expires_at"]
    assert expires_at == lab.height + 5
    lab.next_block(5)
    assert lab.query("disclosure", request_id=rid)["status"] == "open"
    lab.next_block()
    assert lab.query("disclosure", request_id=rid)["status"] == "expired"
    assert [e["request_id"] for e in lab.events_of("disclosure_expired")] == [str(rid)]
    lab.fails(24, A[9], "approve_disclosure", request_id=rid, share=b"late")
    assert lab.query("audit", account=A[5]) == {"audit": []}


def test_a_replaced_claim_voids_pending_requests(claimed):
    lab = claimed
    rid = _request(lab)
    lab.next_block()
    lab.record_kyc(5, tier=1)
    lab.fails(27, A[9], "approve_disclosure", request_id=rid, share=b"stale")


def test_threshold_one_grants_on_request(lab):
    lab.add_regulators(8, threshold=1)
    lab.accredit(lab.bank, KYC)
    lab.record_kyc(5)
    rid = _request(lab)
    assert lab.query("disclosure", request_id=rid)["status"] == "granted"
    assert [r["request_id"] for r in lab.query("audit", issuer=lab.bank)["audit"]] == [rid]


def test_revoked_claim_stays_disclosable(claimed):
    lab = claimed
    lab.ok(A[1], "revoke_kyc", issuer=lab.bank, account=A[5])
    rid = _request(lab)
    lab.ok(A[10], "approve_disclosure", request_id=rid, share=b"s")
    assert lab.query("disclosure", request_id=rid)["status"] == "granted"


# -- genesis and invariants -------------------------------------------------------------------


def test_genesis_round_trip_and_refusals(claimed):
    exported = claimed.module.export_genesis(claimed.state)
    assert exported["params"] == {"disclosure_threshold": 2, "request_lifetime": 5}
    assert [i["did"] for i in exported["issuers"]] == [claimed.bank]
    fresh = Lab(genesis=exported)
    assert fresh.module.export_genesis(fresh.state) == exported
    assert fresh.keeper.accredited(fresh.state, fresh.bank, KYC, fresh.time_ns)

    too_high = {**exported, "params": {"disclosure_threshold": 4, "request_lifetime": 5}}
    with pytest.raises(Exception, match="exceeds the 3 genesis regulators"):
        Lab(genesis=too_high)
    bad_key = {
        **exported,
        "regulators": [
            {
                **exported["regulators"][0],
                "encryption_key": {"scheme": "x25519", "public_key": "zz"},
            }
        ],
    }
    with pytest.raises(FinchainError) as info:
        Lab(genesis=bad_key)
    assert ErrBadGenesis.matches(info.value) and "hex" in info.value.message


def test_invariants_detect_a_broken_threshold(claimed):
    from finchain.codec import encode
    from finchain.modules.credentials import keys

    assert all(check(claimed.state) is None for _, check in claimed.module.invariants())
    claimed.state.set(keys.PARAMS.key, encode({"disclosure_threshold": 4, "request_lifetime": 5}))
    problems = [name for name, check in claimed.module.invariants() if check(claimed.state)]
    assert problems == ["credentials/threshold-within-regulators"]


def test_an_exported_state_imports_entry_for_entry():
    """Every part of the module's state crosses an export and an import: regulators,
    issuers with their history (a revoked one too), schemas and their versions, status
    lists with every anchor, claims (a revoked one too), requests open, granted and
    expired with their approvals, the expiry queue, the audit records and their indexes."""
    lab = Lab()
    lab.add_regulators(8, 9, 10, threshold=2)
    lab.accredit(lab.bank, KYC)
    lab.accredit(lab.kyc_provider, "AccountCredential")
    lab.next_block()
    lab.gov("revoke_issuer", did=lab.kyc_provider)
    lab.ok(A[1], "register_schema", **_schema_value(lab))
    lab.ok(A[1], "register_schema", **_schema_value(lab, 3, {**SCHEMA, "required": []}))
    lab.ok(A[1], "anchor_status_list", **_anchor(lab, 1, b"\x01" * 32, purpose="revocation"))
    lab.next_block()
    lab.ok(A[1], "anchor_status_list", **_anchor(lab, 2, b"\x02" * 32))
    lab.record_kyc(5)
    lab.record_kyc(6, tier=0)
    lab.ok(A[1], "revoke_kyc", issuer=lab.bank, account=A[6])
    granted = _request(lab)
    lab.ok(A[9], "approve_disclosure", request_id=granted, share=b"by-9")
    expired = _request(lab)
    lab.next_block(6)
    pending = _request(lab, regulator=10)
    assert [
        lab.query("disclosure", request_id=r)["status"] for r in (granted, expired, pending)
    ] == [
        "granted",
        "expired",
        "open",
    ]

    exported = json.loads(json.dumps(lab.module.export_genesis(lab.state)))
    fresh = Lab(genesis=exported)

    prefix = lab.module.store_key.prefix
    assert dict(fresh.state.iterate(prefix)) == dict(lab.state.iterate(prefix))
    assert fresh.module.export_genesis(fresh.state) == exported
    assert all(check(fresh.state) is None for _, check in fresh.module.invariants())
    fresh.height, fresh.time_ns = lab.height, lab.time_ns  # the chain goes on from there
    fresh.next_block(6)  # and the open request expires on time
    assert fresh.query("disclosure", request_id=pending)["status"] == "expired"
