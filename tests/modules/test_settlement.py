"""Settlement: multi-leg instructions authorised in one transaction or by matching, settled all
legs or none (or whole lots), with explicit failure, cancellation and expiry."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finchain.app import TxResult
from finchain.client import builders as b
from finchain.client import settlement_builders as sb
from finchain.client.builders import Signer
from finchain.core import gas
from finchain.crypto import generate_private_key
from finchain.errors import ErrorCode
from finchain.modules.accounts.types import account_id
from finchain.modules.settlement.errors import (
    ErrBadEndorsement,
    ErrBadLeg,
    ErrBadLots,
    ErrBadSchedule,
    ErrCancelRequested,
    ErrExpired,
    ErrKindMismatch,
    ErrMismatch,
    ErrMissingEndorsement,
    ErrNotBilateral,
    ErrNotCancellable,
    ErrNotParty,
    ErrReferenceUsed,
    ErrTooManyLegs,
    ErrUnexpectedEndorsement,
    ErrUnknownAsset,
    ErrUnknownInstruction,
)
from finchain.modules.settlement.types import Instruction, lot_amount
from tests.harness import CHAIN_ID, Chain

A1, A2, A3, A4 = (account_id(n) for n in (1, 2, 3, 4))
BOND_UNITS = 1_000


@pytest.fixture
def chain(tmp_path) -> Chain:
    """Four banks with 1,000,000 CNY each; bank 1 issues BOND and holds 1,000 of it."""
    chain = Chain(tmp_path / "db", n_accounts=4)
    results = chain.block(
        chain.signer(1).sign(b.create_asset("BOND", "A bond", 0), b.mint("BOND", A1, BOND_UNITS))
    )
    assert all(r.ok for r in results), results
    return chain


def query(chain: Chain, path: str, **params: Any) -> Any:
    return chain.app.query(path, params).value


def refused(result: TxResult, error: ErrorCode) -> None:
    assert (result.codespace, result.code) == (error.codespace, error.code), result.log
    assert result.events == ()


def dvp(reference: str = "T-1", *, bonds: int = 100, cash: int = 10_000, **kw: Any) -> Instruction:
    """Bank 1 delivers ``bonds`` BOND to bank 2 against ``cash`` CNY."""
    kw.setdefault("deadline_height", 100)
    return sb.instruction(
        reference, "dvp", [sb.leg(A1, A2, "BOND", bonds), sb.leg(A2, A1, "CNY", cash)], **kw
    )


def snapshot(chain: Chain) -> tuple[Any, ...]:
    """Everything a refused settlement must leave as it was."""
    app = chain.app
    balances = {
        (n, asset): chain.balance(n, asset) for n in (1, 2, 3, 4) for asset in ("CNY", "BOND")
    }
    export = app.export_genesis()["settlement"]
    return balances, export


def settle_with(chain: Chain, deal: Instruction, sender: int = 1, *endorsers: int) -> TxResult:
    """``deal`` naming bank ``sender`` as its submitter, sent by it with the endorsers'."""
    deal = replace(deal, submitter=account_id(sender))
    endorsements = [sb.endorse(CHAIN_ID, deal, chain.signer(n)) for n in endorsers]
    (result,) = chain.block(chain.signer(sender).sign(sb.settle(deal, endorsements)))
    return result


# -- path (a): one transaction, every payer's endorsement --------------------------------------


def test_dvp_settles_both_legs_in_the_transaction_with_bank_events(chain):
    result = settle_with(chain, dvp(), 1, 2)
    assert result.ok, result.log
    assert (chain.balance(1, "BOND"), chain.balance(2, "BOND")) == (900, 100)
    assert (chain.balance(1), chain.balance(2)) == (1_010_000, 990_000)
    types = [e.type for e in result.events]
    assert types.count("transfer") == 2
    assert types.count("coin_spent") == 2 and types.count("coin_received") == 2
    assert types[0] == "settlement_submitted" and types[-1] == "settlement_settled"
    found = query(chain, "settlement/instruction", id=1)
    assert (found["status"], found["settled_lots"], found["remaining_lots"]) == ("settled", 1, 0)
    assert found["signers"] == sorted([A1, A2])
    assert query(chain, "settlement/instruction", id="1") == found  # HTTP passes strings
    assert chain.app.check_invariants() == []


