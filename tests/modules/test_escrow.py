"""Escrow: each release condition alone and together, expiry, cancellation, refusals, queries.

Every scenario runs through the real application (transactions in blocks on
RocksDB); each refusal is checked for its code and for leaving state untouched.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from finchain.app import TxResult
from finchain.client import builders as b
from finchain.client import escrow_builders as esb
from finchain.client import evidence_builders as eb
from finchain.codec import RawMsg
from finchain.core.errors import ErrBadQuery, ErrInvalidMsg
from finchain.crypto import hash_bytes
from finchain.errors import ErrorCode, FinchainError
from finchain.modules.accounts.types import account_id
from finchain.modules.bank.errors import ErrInsufficientFunds as BankInsufficient
from finchain.modules.escrow.errors import (
    ErrAlreadyApproved,
    ErrAlreadyConsented,
    ErrBadDeadline,
    ErrBadThreshold,
    ErrEvidenceIncomplete,
    ErrEvidenceMismatch,
    ErrEvidenceMissing,
    ErrExpired,
    ErrInsufficientFunds,
    ErrInvalidAmount,
    ErrInvalidParty,
    ErrNoConditions,
    ErrNotApproved,
    ErrNotApprover,
    ErrNotExpired,
    ErrNotOpen,
    ErrNotParty,
    ErrPayerFrozen,
    ErrTimeLocked,
    ErrUnknownAsset,
    ErrUnknownEscrow,
    ErrWrongPreimage,
)
from finchain.modules.escrow.messages import MsgCreate
from tests.harness import BLOCK_NS
from tests.modules.escrow_support import EscrowChain, hold, lift

A1, A2, A3, A4, A5 = (account_id(n) for n in range(1, 6))
FUNDS = 1_000_000
SECRET = b"the secret of trade T-2026-07"


@pytest.fixture
def chain(tmp_path):
    return EscrowChain(tmp_path / "db", n_accounts=5, funds=FUNDS)


def send(chain: EscrowChain, who: int, *msgs: RawMsg) -> TxResult:
    """One transaction in its own block (a refused decode spends no nonce: resync it)."""
    signer = chain.signer(who)
    (result,) = chain.block(signer.sign(*msgs))
    signer.nonce = chain.app.accounts.nonce(chain.app.state, signer.account)
    return result


def ok(result: TxResult) -> TxResult:
    assert result.ok, (result.codespace, result.code, result.log)
    return result


def query(chain: EscrowChain, path: str, **params: Any) -> Any:
    return chain.app.query(path, params).value


def escrow(chain: EscrowChain, escrow_id: int) -> dict[str, Any]:
    return dict(query(chain, "escrow/escrow", id=escrow_id))


def holding(chain: EscrowChain, account: str) -> tuple[int, int]:
    return chain.app.bank.holding(chain.app.state, account, "CNY")


def refused(chain: EscrowChain, result: TxResult, error: ErrorCode) -> None:
    """Refused with ``error``, no event, and the escrow state and balances as before."""
    assert (result.codespace, result.code) == (error.codespace, error.code), result.log
    assert result.events == ()


def unchanged(chain: EscrowChain, who: int, msg: RawMsg, error: ErrorCode) -> None:
    """Send ``msg``; it must be refused with ``error`` and change no escrow or balance."""
    before = (
        chain.app.export_genesis()["escrow"],
        [holding(chain, account_id(n)) for n in range(1, 6)],
    )
    refused(chain, send(chain, who, msg), error)
    after = (
        chain.app.export_genesis()["escrow"],
        [holding(chain, account_id(n)) for n in range(1, 6)],
    )
    assert after == before
    assert chain.app.check_invariants() == []


def create(chain: EscrowChain, who: int = 1, **terms: Any) -> int:
    terms.setdefault("expiry_height", chain.app.height + 50)
    payee = terms.pop("payee", A2)
    amount = terms.pop("amount", 1_000)
    result = ok(send(chain, who, esb.create(payee, "CNY", amount, **terms)))
    created = [e for e in result.events if e.type == "escrow_created"]
    return int(created[0].get("escrow_id"))


def types(result: TxResult) -> list[str]:
    return [e.type for e in result.events]


# -- hash lock ------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["sha256", "sm3"])
def test_hash_lock_releases_on_the_preimage_and_publishes_it(chain, alg):
    escrow_id = create(chain, hash_lock=esb.hash_lock(alg, SECRET), amount=4_000)
    assert holding(chain, A1) == (FUNDS, 4_000)
    assert escrow(chain, escrow_id)["status"] == "open"

    unchanged(chain, 2, esb.release(escrow_id, preimage=b"a guess"), ErrWrongPreimage)
    unchanged(chain, 2, esb.release(escrow_id), ErrWrongPreimage)

    result = ok(send(chain, 2, esb.release(escrow_id, preimage=SECRET)))
    assert "escrow_released" in types(result)
    released = next(e for e in result.events if e.type == "escrow_released")
    assert released.get("preimage") == SECRET.hex() and released.get("hash_alg") == alg
    assert released.get("by") == A2
    assert holding(chain, A1) == (FUNDS - 4_000, 0)
    assert holding(chain, A2) == (FUNDS + 4_000, 0)
    record = escrow(chain, escrow_id)
    assert record["status"] == "released" and record["preimage"] == SECRET.hex()
    assert record["closed_height"] == chain.app.height
    # the lock was the suite-independent hash named in the escrow
    assert record["conditions"]["hash_lock"]["hash"] == hash_bytes(alg, SECRET).hex()

    unchanged(chain, 2, esb.release(escrow_id, preimage=SECRET), ErrNotOpen)
    unchanged(chain, 1, esb.refund(escrow_id), ErrNotOpen)
    unchanged(chain, 1, esb.cancel(escrow_id), ErrNotOpen)


def test_locked_funds_cannot_be_spent_but_the_rest_can(chain):
    escrow_id = create(chain, hash_lock=esb.hash_lock("sha256", SECRET), amount=FUNDS - 100)
    refused(chain, send(chain, 1, b.transfer((A3, "CNY", 101))), BankInsufficient)
    refused(chain, send(chain, 1, b.burn("CNY", 101)), BankInsufficient)
    ok(send(chain, 1, b.transfer((A3, "CNY", 100))))
    assert holding(chain, A1) == (FUNDS - 100, FUNDS - 100)
    # and a second escrow cannot lock the same funds again
    unchanged(
        chain,
        1,
        esb.create(A2, "CNY", 1, hash_lock=esb.hash_lock("sha256", SECRET), expiry_height=99),
        ErrInsufficientFunds,
    )
    ok(send(chain, 3, esb.release(escrow_id, preimage=SECRET)))
    assert holding(chain, A1) == (0, 0) and holding(chain, A2) == (2 * FUNDS - 100, 0)


# -- time lock ------------------------------------------------------------------------------


def test_time_lock_by_height_and_by_time(chain):
    h = chain.app.height
    by_height = create(chain, not_before_height=h + 4)
    by_time = create(chain, not_before_time=chain.time_ns + 5 * BLOCK_NS)
    unchanged(chain, 2, esb.release(by_height), ErrTimeLocked)  # height h + 3
    ok(send(chain, 2, esb.release(by_height)))  # height h + 4
    unchanged(chain, 2, esb.release(by_time), ErrTimeLocked)  # 4 blocks after its creation
    ok(send(chain, 2, esb.release(by_time)))  # 5 blocks after
    assert holding(chain, A2) == (FUNDS + 2_000, 0)


# -- approvals ------------------------------------------------------------------------------


def test_two_of_three_approvals(chain):
    escrow_id = create(chain, approvers=[A3, A4, A5], threshold=2)
    unchanged(chain, 2, esb.approve(escrow_id), ErrNotApprover)
    unchanged(chain, 1, esb.approve(escrow_id), ErrNotApprover)
    result = ok(send(chain, 4, esb.approve(escrow_id)))
    approved = result.events[0]
    assert approved.type == "escrow_approved"
    assert (approved.get("approver"), approved.get("approvals")) == (A4, "1")
    unchanged(chain, 4, esb.approve(escrow_id), ErrAlreadyApproved)
    unchanged(chain, 2, esb.release(escrow_id), ErrNotApproved)
    ok(send(chain, 3, esb.approve(escrow_id)))
    record = escrow(chain, escrow_id)
    assert [a["account"] for a in record["approvals"]] == sorted([A3, A4]) and record[
        "approved"
    ] == 2
    ok(send(chain, 5, esb.release(escrow_id)))  # anyone may release once approved
    assert escrow(chain, escrow_id)["closed_by"] == A5
    assert holding(chain, A2) == (FUNDS + 1_000, 0)


# -- evidence -------------------------------------------------------------------------------


def test_evidence_condition_needs_a_complete_record_by_the_named_parties(chain):
    note = hashlib.sha256(b"delivery note DN-77").digest()
    wanted = esb.evidence("sha256", note, submitter=A3, cosigners=[A2])
    escrow_id = create(chain, evidence=wanted)
    unchanged(chain, 2, esb.release(escrow_id), ErrEvidenceMissing)

    other = hashlib.sha256(b"delivery note DN-78").digest()
    second = create(chain, evidence=esb.evidence("sha256", other, submitter=A3, cosigners=[A2]))
    ok(send(chain, 4, eb.record("sha256", other, kind="delivery", cosigners=[A2])))
    unchanged(chain, 2, esb.release(second), ErrEvidenceMismatch)  # A4 recorded it, not A3

    ok(send(chain, 3, eb.record("sha256", note, kind="delivery", cosigners=[A2])))
    unchanged(chain, 2, esb.release(escrow_id), ErrEvidenceIncomplete)
    ok(send(chain, 2, eb.cosign("sha256", note)))
    ok(send(chain, 2, esb.release(escrow_id)))
    assert holding(chain, A2) == (FUNDS + 1_000, 0)

    # a required co-signer the record does not name
    third_note = hashlib.sha256(b"delivery note DN-79").digest()
    third = create(chain, evidence=esb.evidence("sha256", third_note, cosigners=[A5]))
    ok(send(chain, 3, eb.record("sha256", third_note, kind="delivery")))
    unchanged(chain, 2, esb.release(third), ErrEvidenceMismatch)


def test_every_condition_together(chain):
    note = hashlib.sha256(b"bill of lading BL-9").digest()
    h = chain.app.height
    escrow_id = create(
        chain,
        hash_lock=esb.hash_lock("sm3", SECRET),
        not_before_height=h + 5,
        approvers=[A3, A4],
        threshold=1,
        evidence=esb.evidence("sm3", note),
        amount=7_000,
    )
    unchanged(chain, 2, esb.release(escrow_id, preimage=SECRET), ErrTimeLocked)
    ok(send(chain, 3, esb.approve(escrow_id)))
    unchanged(chain, 2, esb.release(escrow_id, preimage=SECRET), ErrTimeLocked)
    unchanged(chain, 2, esb.release(escrow_id, preimage=SECRET), ErrEvidenceMissing)
    ok(send(chain, 5, eb.record("sm3", note, kind="lading")))
    unchanged(chain, 2, esb.release(escrow_id, preimage=b"x"), ErrWrongPreimage)
    ok(send(chain, 2, esb.release(escrow_id, preimage=SECRET)))
    assert holding(chain, A2) == (FUNDS + 7_000, 0)


# -- expiry, refund, cancellation ------------------------------------------------------------


def test_end_block_refunds_at_the_expiry_height(chain):
    h = chain.app.height
    escrow_id = create(chain, hash_lock=esb.hash_lock("sha256", SECRET), expiry_height=h + 3)
    unchanged(chain, 1, esb.refund(escrow_id), ErrNotExpired)  # height h + 2
    # height h + 3: the release in the block is refused, then end_block refunds
    response = chain.finalize(chain.signer(2).sign(esb.release(escrow_id, preimage=SECRET)))
    refused(chain, response.tx_results[0], ErrExpired)
    refunds = [e for e in response.events if e.type == "escrow_refunded"]
    assert [(e.get("escrow_id"), e.get("by")) for e in refunds] == [(str(escrow_id), "end_block")]
    assert holding(chain, A1) == (FUNDS, 0) and holding(chain, A2) == (FUNDS, 0)
    assert escrow(chain, escrow_id)["status"] == "refunded"
    unchanged(chain, 2, esb.release(escrow_id, preimage=SECRET), ErrNotOpen)
    unchanged(chain, 1, esb.refund(escrow_id), ErrNotOpen)
    assert chain.app.escrow.due(chain.app.state, 10**9, 2**63 - 1) == []


def test_anyone_may_refund_in_the_expiry_block_and_time_expiry_works(chain):
    deadline = chain.time_ns + 3 * BLOCK_NS  # created in the next block, then two more
    escrow_id = create(chain, approvers=[A3], threshold=1, expiry_time=deadline, expiry_height=0)
    unchanged(chain, 4, esb.refund(escrow_id), ErrNotExpired)  # one block before the deadline
    result = ok(send(chain, 4, esb.refund(escrow_id)))  # the block at the deadline
    assert types(result) == ["amount_unfrozen", "escrow_refunded"]
    assert escrow(chain, escrow_id)["closed_by"] == A4
    assert holding(chain, A1) == (FUNDS, 0)
    unchanged(chain, 3, esb.approve(escrow_id), ErrNotOpen)


def test_cancel_needs_the_payer_and_the_payee(chain):
    escrow_id = create(chain, approvers=[A3], threshold=1, amount=5_000)
    unchanged(chain, 3, esb.cancel(escrow_id), ErrNotParty)
    result = ok(send(chain, 1, esb.cancel(escrow_id)))
    assert types(result) == ["escrow_cancel_consented"]
    assert escrow(chain, escrow_id)["status"] == "open"
    assert holding(chain, A1) == (FUNDS, 5_000)
    unchanged(chain, 1, esb.cancel(escrow_id), ErrAlreadyConsented)
    result = ok(send(chain, 2, esb.cancel(escrow_id)))
    assert types(result) == ["escrow_cancel_consented", "amount_unfrozen", "escrow_cancelled"]
    assert holding(chain, A1) == (FUNDS, 0) and holding(chain, A2) == (FUNDS, 0)
    record = escrow(chain, escrow_id)
    assert record["status"] == "cancelled" and record["cancel_consents"] == sorted([A1, A2])


# -- refusals at creation ---------------------------------------------------------------------


def test_bad_terms_are_refused_with_escrow_codes(chain):
    h = chain.app.height
    lock = esb.hash_lock("sha256", SECRET)
    cases: list[tuple[RawMsg, ErrorCode]] = [
        (esb.create(A2, "CNY", 0, hash_lock=lock, expiry_height=h + 99), ErrInvalidAmount),
        (esb.create(A2, "CNY", 5, expiry_height=h + 99), ErrNoConditions),
        (
            esb.create(A2, "CNY", 5, approvers=[A3], threshold=2, expiry_height=h + 99),
            ErrBadThreshold,
        ),
        (
            esb.create(A2, "CNY", 5, approvers=[A3], threshold=0, expiry_height=h + 99),
            ErrBadThreshold,
        ),
        (esb.create(A2, "CNY", 5, threshold=1, expiry_height=h + 99), ErrBadThreshold),
        (esb.create(A2, "CNY", 5, hash_lock=lock), ErrBadDeadline),
        (esb.create(A2, "CNY", 5, hash_lock=lock, expiry_height=h), ErrBadDeadline),
        (esb.create(A2, "CNY", 5, hash_lock=lock, expiry_time=chain.time_ns), ErrBadDeadline),
        (
            esb.create(A2, "CNY", 5, not_before_height=h + 99, expiry_height=h + 99),
            ErrBadDeadline,
        ),
        (
            esb.create(A2, "CNY", 5, not_before_time=10**18, expiry_time=10**18),
            ErrBadDeadline,
        ),
        (esb.create(A1, "CNY", 5, hash_lock=lock, expiry_height=h + 99), ErrInvalidParty),
        (
            esb.create(account_id(77), "CNY", 5, hash_lock=lock, expiry_height=h + 99),
            ErrInvalidParty,
        ),
        (
            esb.create(A2, "CNY", 5, approvers=[account_id(77)], threshold=1, expiry_height=h + 99),
            ErrInvalidParty,
        ),
        (esb.create(A2, "USD", 5, hash_lock=lock, expiry_height=h + 99), ErrUnknownAsset),
        (
            esb.create(A2, "CNY", FUNDS + 1, hash_lock=lock, expiry_height=h + 99),
            ErrInsufficientFunds,
        ),
    ]
    for msg, error in cases:
        unchanged(chain, 1, msg, error)
    assert query(chain, "escrow/by_payer", payer=A1)["escrows"] == []
    # zero is an escrow refusal, a malformed amount a malformed message
    with pytest.raises(FinchainError) as caught:
        MsgCreate.from_value({"payee": A2, "asset": "CNY", "amount": "0"})
    assert (caught.value.codespace, caught.value.code) == ("escrow", ErrInvalidAmount.code)
    with pytest.raises(FinchainError) as shape:
        MsgCreate.from_value({"payee": A2, "asset": "CNY", "amount": "-1"})
    assert (shape.value.codespace, shape.value.code) == ("tx", ErrInvalidMsg.code)


def test_unknown_escrow_ids(chain):
    for msg in (esb.approve(9), esb.release(9), esb.refund(9), esb.cancel(9)):
        unchanged(chain, 1, msg, ErrUnknownEscrow)


def test_insufficient_spendable_counts_a_compliance_hold(chain):
    ok(send(chain, 3, hold(A1, FUNDS - 10)))
    lock = esb.hash_lock("sha256", SECRET)
    h = chain.app.height
    unchanged(
        chain,
        1,
        esb.create(A2, "CNY", 11, hash_lock=lock, expiry_height=h + 9),
        ErrInsufficientFunds,
    )
    create(chain, hash_lock=lock, amount=10)
    assert holding(chain, A1) == (FUNDS, FUNDS)


# -- coexistence with other freezes -----------------------------------------------------------


def test_escrow_unfreezes_exactly_its_amount_next_to_a_compliance_hold(chain):
    ok(send(chain, 3, hold(A1, 300)))
    released = create(chain, hash_lock=esb.hash_lock("sha256", SECRET), amount=500)
    cancelled = create(chain, approvers=[A3], threshold=1, amount=150)
    assert holding(chain, A1) == (FUNDS, 950)
    assert query(chain, "escrow/locked", account=A1, asset="CNY")["locked"] == "650"
    ok(send(chain, 4, esb.release(released, preimage=SECRET)))
    assert holding(chain, A1) == (FUNDS - 500, 450)
    ok(send(chain, 1, esb.cancel(cancelled)))
    ok(send(chain, 2, esb.cancel(cancelled)))
    assert holding(chain, A1) == (FUNDS - 500, 300)  # exactly the hold remains
    refused(chain, send(chain, 1, b.transfer((A3, "CNY", FUNDS - 799))), BankInsufficient)
    ok(send(chain, 3, lift(A1, 300)))
    assert holding(chain, A1) == (FUNDS - 500, 0)
    assert chain.app.check_invariants() == []


def test_invariant_catches_a_freeze_released_by_someone_else(chain):
    expiry = chain.app.height + 5
    create(chain, hash_lock=esb.hash_lock("sha256", SECRET), amount=500, expiry_height=expiry)
    assert chain.app.check_invariants() == []
    ok(send(chain, 3, lift(A1, 200)))  # a module breaking the contract: unfreezes escrow's part
    problems = chain.app.check_invariants()
    assert len(problems) == 1 and problems[0].startswith("escrow/frozen-covers-open")
    # at the expiry the refund cannot unfreeze 500: reported, retried, the chain goes on
    while chain.app.height < expiry - 1:
        chain.block()
    response = chain.finalize()
    failed = [e for e in response.events if e.type == "escrow_refund_failed"]
    assert [e.get("escrow_id") for e in failed] == ["1"]
    assert "cannot unfreeze 500" in (failed[0].get("reason") or "")
    assert escrow(chain, 1)["status"] == "open"
    ok(send(chain, 3, hold(A1, 200)))  # the other module puts its mistake right
    assert chain.app.check_invariants() == []
    assert escrow(chain, 1)["status"] == "refunded" and holding(chain, A1) == (FUNDS, 0)


def test_a_frozen_payer_does_not_pay_out_but_is_refunded(chain):
    h = chain.app.height
    escrow_id = create(chain, hash_lock=esb.hash_lock("sha256", SECRET), expiry_height=h + 4)
    ok(send(chain, 3, RawMsg("testonly/set_status", {"account": A1, "status": "frozen"})))
    unchanged(chain, 2, esb.release(escrow_id, preimage=SECRET), ErrPayerFrozen)
    chain.block()  # height h + 4: refunded at the end of the block
    assert escrow(chain, escrow_id)["status"] == "refunded"
    assert holding(chain, A1) == (FUNDS, 0)


# -- queries --------------------------------------------------------------------------------


def test_queries_by_payer_and_payee_with_status_and_pages(chain):
    ids = [
        create(chain, who=1, payee=A2 if n % 2 else A3, approvers=[A4], threshold=1)
        for n in range(5)
    ]
    ok(send(chain, 4, esb.approve(ids[1])))
    ok(send(chain, 5, esb.release(ids[1])))
    mine = query(chain, "escrow/by_payer", payer=A1)
    assert [e["id"] for e in mine["escrows"]] == ids and mine["next_cursor"] is None
    assert [e["id"] for e in query(chain, "escrow/by_payee", payee=A2)["escrows"]] == [
        ids[1],
        ids[3],
    ]
    opened = query(chain, "escrow/by_payer", payer=A1, status="open")["escrows"]
    assert [e["id"] for e in opened] == [ids[0], ids[2], ids[3], ids[4]]
    page = query(chain, "escrow/by_payer", payer=A1, limit="2")
    assert [e["id"] for e in page["escrows"]] == ids[:2] and page["next_cursor"] == str(ids[2])
    rest = query(chain, "escrow/by_payer", payer=A1, limit="2", cursor=page["next_cursor"])
    assert [e["id"] for e in rest["escrows"]] == ids[2:4]
    assert query(chain, "escrow/escrow", id=str(ids[1]))["status"] == "released"
    with pytest.raises(FinchainError) as bad:
        chain.app.query("escrow/by_payer", {"payer": A1, "status": "gone"})
    assert bad.value.code == ErrBadQuery.code and bad.value.codespace == "tx"
    with pytest.raises(FinchainError) as missing:
        chain.app.query("escrow/escrow", {"id": "99"})
    assert (missing.value.codespace, missing.value.code) == ("escrow", ErrUnknownEscrow.code)