def test_the_counterparty_can_send_it_with_the_deliverers_endorsement(chain):
    assert settle_with(chain, dvp(), 2, 1).ok
    assert chain.balance(2, "BOND") == 100


def test_a_third_party_submitter_needs_every_payers_endorsement(chain):
    refused(settle_with(chain, dvp(), 3, 2), ErrMissingEndorsement)
    result = settle_with(chain, dvp(), 3, 1, 2)
    assert result.ok, result.log
    assert query(chain, "settlement/instruction", id=1)["signers"] == sorted([A1, A2, A3])


def test_multilateral_pvp_across_three_parties(chain):
    assert chain.block(
        chain.signer(1).sign(b.create_asset("USD", "Dollar", 2), b.mint("USD", A3, 500))
    )[0].ok
    deal = sb.instruction(
        "PVP-1",
        "pvp",
        [sb.leg(A3, A2, "USD", 500), sb.leg(A2, A3, "CNY", 3_600)],
        deadline_height=50,
    )
    assert settle_with(chain, deal, 2, 3).ok
    assert chain.balance(2, "USD") == 500 and chain.balance(3) == 1_003_600


def test_fop_needs_no_counter_payment(chain):
    deal = sb.instruction("FOP-1", "fop", [sb.leg(A1, A3, "BOND", 5)], deadline_height=10)
    result = settle_with(chain, deal, 1)
    assert result.ok, result.log
    assert chain.balance(3, "BOND") == 5


def test_endorsement_signature_verification_is_charged(chain):
    with_endorsement = settle_with(chain, dvp("G-1"), 1, 2)
    deal = sb.instruction(
        "G-2",
        "fop",
        [sb.leg(A1, A2, "BOND", 100), sb.leg(A1, A2, "CNY", 10_000)],
        deadline_height=100,
    )
    alone = settle_with(chain, deal, 1)
    assert with_endorsement.ok and alone.ok
    assert with_endorsement.cost - alone.cost >= gas.SIG_VERIFY["ed25519"]


# -- replay ------------------------------------------------------------------------------------


def test_a_settled_reference_cannot_settle_again_by_anyone(chain):
    deal = dvp()
    assert settle_with(chain, deal, 1, 2).ok
    before = snapshot(chain)
    refused(settle_with(chain, deal, 1, 2), ErrReferenceUsed)
    refused(settle_with(chain, deal, 2, 1), ErrReferenceUsed)
    # Endorsements collected once cannot be replayed by a third party either.
    refused(settle_with(chain, deal, 3, 1, 2), ErrReferenceUsed)
    assert snapshot(chain) == before


def test_a_cancelled_reference_cannot_be_reused(chain):
    deal = dvp(settle_height=50)
    assert settle_with(chain, deal, 1, 2).ok
    assert chain.block(chain.signer(1).sign(sb.cancel(1)))[0].ok
    assert chain.block(chain.signer(2).sign(sb.cancel(1)))[0].ok
    assert query(chain, "settlement/instruction", id=1)["status"] == "cancelled"
    refused(settle_with(chain, replace(deal, settle_height=0), 1, 2), ErrReferenceUsed)


# -- endorsements ------------------------------------------------------------------------------


def test_missing_endorsement(chain):
    before = snapshot(chain)
    refused(settle_with(chain, dvp(), 1), ErrMissingEndorsement)
    assert snapshot(chain) == before


def test_bad_endorsement_signature(chain):
    deal = dvp()
    forged = Signer(CHAIN_ID, A2, [("k1", generate_private_key("ed25519"))])
    raw = chain.signer(1).sign(sb.settle(deal, [sb.endorse(CHAIN_ID, deal, forged)]))
    before = snapshot(chain)
    (result,) = chain.block(raw)
    refused(result, ErrBadEndorsement)
    assert "tx:" in result.log or "does not verify" in result.log
    assert snapshot(chain) == before


def test_endorsement_for_another_chain_or_instruction_does_not_verify(chain):
    deal = dvp()
    other_chain = sb.endorse("other-chain", deal, chain.signer(2))
    (result,) = chain.block(chain.signer(1).sign(sb.settle(deal, [other_chain])))
    refused(result, ErrBadEndorsement)
    other_deal = sb.endorse(CHAIN_ID, dvp(cash=1), chain.signer(2))
    (result,) = chain.block(chain.signer(1).sign(sb.settle(deal, [other_deal])))
    refused(result, ErrBadEndorsement)


def test_endorsement_by_an_account_that_pays_nothing_or_by_the_submitter(chain):
    refused(settle_with(chain, dvp(), 1, 2, 3), ErrUnexpectedEndorsement)
    refused(settle_with(chain, dvp(), 1, 1, 2), ErrUnexpectedEndorsement)
    deal = dvp()
    twice = [sb.endorse(CHAIN_ID, deal, chain.signer(2))] * 2
    (result,) = chain.block(chain.signer(1).sign(sb.settle(deal, twice)))
    refused(result, ErrUnexpectedEndorsement)


def test_endorsement_with_an_unknown_key_id(chain):
    deal = dvp()
    wrong = Signer(CHAIN_ID, A2, [("k9", chain.signer(2).keys[0][1])])
    (result,) = chain.block(
        chain.signer(1).sign(sb.settle(deal, [sb.endorse(CHAIN_ID, deal, wrong)]))
    )
    refused(result, ErrBadEndorsement)
    assert "accounts" in result.log or "tx:" in result.log


def test_endorser_multi_factor_rule_applies_to_its_own_legs(chain):
    """Bank 2 guards CNY transfers above 5,000 with two factors: one key does not do."""
    second = generate_private_key("ed25519")
    setup = chain.signer(2).sign(
        b.add_key(b.key_of("k2", second, factor="hardware")),
        b.set_factor("k1", "device"),
        b.set_mfa([b.mfa_transfer("CNY", above=5_000)]),
    )
    assert all(r.ok for r in chain.block(setup)), chain
    refused(settle_with(chain, dvp("M-1"), 1, 2), ErrBadEndorsement)
    small = dvp("M-2", cash=5_000)
    assert settle_with(chain, small, 1, 2).ok  # below the rule's threshold
    chain.signer(2).keys.append(("k2", second))
    assert settle_with(chain, dvp("M-3"), 1, 2).ok


def test_reset_locked_endorser_is_refused(chain):
    # A key reset started by the recovery account locks asset operations, endorsements included.
    raw = chain.signer(2).sign(b.set_recovery(A3))
    assert chain.block(raw)[0].ok
    policy = b.policy([b.key_of("k1", generate_private_key("ed25519"))])
    assert chain.block(chain.signer(3).sign(b.initiate_reset(A2, policy)))[0].ok
    (result,) = chain.block(
        chain.signer(1).sign(sb.settle(dvp(), [sb.endorse(CHAIN_ID, dvp(), chain.signer(2))]))
    )
    refused(result, ErrBadEndorsement)
    assert "reset" in result.log


# -- bad input ---------------------------------------------------------------------------------


def raw_instruction(**overrides: Any) -> dict[str, Any]:
    base = dvp().to_obj()
    base.update(overrides)
    return base


def send_raw(chain: Chain, instruction: dict[str, Any], sender: int = 1) -> TxResult:
    from finchain.codec import RawMsg

    msg = RawMsg("settlement/settle", {"instruction": instruction, "endorsements": []})
    (result,) = chain.block(chain.signer(sender).sign(msg))
    return result


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"legs": [{"sender": A1, "recipient": A2, "asset": "BOND", "amount": "0"}]}, ErrBadLeg),
        ({"legs": [{"sender": A1, "recipient": A1, "asset": "BOND", "amount": "5"}]}, ErrBadLeg),
        (
            {"legs": [{"sender": A1, "recipient": A2, "asset": "BOND", "amount": "1"}] * 17},
            ErrTooManyLegs,
        ),
        ({"kind": "fop"}, ErrKindMismatch),
        (
            {
                "kind": "dvp",
                "legs": [{"sender": A1, "recipient": A2, "asset": "BOND", "amount": "1"}],
            },
            ErrKindMismatch,
        ),
        ({"deadline_height": 0}, ErrBadSchedule),
        ({"deadline_time_ns": 5}, ErrBadSchedule),
        ({"settle_height": 101}, ErrBadSchedule),
        ({"lots": 3}, ErrBadLots),
        ({"lots": 10, "min_lots": 10}, ErrBadLots),
    ],
)
def test_bad_instructions_are_refused_with_their_code(chain, overrides, error):
    before = snapshot(chain)
    refused(send_raw(chain, raw_instruction(**overrides)), error)
    assert snapshot(chain) == before


def test_unknown_asset(chain):
    deal = sb.instruction("U-1", "fop", [sb.leg(A1, A2, "NOPE", 5)], deadline_height=10)
    before = snapshot(chain)
    refused(settle_with(chain, deal, 1), ErrUnknownAsset)
    assert snapshot(chain) == before


def test_deadline_already_passed(chain):
    chain.block()
    chain.block()
    refused(settle_with(chain, dvp(deadline_height=2), 1, 2), ErrExpired)
    past = dvp("T-2", deadline_height=0, deadline_time_ns=chain.time_ns - 1)
    refused(settle_with(chain, past, 1, 2), ErrExpired)


def test_the_builder_checks_like_the_chain():
    with pytest.raises(Exception) as info:
        sb.instruction("X", "fop", [sb.leg(A1, A2, "BOND", 0)], deadline_height=5)
    assert ErrBadLeg.matches(info.value)


# -- explicit failure, retry, deadline ---------------------------------------------------------


def test_short_of_cash_stays_pending_with_the_reason_then_settles_when_funded(chain):
    deal = dvp("P-1", cash=1_500_000, deadline_height=20)
    result = settle_with(chain, deal, 1, 2)  # height 2
    assert result.ok, result.log
    types = [e.type for e in result.events]
    assert "transfer" not in types and "settlement_pending" in types
    found = query(chain, "settlement/instruction", id=1)
    assert found["status"] == "pending" and A2 in found["reason"]
    assert chain.balance(1, "BOND") == BOND_UNITS  # nothing moved
    assert (found["retry_height"], found["retry_interval"]) == (3, 1)
    # Retried 1 block later: still short, no new event while the reason is the same; the
    # next retry is 2 blocks later.
    response = chain.finalize()  # 3
    assert not [e for e in response.events if e.type.startswith("settlement_")]
    assert query(chain, "settlement/instruction", id=1)["retry_height"] == 5
    assert chain.block(chain.signer(3).sign(b.transfer((A2, "CNY", 600_000))))[0].ok  # 4
    assert query(chain, "settlement/instruction", id=1)["status"] == "pending"
    response = chain.finalize()  # 5: the retry is due
    assert "settlement_settled" in [e.type for e in response.events]
    found = query(chain, "settlement/instruction", id=1)
    assert (found["status"], found["reason"]) == ("settled", "")
    assert "retry_height" not in found
    assert chain.balance(2, "BOND") == 100 and chain.balance(1) == 2_500_000
    assert chain.app.check_invariants() == []


def test_pending_instruction_fails_at_its_deadline(chain):
    deal = dvp("P-2", cash=1_500_000, deadline_height=4)
    assert settle_with(chain, deal, 1, 2).ok  # height 2
    chain.block()  # 3
    response = chain.finalize()  # 4: last retry, then failed
    assert [e.type for e in response.events if e.type.startswith("settlement_")] == [
        "settlement_failed"
    ]
    found = query(chain, "settlement/instruction", id=1)
    assert found["status"] == "failed" and "CNY" in found["reason"]
    assert chain.app.settlement.queued(chain.app.state) == {
        "due": set(),
        "retry": set(),
        "expire": set(),
    }
    chain.block(chain.signer(3).sign(b.transfer((A2, "CNY", 600_000))))
    assert query(chain, "settlement/instruction", id=1)["status"] == "failed"
    assert chain.balance(1, "BOND") == BOND_UNITS


def test_frozen_payer_leaves_it_pending_and_frozen_endorser_is_refused(chain):
    from tests.testmodule import MsgSetStatus

    deal = dvp("F-1", settle_height=4)
    assert settle_with(chain, deal, 1, 2).ok  # height 2, due at 4
    assert chain.block(chain.signer(1).sign(MsgSetStatus(A2, "frozen").to_raw()))[0].ok
    response = chain.finalize()  # 4
    pending = [e for e in response.events if e.type == "settlement_pending"]
    assert pending and "frozen" in dict(pending[0].attributes)["reason"]
    assert chain.balance(1, "BOND") == BOND_UNITS
    refused(settle_with(chain, dvp("F-2"), 1, 2), ErrBadEndorsement)  # 5: retried, frozen
    assert chain.block(chain.signer(1).sign(MsgSetStatus(A2, "active").to_raw()))[0].ok  # 6
    chain.block()  # 7: retried 2 blocks after the last attempt
    assert query(chain, "settlement/instruction", id=1)["status"] == "settled"


# -- partial settlement ------------------------------------------------------------------------


def test_partial_settlement_moves_whole_lots_and_keeps_the_rest_pending(chain):
    # 10 lots of 10 BOND against 100,000 CNY each; bank 2 can fund 4 lots.
    assert chain.block(chain.signer(2).sign(b.transfer((A4, "CNY", 550_000))))[0].ok
    deal = dvp("L-1", bonds=100, cash=1_000_000, lots=10, min_lots=2, deadline_height=50)
    result = settle_with(chain, deal, 1, 2)
    assert result.ok, result.log
    types = [e.type for e in result.events]
    assert "settlement_partially_settled" in types and types.count("transfer") == 2
    assert chain.balance(2, "BOND") == 40 and chain.balance(2) == 450_000 - 400_000
    found = query(chain, "settlement/instruction", id=1)
    assert (found["status"], found["settled_lots"], found["remaining_lots"]) == (
        "partially_settled",
        4,
        6,
    )
    # Enough for 1 more lot only: below the minimum of 2, nothing moves.
    assert chain.block(chain.signer(4).sign(b.transfer((A2, "CNY", 60_000))))[0].ok  # 4
    assert query(chain, "settlement/instruction", id=1)["settled_lots"] == 4
    assert chain.balance(2, "BOND") == 40
    assert chain.block(chain.signer(4).sign(b.transfer((A2, "CNY", 490_000))))[0].ok  # 5
    chain.block()  # 6: retried 2 blocks after the attempt that moved nothing
    found = query(chain, "settlement/instruction", id=1)
    assert (found["status"], found["settled_lots"]) == ("settled", 10)
    assert chain.balance(2, "BOND") == 100 and chain.balance(1) == 2_000_000
    assert chain.app.check_invariants() == []


def test_without_partials_a_short_instruction_moves_nothing(chain):
    assert chain.block(chain.signer(2).sign(b.transfer((A4, "CNY", 550_000))))[0].ok
    deal = dvp("L-2", bonds=100, cash=1_000_000, lots=10, deadline_height=50)
    assert settle_with(chain, deal, 1, 2).ok
    assert query(chain, "settlement/instruction", id=1)["status"] == "pending"
    assert chain.balance(2, "BOND") == 0


# -- path (b): matching ------------------------------------------------------------------------


def test_both_sides_match_and_settle_at_the_settlement_height(chain):
    deal = dvp("M-10", settle_height=5, deadline_height=10)
    (first,) = chain.block(chain.signer(1).sign(sb.instruct(deal, A2)))  # height 2
    assert first.ok, first.log
    assert query(chain, "settlement/instruction", id=1)["status"] == "unmatched"
    (second,) = chain.block(chain.signer(2).sign(sb.instruct(deal, A1)))  # height 3
    assert [e.type for e in second.events] == ["settlement_submitted", "settlement_matched"]
    assert query(chain, "settlement/instruction", id=1)["status"] == "matched"
    chain.block()  # 4: not due yet
    assert chain.balance(2, "BOND") == 0
    response = chain.finalize()  # 5: due, settled in end_block
    assert "settlement_settled" in [e.type for e in response.events]
    assert chain.balance(2, "BOND") == 100
    assert query(chain, "settlement/by_reference", party=A2, reference="M-10")["id"] == 1
    listed = query(chain, "settlement/by_party", party=A1)
    assert [i["id"] for i in listed["instructions"]] == [1] and listed["next"] is None


def test_matching_by_time(chain):
    deal = dvp("M-11", settle_time_ns=chain.time_ns + 3_500_000_000, deadline_height=20)
    assert chain.block(chain.signer(1).sign(sb.instruct(deal, A2)))[0].ok  # t+1s
    assert chain.block(chain.signer(2).sign(sb.instruct(deal, A1)))[0].ok  # t+2s
    chain.block()  # t+3s
    assert chain.balance(2, "BOND") == 0
    chain.block()  # t+4s
    assert chain.balance(2, "BOND") == 100


def test_a_side_that_differs_is_refused_naming_the_fields(chain):
    assert chain.block(chain.signer(1).sign(sb.instruct(dvp("M-12"), A2)))[0].ok
    before = snapshot(chain)
    (result,) = chain.block(chain.signer(2).sign(sb.instruct(dvp("M-12", cash=9_999), A1)))
    refused(result, ErrMismatch)
    assert "legs" in result.log
    assert snapshot(chain) == before
    assert chain.block(chain.signer(2).sign(sb.instruct(dvp("M-12"), A1)))[0].ok


def test_unmatched_side_expires_at_its_deadline(chain):
    assert chain.block(chain.signer(1).sign(sb.instruct(dvp("M-13", deadline_height=3), A2)))[0].ok
    response = chain.finalize()  # 3
    assert [e.type for e in response.events] == ["settlement_expired"]
    assert query(chain, "settlement/instruction", id=1)["status"] == "expired"
    refused(
        chain.block(chain.signer(2).sign(sb.instruct(dvp("M-13", deadline_height=3), A1)))[0],
        ErrExpired,
    )


def test_instruct_wrong_party_and_not_bilateral(chain):
    refused(chain.block(chain.signer(3).sign(sb.instruct(dvp(), A1)))[0], ErrNotParty)
    refused(chain.block(chain.signer(1).sign(sb.instruct(dvp(), A3)))[0], ErrNotBilateral)


# -- cancellation ------------------------------------------------------------------------------


def test_unmatched_side_is_withdrawn_alone(chain):
    assert chain.block(chain.signer(1).sign(sb.instruct(dvp("C-1"), A2)))[0].ok
    refused(chain.block(chain.signer(2).sign(sb.cancel(1)))[0], ErrNotParty)
    (result,) = chain.block(chain.signer(1).sign(sb.cancel(1)))
    assert [e.type for e in result.events] == ["settlement_cancelled"]
    assert chain.app.settlement.queued(chain.app.state)["expire"] == set()


def test_matched_instruction_is_cancelled_bilaterally(chain):
    deal = dvp("C-2", settle_height=20)
    assert chain.block(chain.signer(1).sign(sb.instruct(deal, A2)))[0].ok
    assert chain.block(chain.signer(2).sign(sb.instruct(deal, A1)))[0].ok
    (first,) = chain.block(chain.signer(1).sign(sb.cancel(1)))
    assert [e.type for e in first.events] == ["settlement_cancel_requested"]
    refused(chain.block(chain.signer(1).sign(sb.cancel(1)))[0], ErrCancelRequested)
    assert query(chain, "settlement/instruction", id=1)["status"] == "matched"
    (second,) = chain.block(chain.signer(2).sign(sb.cancel(1)))
    assert [e.type for e in second.events] == ["settlement_cancelled"]
    assert chain.app.settlement.queued(chain.app.state) == {
        "due": set(),
        "retry": set(),
        "expire": set(),
    }
    assert chain.app.check_invariants() == []


def test_cancel_after_settlement_and_unknown_id(chain):
    assert settle_with(chain, dvp(), 1, 2).ok
    refused(chain.block(chain.signer(1).sign(sb.cancel(1)))[0], ErrNotCancellable)
    refused(chain.block(chain.signer(3).sign(sb.cancel(1)))[0], ErrNotParty)
    refused(chain.block(chain.signer(1).sign(sb.cancel(99)))[0], ErrUnknownInstruction)


# -- genesis -----------------------------------------------------------------------------------


def test_default_genesis_writes_nothing_and_an_export_round_trips(chain, tmp_path):
    from finchain.app import Genesis
    from tests.testmodule import with_test_module

    assert chain.app.export_genesis()["settlement"] == {}
    assert settle_with(chain, dvp("E-1"), 1, 2).ok
    assert chain.block(chain.signer(1).sign(sb.instruct(dvp("E-2", settle_height=40), A2)))[0].ok
    assert settle_with(chain, dvp("E-3", cash=5_000_000), 1, 2).ok
    exported = chain.app.export()
    fresh = with_test_module(tmp_path / "fresh")
    fresh.init_chain(Genesis.from_json_obj(exported.to_json_obj()))
    assert fresh.export_genesis()["settlement"] == exported.app_state["settlement"]
    assert fresh.settlement.queued(fresh.state) == chain.app.settlement.queued(chain.app.state)
    fresh.close()


def test_once_every_instruction_is_closed_an_export_round_trips_entry_by_entry(chain, tmp_path):
    """The open count back at 0 is no entry, as in a chain imported from the export (which
    writes none): otherwise the two states, and their app hashes, would differ."""
    from finchain.app import Genesis
    from tests.testmodule import with_test_module

    deadline = chain.app.height + 3
    late = dvp("C-1", deadline_height=deadline)
    assert chain.block(chain.signer(1).sign(sb.instruct(late, A2)))[0].ok
    while chain.app.height < deadline:
        chain.block()
    assert chain.app.settlement.require(chain.app.state, 1).status == "expired"
    assert chain.app.settlement.open_count(chain.app.state) == 0
    fresh = with_test_module(tmp_path / "fresh")
    fresh.init_chain(Genesis.from_json_obj(chain.app.export().to_json_obj()))
    assert dict(fresh.state.iterate(b"settlement/")) == dict(
        chain.app.state.iterate(b"settlement/")
    )
    fresh.close()


# -- exactness and the batch pre-pass ----------------------------------------------------------


@given(
    lots=st.integers(1, 1_000_000),
    per_lot=st.integers(1, 10**20),
    cuts=st.lists(st.integers(1, 1_000_000), max_size=8),
)
def test_lot_amounts_are_exact_and_add_up_to_the_leg(lots, per_lot, cuts):
    amount = per_lot * lots
    done = 0
    for cut in cuts:
        count = min(cut, lots - done)
        moved = lot_amount(amount, lots, count)
        assert Decimal(moved) == Decimal(amount) * Decimal(count) / Decimal(lots)
        done += count
    assert lot_amount(amount, lots, lots - done) + lot_amount(amount, lots, done) == amount


def test_the_pre_pass_batches_endorsements_and_skips_malformed_ones(chain):
    from finchain.codec import RawMsg, decode_tx

    deal = dvp()
    raw = chain.signer(1).sign(sb.settle(deal, [sb.endorse(CHAIN_ID, deal, chain.signer(2))]))
    jobs = chain.app.signature_jobs([raw])
    assert sorted(job.public_key for job in jobs) == sorted(
        k.public_key().data for k in (chain.keys[0], chain.keys[1])
    )
    assert all(job.verify() for job in jobs)
    junk = [
        {"instruction": 5, "endorsements": []},
        {"instruction": {}, "endorsements": [{"account": 1}, 7, {"account": A2, "signatures": 3}]},
    ]
    for value in junk:
        tx = decode_tx(chain.signer(3).sign(RawMsg("settlement/settle", value)), max_size=10**6)
        assert chain.app.settlement.signature_jobs(chain.app.state, [(tx, b"id")]) == []


def test_senders_multi_factor_rule_covers_its_own_legs(chain):
    """Bank 1 guards BOND deliveries above 50 with two factors: the ante chain sees its legs."""

    second = generate_private_key("ed25519")
    setup = chain.signer(1).sign(
        b.add_key(b.key_of("k2", second, factor="hardware")),
        b.set_factor("k1", "device"),
        b.set_mfa([b.mfa_transfer("BOND", above=50)]),
    )
    assert all(r.ok for r in chain.block(setup))
    (result,) = chain.block(
        chain.signer(1).sign(sb.settle(dvp(), [sb.endorse(CHAIN_ID, dvp(), chain.signer(2))]))
    )
    assert (result.codespace, result.code) == ("accounts", 15), result.log
    chain.signer(1).nonce -= 1  # refused by the ante chain: the nonce is not spent
    # Sent by bank 2 with bank 1's endorsement, the same rule applies to the endorsement.
    refused(settle_with(chain, dvp("M-4"), 2, 1), ErrBadEndorsement)
    (side,) = chain.block(chain.signer(1).sign(sb.instruct(dvp("M-6"), A2)))
    assert (side.codespace, side.code) == ("accounts", 15), side.log
    chain.signer(1).nonce -= 1
    chain.signer(1).keys.append(("k2", second))
    assert settle_with(chain, dvp("M-5"), 2, 1).ok
    (matched,) = chain.block(chain.signer(1).sign(sb.instruct(dvp("M-6"), A2)))
    assert matched.ok, matched.log


def test_time_deadline_fails_a_pending_instruction_at_the_first_block_past_it(chain):
    deal = dvp(
        "P-T", cash=1_500_000, deadline_height=0, deadline_time_ns=chain.time_ns + 2_500_000_000
    )
    assert settle_with(chain, deal, 1, 2).ok  # t+1s: pending
    chain.block()  # t+2s: retried, still pending
    assert query(chain, "settlement/instruction", id=1)["status"] == "pending"
    response = chain.finalize()  # t+3s: past the deadline
    assert [e.type for e in response.events] == ["settlement_failed"]
    assert chain.app.settlement.open_count(chain.app.state) == 0


def test_cancelling_a_partially_settled_instruction_keeps_what_settled(chain):
    assert chain.block(chain.signer(2).sign(b.transfer((A4, "CNY", 550_000))))[0].ok
    deal = dvp("L-3", bonds=100, cash=1_000_000, lots=10, min_lots=1, deadline_height=50)
    assert settle_with(chain, deal, 1, 2).ok
    assert query(chain, "settlement/instruction", id=1)["settled_lots"] == 4
    assert chain.block(chain.signer(2).sign(sb.cancel(1)))[0].ok
    (result,) = chain.block(chain.signer(1).sign(sb.cancel(1)))
    assert [e.type for e in result.events] == ["settlement_cancelled"]
    found = query(chain, "settlement/instruction", id=1)
    assert (found["status"], found["settled_lots"]) == ("cancelled", 4)
    assert chain.balance(2, "BOND") == 40
    assert chain.block(chain.signer(4).sign(b.transfer((A2, "CNY", 900_000))))[0].ok
    assert chain.balance(2, "BOND") == 40  # nothing settles after cancellation
    assert chain.app.check_invariants() == []
