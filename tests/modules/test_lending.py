"""Collateralised loans through real blocks: origination, scheduled collection, arrears and
default, the oracle, margin calls, and every refusal leaving the state untouched.

Chain (``make_gov``): accounts 1..4 are governance members; account 1 issues CNY and
the collateral asset GOLD; account 2 lends, account 3 borrows, account 4 is a
bystander, account 5 is the oracle governance appoints. Blocks are 1 s apart unless a
test jumps the clock (``at``) to land a block exactly on a due time or a deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from finchain.app import TxResult
from finchain.client import builders as b
from finchain.client import escrow_builders as esb
from finchain.client import lending_builders as lb
from finchain.codec import RawMsg
from finchain.core.errors import ErrGovernanceOnly
from finchain.core.msgs import TRANSFER, Operation
from finchain.errors import ErrorCode, FinchainError
from finchain.modules.bank.errors import ErrInsufficientFunds
from finchain.modules.escrow.errors import ErrControlled
from finchain.modules.lending import keeper as lending_keeper
from finchain.modules.lending.errors import (
    ErrBadPrice,
    ErrBadSchedule,
    ErrBadTerms,
    ErrInsufficientCollateral,
    ErrLoanState,
    ErrLtvAboveLimit,
    ErrNoPrice,
    ErrNotBorrower,
    ErrNotLender,
    ErrNotOracle,
    ErrOpenLoans,
    ErrRateOutOfRange,
    ErrRepayTooMuch,
    ErrStalePrice,
    ErrTooManyPledges,
    ErrUnknownLoan,
)
from finchain.modules.lending.messages import MsgOffer, MsgRepay
from finchain.modules.lending.module import LendingModule
from finchain.modules.lending.types import INTEREST_DENOM, round_half_up
from tests.harness import BLOCK_NS
from tests.modules.test_governance import A, Gov, make_gov
from tests.support import code
from tests.testmodule import with_test_module

LENDER, BORROWER, OTHER, ORACLE = 2, 3, 4, 5
S = 10**9  # one second in ns
PRINCIPAL = 1_000_000_000_000  # CNY base units (large, so seconds-long periods accrue interest)
GOLD_HELD = 50_000_000
COLLATERAL = 20_000_000  # GOLD base units, worth 100_000 CNY units each: value 2e12
RATE = 1_000  # 10% a year
MAX_AGE_S = 3_600


class Lending:
    """The chain and the steps the scenarios are written in."""

    def __init__(self, gov: Gov) -> None:
        self.gov = gov
        self.chain = gov.chain
        self.app = gov.app

    def tx(self, who: int, *msgs: RawMsg) -> bytes:
        return self.gov.tx(who, *msgs)

    def send(self, who: int, *msgs: RawMsg) -> TxResult:
        """One block holding one transaction of ``who``."""
        (result,) = self.gov.block(self.tx(who, *msgs)).tx_results
        return result

    def ok(self, who: int, *msgs: RawMsg) -> TxResult:
        result = self.send(who, *msgs)
        assert result.ok, (result.codespace, result.code, result.log)
        return result

    def at(self, time_ns: int, *txs: bytes) -> Any:
        """A block whose time is exactly ``time_ns``."""
        assert time_ns > self.chain.time_ns
        self.chain.time_ns = time_ns - BLOCK_NS
        return self.gov.block(*txs)

    @property
    def now(self) -> int:
        return self.chain.time_ns

    def query(self, path: str, **params: Any) -> Any:
        return self.app.query("lending/" + path, params).value

    def loan(self, loan_id: int) -> dict[str, Any]:
        return self.query("loan", loan_id=loan_id)

    def escrows(self, loan_id: int) -> list[dict[str, Any]]:
        """The loan's collateral escrows, as the escrow module answers them."""
        ids = self.loan(loan_id).get("collateral_escrows", [])
        return [self.app.query("escrow/escrow", {"id": str(i)}).value for i in ids]

    def locked(self, who: int, asset: str = "GOLD") -> int:
        """What open escrows hold of the holding (the escrow module's own count)."""
        return int(
            self.app.query("escrow/locked", {"account": A[who], "asset": asset}).value["locked"]
        )

    def balance(self, who: int, asset: str = "CNY") -> tuple[int, int]:
        """(balance, frozen)."""
        return self.app.bank.holding(self.app.state, A[who], asset)

    def price(self, numerator: int, denominator: int = 1, *, observed_at: int | None = None):
        seen = self.now + BLOCK_NS if observed_at is None else observed_at
        return self.send(ORACLE, lb.post_price("GOLD", "CNY", numerator, denominator, seen))

    def offer(self, **terms: Any) -> int:
        """Offer the standard loan (overridden by ``terms``); return its id."""
        args: dict[str, Any] = {
            "rate_bps": RATE,
            "due_times": [self.now + 20 * S, self.now + 40 * S],
            "collateral_asset": "GOLD",
            "collateral": COLLATERAL,
            "max_ltv_bps": 6_000,
            "margin_ltv_bps": 8_000,
            "margin_cure_s": 10,
            "grace_s": 5,
            "schedule": "equal_principal",
        }
        args.update(terms)
        principal = args.pop("principal", PRINCIPAL)
        result = self.ok(LENDER, lb.offer(A[BORROWER], "CNY", principal, **args))
        (event,) = [e for e in result.events if e.type == "loan_offered"]
        return int(event.get("loan_id"))

    def originate(self, **terms: Any) -> int:
        loan_id = self.offer(**terms)
        self.ok(BORROWER, lb.accept(loan_id))
        return loan_id

    def state(self) -> list[tuple[bytes, bytes]]:
        """Every lending, escrow and bank entry (what a refused message must leave alone)."""
        return [
            *self.app.state.iterate(b"lending/"),
            *self.app.state.iterate(b"escrow/"),
            *self.app.state.iterate(b"bank/"),
        ]


def make_world(tmp_path: Path) -> Lending:
    """The oracle appointed by governance, GOLD issued, the lender funded, GOLD at 100,000."""
    world = Lending(make_gov(tmp_path))
    world.gov.pass_proposal(b.exec_msg(lb.appoint_oracle(A[ORACLE], MAX_AGE_S)))
    world.ok(1, b.create_asset("GOLD", "Gold", 0))
    world.ok(
        1,
        b.mint("GOLD", A[BORROWER], GOLD_HELD),
        b.mint("GOLD", A[OTHER], GOLD_HELD),
        b.mint("CNY", A[LENDER], 10 * PRINCIPAL),
    )
    world.price(100_000)
    return world


@pytest.fixture
def world(tmp_path: Path) -> Lending:
    return make_world(tmp_path)


def events_of(result: Any, kind: str) -> list[dict[str, str]]:
    found = result.events if hasattr(result, "events") else ()
    return [dict(e.attributes) for e in found if e.type == kind]


def interest(principal: int, seconds: int) -> int:
    """The test's own ACT/365F amount for a period, half up (checked against decimal in
    test_lending_exact.py)."""
    return round_half_up(principal * RATE * seconds * S, INTEREST_DENOM)


# -- oracle ---------------------------------------------------------------------------------------


def test_oracle_is_appointed_only_by_governance(world):
    assert world.query("oracle")["oracle"] == {"oracle": A[ORACLE], "max_age_ns": MAX_AGE_S * S}
    result = world.send(1, lb.appoint_oracle(A[1], 60))
    assert (result.codespace, result.code) == code(ErrGovernanceOnly)
    assert world.query("oracle")["oracle"]["oracle"] == A[ORACLE]


def test_price_is_recorded_with_its_block(world):
    seen = world.now + BLOCK_NS
    world.ok(ORACLE, lb.post_price("GOLD", "CNY", 201, 2, seen))
    price = world.query("price", asset="GOLD", quote="CNY")["price"]
    assert price == {
        "asset": "GOLD",
        "quote": "CNY",
        "numerator": "201",
        "denominator": "2",
        "observed_at": seen,
        "height": world.app.height,
    }


# -- origination ----------------------------------------------------------------------------------


def test_acceptance_pledges_collateral_in_escrow_and_pays_principal_at_once(world):
    lender_before = world.balance(LENDER)[0]
    loan_id = world.offer()
    assert world.loan(loan_id)["state"] == "offered"
    assert world.balance(BORROWER, "GOLD") == (GOLD_HELD, 0)
    result = world.ok(BORROWER, lb.accept(loan_id))
    assert world.balance(BORROWER, "GOLD") == (GOLD_HELD, COLLATERAL)
    assert world.balance(BORROWER)[0] == 1_000_000 + PRINCIPAL
    assert world.balance(LENDER)[0] == lender_before - PRINCIPAL
    kinds = [e.type for e in result.events]
    assert "amount_frozen" in kinds and "transfer" in kinds and "loan_originated" in kinds
    (created,) = events_of(result, "escrow_created")
    loan = world.loan(loan_id)
    assert loan["collateral_escrows"] == [int(created["escrow_id"])]
    (pledge,) = world.escrows(loan_id)
    assert (pledge["payer"], pledge["payee"], pledge["asset"], pledge["amount"]) == (
        A[BORROWER],
        A[LENDER],
        "GOLD",
        str(COLLATERAL),
    )
    assert pledge["controller"] == "lending" and pledge["status"] == "open"
    assert pledge["reference"] == f"loan {loan_id}"
    assert pledge["expiry_height"] == 0 and pledge["expiry_time"] == 0
    assert world.locked(BORROWER) == COLLATERAL
    assert loan["state"] == "active" and loan["start_time"] == world.now
    assert loan["outstanding"] == str(PRINCIPAL) and loan["owed"] == str(PRINCIPAL)
    # frozen collateral cannot be spent
    spend = world.send(BORROWER, b.transfer((A[OTHER], "GOLD", GOLD_HELD - COLLATERAL + 1)))
    assert (spend.codespace, spend.code) == code(ErrInsufficientFunds)
    listed = world.query("loans", account=A[BORROWER])["loans"]
    assert [(x["id"], x["role"], x["counterparty"]) for x in listed] == [
        (loan_id, "borrower", A[LENDER])
    ]
    assert world.query("loans", account=A[LENDER])["loans"][0]["role"] == "lender"


def test_offer_lapses_at_its_first_due_time(world):
    loan_id = world.offer()
    first = world.loan(loan_id)["instalments"][0]["due_time"]
    world.at(first - BLOCK_NS)
    assert world.loan(loan_id)["state"] == "offered"
    response = world.at(first)
    assert world.loan(loan_id)["state"] == "lapsed"
    assert events_of(response, "loan_lapsed") == [{"loan_id": str(loan_id)}]
    result = world.send(BORROWER, lb.accept(loan_id))
    assert (result.codespace, result.code) == code(ErrLoanState)


def test_lender_withdraws_an_offer_once(world):
    loan_id = world.offer()
    wrong = world.send(OTHER, lb.cancel(loan_id))
    assert (wrong.codespace, wrong.code) == code(ErrNotLender)
    world.ok(LENDER, lb.cancel(loan_id))
    assert world.loan(loan_id)["state"] == "cancelled"
    again = world.send(LENDER, lb.cancel(loan_id))
    assert (again.codespace, again.code) == code(ErrLoanState)


# -- scheduled collection -------------------------------------------------------------------------


def test_equal_principal_instalments_are_collected_at_their_due_heights(world):
    loan_id = world.originate()
    loan = world.loan(loan_id)
    start = loan["start_time"]
    t1, t2 = (i["due_time"] for i in loan["instalments"])
    half = PRINCIPAL // 2
    first = half + interest(PRINCIPAL, (t1 - start) // S)
    second = half + interest(half, (t2 - t1) // S)
    projected = world.query("schedule", loan_id=loan_id)["instalments"]
    assert [(r["principal_due"], r["interest_due"]) for r in projected] == [
        (str(half), str(first - half)),
        (str(half), str(second - half)),
    ]
    world.at(t1 - 1)  # one ns early: nothing happens
    assert world.loan(loan_id).get("fixed", 0) == 0
    cash = world.balance(BORROWER)[0]
    response = world.at(t1)
    assert events_of(response, "instalment_paid") == [
        {"loan_id": str(loan_id), "amount": str(first)}
    ]
    assert world.balance(BORROWER)[0] == cash - first
    rows = world.query("schedule", loan_id=loan_id)["instalments"]
    assert rows[0]["state"] == "paid" and rows[0]["principal_paid"] == str(half)
    assert rows[1]["state"] == "scheduled"
    response = world.at(t2)
    assert events_of(response, "loan_repaid") == [{"loan_id": str(loan_id)}]
    assert world.balance(BORROWER)[0] == cash - first - second
    assert world.balance(BORROWER, "GOLD") == (GOLD_HELD, 0)
    assert world.loan(loan_id)["state"] == "repaid"
    assert world.loan(loan_id)["closed_height"] == world.app.height


def test_bullet_pays_interest_then_principal_at_the_end(world):
    loan_id = world.originate(schedule="bullet")
    loan = world.loan(loan_id)
    t1, t2 = (i["due_time"] for i in loan["instalments"])
    world.at(t1)
    rows = world.query("schedule", loan_id=loan_id)["instalments"]
    assert rows[0]["principal_due"] == "0"
    assert rows[0]["interest_due"] == str(interest(PRINCIPAL, (t1 - loan["start_time"]) // S))
    world.at(t2)
    rows = world.query("schedule", loan_id=loan_id)["instalments"]
    assert rows[1]["principal_paid"] == str(PRINCIPAL)
    assert rows[1]["interest_paid"] == str(interest(PRINCIPAL, (t2 - t1) // S))
    assert world.loan(loan_id)["state"] == "repaid"


def test_early_repayment_in_full_releases_the_collateral(world):
    loan_id = world.originate()
    start = world.loan(loan_id)["start_time"]
    pay_at = world.now + BLOCK_NS
    owed = PRINCIPAL + interest(PRINCIPAL, (pay_at - start) // S)
    too_much = world.send(BORROWER, lb.repay(loan_id, "CNY", owed + 1))
    assert (too_much.codespace, too_much.code) == code(ErrRepayTooMuch)
    pay_at = world.now + BLOCK_NS
    owed = PRINCIPAL + interest(PRINCIPAL, (pay_at - start) // S)
    result = world.ok(BORROWER, lb.repay(loan_id, "CNY", owed))
    assert events_of(result, "loan_repaid") == [{"loan_id": str(loan_id)}]
    assert world.balance(BORROWER, "GOLD") == (GOLD_HELD, 0)
    assert world.loan(loan_id)["state"] == "repaid"
    assert world.query("schedule", loan_id=loan_id)["state"] == "repaid"
    (pledge,) = world.escrows(loan_id)
    assert pledge["status"] == "refunded" and pledge["closed_by"] == "lending"
    assert world.locked(BORROWER) == 0


def test_partial_prepayment_shortens_the_schedule_from_its_end(world):
    loan_id = world.originate()
    loan = world.loan(loan_id)
    start = loan["start_time"]
    t1, t2 = (i["due_time"] for i in loan["instalments"])
    pay_at = world.now + BLOCK_NS
    accrued = interest(PRINCIPAL, (pay_at - start) // S)
    prepaid = PRINCIPAL // 4
    world.ok(BORROWER, lb.repay(loan_id, "CNY", accrued + prepaid))
    left = PRINCIPAL - prepaid
    assert world.loan(loan_id)["outstanding"] == str(left)
    world.at(t1)
    rows = world.query("schedule", loan_id=loan_id)["instalments"]
    # the first instalment keeps its planned principal; interest since the prepayment
    assert rows[0]["principal_due"] == str(PRINCIPAL // 2)
    assert rows[0]["interest_due"] == str(interest(left, (t1 - pay_at) // S))
    world.at(t2)
    rows = world.query("schedule", loan_id=loan_id)["instalments"]
    assert rows[1]["principal_due"] == str(left - PRINCIPAL // 2)
    assert world.loan(loan_id)["state"] == "repaid"


# -- arrears and default --------------------------------------------------------------------------


def _spend_cash(world: Lending) -> None:
    """The borrower moves all its cash away, so the next instalment cannot be collected."""
    world.ok(BORROWER, b.transfer((A[OTHER], "CNY", world.balance(BORROWER)[0])))


def test_missed_instalment_defaults_at_the_end_of_grace_exactly(world):
    loan_id = world.originate(grace_s=5)
    t1 = world.loan(loan_id)["instalments"][0]["due_time"]
    _spend_cash(world)
    response = world.at(t1)
    (missed,) = events_of(response, "instalment_missed")
    assert missed["loan_id"] == str(loan_id)
    loan = world.loan(loan_id)
    assert loan["state"] == "in_arrears" and loan["grace_deadline"] == t1 + 5 * S
    assert world.query("schedule", loan_id=loan_id)["instalments"][0]["state"] == "overdue"
    lender_gold = world.balance(LENDER, "GOLD")
    world.at(t1 + 5 * S - 1)
    assert world.loan(loan_id)["state"] == "in_arrears"
    response = world.at(t1 + 5 * S)
    height = world.app.height
    assert events_of(response, "loan_defaulted") == [{"loan_id": str(loan_id), "reason": "arrears"}]
    loan = world.loan(loan_id)
    assert loan["state"] == "defaulted" and loan["closed_height"] == height
    assert world.balance(BORROWER, "GOLD") == (GOLD_HELD - COLLATERAL, 0)
    assert world.balance(LENDER, "GOLD") == (lender_gold[0] + COLLATERAL, 0)
    (pledge,) = world.escrows(loan_id)
    assert pledge["status"] == "released" and pledge["closed_height"] == height
    assert events_of(response, "escrow_released")[0]["by"] == "lending"


def test_arrears_cured_by_repayment_within_grace(world):
    loan_id = world.originate(grace_s=5)
    loan = world.loan(loan_id)
    t1 = loan["instalments"][0]["due_time"]
    cash = world.balance(BORROWER)[0]
    world.ok(BORROWER, b.transfer((A[OTHER], "CNY", cash)))
    world.at(t1)
    due = PRINCIPAL // 2 + interest(PRINCIPAL, (t1 - loan["start_time"]) // S)
    world.ok(OTHER, b.transfer((A[BORROWER], "CNY", due)))
    result = world.ok(BORROWER, lb.repay(loan_id, "CNY", due))
    assert events_of(result, "arrears_cured") == [{"loan_id": str(loan_id)}]
    loan = world.loan(loan_id)
    assert loan["state"] == "active" and loan.get("grace_deadline", 0) == 0
    world.at(t1 + 5 * S)
    assert world.loan(loan_id)["state"] == "active"


def test_grace_deadline_collects_if_cash_arrived(world):
    loan_id = world.originate(grace_s=5)
    loan = world.loan(loan_id)
    t1 = loan["instalments"][0]["due_time"]
    cash = world.balance(BORROWER)[0]
    world.ok(BORROWER, b.transfer((A[OTHER], "CNY", cash)))
    world.at(t1)
    world.ok(OTHER, b.transfer((A[BORROWER], "CNY", cash)))
    response = world.at(t1 + 5 * S)
    assert len(events_of(response, "instalment_paid")) == 1
    assert world.loan(loan_id)["state"] == "active"


# -- margin calls ---------------------------------------------------------------------------------


def test_margin_call_on_a_price_then_default_at_its_deadline_exactly(world):
    loan_id = world.originate(margin_cure_s=10)
    # LTV 50% at 100_000; at 62_000 it is 1e12 / (2e7 x 62_000) = 80.6%: above the 80% threshold
    result = world.price(63_000)
    assert events_of(result, "margin_call") == []
    before = world.loan(loan_id)
    result = world.price(62_000)
    called_at, called_height = world.now, world.app.height
    assert before["state"] == "active"  # the call takes effect in the price's block
    (call,) = events_of(result, "margin_call")
    assert call["loan_id"] == str(loan_id) and call["deadline"] == str(called_at + 10 * S)
    loan = world.loan(loan_id)
    assert loan["state"] == "margin_call" and loan["margin_deadline"] == called_at + 10 * S
    ltv = world.query("ltv", loan_id=loan_id, time_ns=called_at)
    assert ltv["above_margin_call"] is True and ltv["ltv_bps"] >= 8_000
    world.at(called_at + 10 * S - 1)
    assert world.loan(loan_id)["state"] == "margin_call"
    response = world.at(called_at + 10 * S)
    assert events_of(response, "loan_defaulted") == [
        {"loan_id": str(loan_id), "reason": "margin_call"}
    ]
    assert world.loan(loan_id)["state"] == "defaulted"
    assert world.loan(loan_id)["closed_height"] == world.app.height == called_height + 2
    assert world.balance(LENDER, "GOLD") == (COLLATERAL, 0)
    assert world.balance(BORROWER, "GOLD") == (GOLD_HELD - COLLATERAL, 0)


def test_margin_call_cured_by_collateral_top_up(world):
    loan_id = world.originate(margin_cure_s=10)
    world.price(62_000)
    called_at = world.now
    # back within the 60% initial limit: collateral x 62 >= owed / 0.6
    not_enough = world.ok(BORROWER, lb.add_collateral(loan_id, 1_000_000))
    assert events_of(not_enough, "margin_call_cured") == []
    result = world.ok(BORROWER, lb.add_collateral(loan_id, 7_000_000))
    assert events_of(result, "margin_call_cured") == [{"loan_id": str(loan_id)}]
    assert world.balance(BORROWER, "GOLD") == (GOLD_HELD, COLLATERAL + 8_000_000)
    # each pledge is its own escrow; the loan-to-value counts their total
    (added,) = events_of(result, "collateral_added")
    assert added["total"] == str(COLLATERAL + 8_000_000)
    pledges = world.escrows(loan_id)
    assert [int(p["amount"]) for p in pledges] == [COLLATERAL, 1_000_000, 7_000_000]
    assert int(added["escrow_id"]) == pledges[-1]["id"]
    assert {p["status"] for p in pledges} == {"open"}
    assert world.locked(BORROWER) == COLLATERAL + 8_000_000
    assert world.query("ltv", loan_id=loan_id)["collateral"] == str(COLLATERAL + 8_000_000)
    world.at(called_at + 10 * S)
    assert world.loan(loan_id)["state"] == "active"


def test_default_releases_every_pledge_to_the_lender(world):
    loan_id = world.originate(margin_cure_s=10)
    world.ok(BORROWER, lb.add_collateral(loan_id, 1_000_000))
    world.price(50_000)  # 1e12 / (2.1e7 x 5e4) = 95%: margin call
    response = world.at(world.now + 10 * S)
    assert world.loan(loan_id)["state"] == "defaulted"
    released = events_of(response, "escrow_released")
    assert [e["amount"] for e in released] == [str(COLLATERAL), "1000000"]
    assert {p["status"] for p in world.escrows(loan_id)} == {"released"}
    assert world.balance(LENDER, "GOLD") == (COLLATERAL + 1_000_000, 0)
    assert world.balance(BORROWER, "GOLD") == (GOLD_HELD - COLLATERAL - 1_000_000, 0)
    assert world.locked(BORROWER) == 0


def test_repayment_refunds_every_pledge(world):
    loan_id = world.originate()
    world.ok(BORROWER, lb.add_collateral(loan_id, 3_000_000))
    owed = int(world.query("loan", loan_id=loan_id, time_ns=world.now + BLOCK_NS)["owed"])
    result = world.ok(BORROWER, lb.repay(loan_id, "CNY", owed))
    assert [e["amount"] for e in events_of(result, "escrow_refunded")] == [
        str(COLLATERAL),
        "3000000",
    ]
    assert {p["status"] for p in world.escrows(loan_id)} == {"refunded"}
    assert world.balance(BORROWER, "GOLD") == (GOLD_HELD, 0)


def test_collateral_escrows_cannot_be_settled_by_transactions(world):
    loan_id = world.originate()
    (escrow_id,) = world.loan(loan_id)["collateral_escrows"]
    for who, msg in (
        (LENDER, esb.release(escrow_id)),
        (BORROWER, esb.refund(escrow_id)),
        (BORROWER, esb.cancel(escrow_id)),
        (LENDER, esb.cancel(escrow_id)),
        (LENDER, esb.approve(escrow_id)),
    ):
        refused(world, who, msg, ErrControlled)
    assert world.escrows(loan_id)[0]["status"] == "open"


def test_default_of_a_frozen_borrower_waits_for_the_freeze_to_lift(world):
    """A regulator's freeze of the borrower's account stops the release (escrow:22): the
    loan defaults, the collateral stays locked for the lender, and the release goes
    through in the first block after the freeze is lifted."""
    loan_id = world.originate(margin_cure_s=10)
    world.price(50_000)
    status = "testonly/set_status"
    world.ok(OTHER, RawMsg(status, {"account": A[BORROWER], "status": "frozen"}))
    response = world.at(world.now + 10 * S)
    assert world.loan(loan_id)["state"] == "defaulted"
    (blocked,) = events_of(response, "collateral_release_blocked")
    assert blocked["loan_id"] == str(loan_id) and "frozen" in blocked["reason"]
    assert world.loan(loan_id)["release_pending"] is True
    assert world.escrows(loan_id)[0]["status"] == "open"
    assert world.balance(BORROWER, "GOLD") == (GOLD_HELD, COLLATERAL)
    again = world.gov.block()  # retried, still frozen: no new event
    assert events_of(again, "collateral_release_blocked") == []
    assert world.app.check_invariants() == []
    # the lender keeps its account open until it has the collateral
    reader = SimpleNamespace(store=world.app.state)
    with pytest.raises(FinchainError) as caught:
        world.app.lending.assert_can_close(reader, A[LENDER])
    assert (caught.value.codespace, caught.value.code) == code(ErrOpenLoans)
    world.ok(OTHER, RawMsg(status, {"account": A[BORROWER], "status": "active"}))
    loan = world.loan(loan_id)
    assert loan.get("release_pending", False) is False
    assert world.escrows(loan_id)[0]["status"] == "released"
    assert world.balance(LENDER, "GOLD") == (COLLATERAL, 0)
    assert world.balance(BORROWER, "GOLD") == (GOLD_HELD - COLLATERAL, 0)
    assert list(world.app.lending.wake_entries(world.app.state)) == []
    world.app.lending.assert_can_close(reader, A[LENDER])


def test_margin_call_cured_by_repayment(world):
    loan_id = world.originate(margin_cure_s=10)
    world.price(62_000)
    result = world.ok(BORROWER, lb.repay(loan_id, "CNY", PRINCIPAL // 2))
    assert events_of(result, "margin_call_cured") == [{"loan_id": str(loan_id)}]
    assert world.loan(loan_id)["state"] == "active"


def test_margin_call_cured_by_a_price_recovery(world):
    loan_id = world.originate(margin_cure_s=10)
    world.price(62_000)
    result = world.price(90_000)
    assert events_of(result, "margin_call_cured") == [{"loan_id": str(loan_id)}]


# -- refusals -------------------------------------------------------------------------------------


def refused(world: Lending, who: int, msg: RawMsg, error: ErrorCode) -> TxResult:
    """``msg`` by ``who`` fails with ``error`` and leaves lending and bank state as it was."""
    before = world.state()
    result = world.send(who, msg)
    assert (result.codespace, result.code) == code(error), result.log
    assert world.state() == before
    assert result.log
    return result


def _offer(world: Lending, **terms: Any) -> RawMsg:
    args: dict[str, Any] = {
        "rate_bps": RATE,
        "due_times": [world.now + 20 * S],
        "collateral_asset": "GOLD",
        "collateral": COLLATERAL,
        "max_ltv_bps": 6_000,
        "margin_ltv_bps": 8_000,
        "margin_cure_s": 10,
        "grace_s": 5,
    }
    args.update(terms)
    return lb.offer(A[BORROWER], "CNY", PRINCIPAL, **args)


def test_accept_by_someone_else_is_refused(world):
    loan_id = world.offer()
    refused(world, OTHER, lb.accept(loan_id), ErrNotBorrower)
    refused(world, LENDER, lb.accept(loan_id), ErrNotBorrower)


def test_ltv_above_the_initial_limit_at_origination_is_refused(world):
    loan_id = world.offer(collateral=16_000_000)  # 1e12 / 1.6e9 = 62.5% > 60%
    refused(world, BORROWER, lb.accept(loan_id), ErrLtvAboveLimit)
    ok_id = world.offer(collateral=16_666_667)  # 59.99…%
    world.ok(BORROWER, lb.accept(ok_id))


def test_insufficient_collateral_is_refused(world):
    loan_id = world.offer(collateral=GOLD_HELD + 1)
    refused(world, BORROWER, lb.accept(loan_id), ErrInsufficientCollateral)


def test_accept_without_a_fresh_price_is_refused(world):
    loan_id = world.offer(due_times=[world.now + 2 * MAX_AGE_S * S])
    world.at(world.now + MAX_AGE_S * S + S)
    refused(world, BORROWER, lb.accept(loan_id), ErrStalePrice)


def test_accept_without_any_price_is_refused(world):
    world.ok(1, b.create_asset("SILVER", "Silver", 0))
    world.ok(1, b.mint("SILVER", A[BORROWER], GOLD_HELD))
    loan_id = world.offer(collateral_asset="SILVER")
    refused(world, BORROWER, lb.accept(loan_id), ErrNoPrice)


def test_price_posts_by_non_oracle_stale_or_zero_are_refused(world):
    now = world.now + BLOCK_NS
    refused(world, OTHER, lb.post_price("GOLD", "CNY", 90, 1, world.now + BLOCK_NS), ErrNotOracle)
    refused(world, ORACLE, lb.post_price("GOLD", "CNY", 0, 1, world.now + BLOCK_NS), ErrBadPrice)
    refused(world, ORACLE, lb.post_price("GOLD", "CNY", 1, 0, world.now + BLOCK_NS), ErrBadPrice)
    stale = world.now + BLOCK_NS - MAX_AGE_S * S - 1
    refused(world, ORACLE, lb.post_price("GOLD", "CNY", 90, 1, stale), ErrStalePrice)
    future = world.now + 2 * BLOCK_NS
    refused(world, ORACLE, lb.post_price("GOLD", "CNY", 90, 1, future), ErrBadPrice)
    current = world.query("price", asset="GOLD", quote="CNY")["price"]["observed_at"]
    refused(world, ORACLE, lb.post_price("GOLD", "CNY", 90, 1, current - 1), ErrStalePrice)
    assert now < world.now


def test_repay_more_than_owed_and_unknown_loans_are_refused(world):
    loan_id = world.originate()
    refused(world, BORROWER, lb.repay(loan_id, "CNY", 2 * PRINCIPAL), ErrRepayTooMuch)
    refused(world, BORROWER, lb.repay(999, "CNY", 1), ErrUnknownLoan)
    refused(world, BORROWER, lb.accept(999), ErrUnknownLoan)
    refused(world, LENDER, lb.cancel(999), ErrUnknownLoan)
    refused(world, BORROWER, lb.add_collateral(999, 1), ErrUnknownLoan)
    refused(world, OTHER, lb.repay(loan_id, "CNY", 1), ErrNotBorrower)
    refused(world, BORROWER, lb.repay(loan_id, "GOLD", 1), ErrBadTerms)
    refused(world, BORROWER, lb.add_collateral(loan_id, GOLD_HELD), ErrInsufficientCollateral)
    assert world.escrows(loan_id)[0]["amount"] == str(COLLATERAL)
    assert world.query("loan", loan_id=loan_id)["state"] == "active"


def test_replay_of_a_closed_loan_is_refused(world):
    loan_id = world.originate()
    world.ok(BORROWER, lb.repay(loan_id, "CNY", 1))
    owed = int(world.query("loan", loan_id=loan_id, time_ns=world.now + BLOCK_NS)["owed"])
    world.ok(BORROWER, lb.repay(loan_id, "CNY", owed))
    refused(world, BORROWER, lb.repay(loan_id, "CNY", 1), ErrLoanState)
    refused(world, BORROWER, lb.accept(loan_id), ErrLoanState)
    refused(world, BORROWER, lb.add_collateral(loan_id, 1), ErrLoanState)


@pytest.mark.parametrize(
    ("terms", "error"),
    [
        ({"rate_bps": 10_001}, ErrRateOutOfRange),
        ({"due_times": []}, ErrBadSchedule),
        ({"due_times": "decreasing"}, ErrBadSchedule),
        ({"due_times": "repeated"}, ErrBadSchedule),
        ({"due_times": "past"}, ErrBadSchedule),
        ({"max_ltv_bps": 8_000}, ErrBadTerms),
        ({"margin_ltv_bps": 10_001}, ErrBadTerms),
        ({"max_ltv_bps": 0}, ErrBadTerms),
        ({"collateral_asset": "CNY"}, ErrBadTerms),
        ({"collateral_asset": "NOPE"}, ErrBadTerms),
        ({"grace_s": 11 * 365 * 86_400}, ErrBadTerms),
    ],
)
def test_bad_terms_are_refused(world, terms, error):
    now = world.now
    times: dict[str, Sequence[int]] = {
        "decreasing": [now + 30 * S, now + 20 * S],
        "repeated": [now + 20 * S, now + 20 * S],
        "past": [now],
    }
    if isinstance(terms.get("due_times"), str):
        terms = {**terms, "due_times": times[terms["due_times"]]}
    refused(world, LENDER, _offer(world, **terms), error)


def test_offer_to_oneself_is_refused(world):
    msg = lb.offer(
        A[LENDER],
        "CNY",
        PRINCIPAL,
        rate_bps=RATE,
        due_times=[world.now + 20 * S],
        collateral_asset="GOLD",
        collateral=COLLATERAL,
        max_ltv_bps=6_000,
        margin_ltv_bps=8_000,
        margin_cure_s=10,
        grace_s=5,
    )
    refused(world, LENDER, msg, ErrBadTerms)


def test_a_party_to_an_open_loan_cannot_close_its_account(world):
    """Account 5 (not a governance member) lends all its cash, so only the loan holds it."""
    cash = world.balance(ORACLE)[0]
    result = world.ok(
        ORACLE,
        lb.offer(
            A[BORROWER], "CNY", cash, rate_bps=0, due_times=[world.now + 20 * S],
            collateral_asset="GOLD", collateral=1_000, max_ltv_bps=6_000,
            margin_ltv_bps=8_000, margin_cure_s=10, grace_s=5,
        ),
    )  # fmt: skip
    loan_id = int(events_of(result, "loan_offered")[0]["loan_id"])
    world.ok(BORROWER, lb.accept(loan_id))
    assert world.app.bank.balances(world.app.state, A[ORACLE]) == {}
    refused(world, ORACLE, b.close_account(), ErrOpenLoans)
    world.ok(BORROWER, lb.repay(loan_id, "CNY", cash))
    world.ok(ORACLE, b.transfer((A[OTHER], "CNY", cash)))
    world.ok(ORACLE, b.close_account())


# -- genesis --------------------------------------------------------------------------------------


def test_export_then_import_keeps_every_loan_and_its_collateral(world, tmp_path):
    world.originate()
    world.offer()
    called = world.originate(collateral=16_666_667)
    world.price(70_000)  # loan 3 above 80%: margin call
    assert world.loan(called)["state"] == "margin_call"
    exported = world.app.export()
    assert {"next_id", "oracle", "prices", "loans"} <= exported.app_state["lending"].keys()
    target = with_test_module(tmp_path / "target")
    assert len(exported.app_state["escrow"]["escrows"]) == 2
    target.init_chain(exported)
    source_entries = dict(world.app.state.iterate(b""))
    target_entries = dict(target.state.iterate(b""))
    for prefix in (b"lending/", b"escrow/", b"bank/"):
        mine = {k: v for k, v in source_entries.items() if k.startswith(prefix)}
        theirs = {k: v for k, v in target_entries.items() if k.startswith(prefix)}
        assert mine == theirs
    assert target.check_invariants() == []
    assert target.export().app_state["lending"] == exported.app_state["lending"]
    assert target.export().app_state["escrow"] == exported.app_state["escrow"]
    target.close()


def test_genesis_refuses_a_loan_whose_collateral_escrow_is_missing(world, tmp_path):
    world.originate()
    exported = world.app.export()
    escrows = exported.app_state["escrow"]["escrows"]
    assert [e["controller"] for e in escrows] == ["lending"]
    exported.app_state["escrow"]["escrows"] = []
    for entry in exported.app_state["bank"]["balances"]:
        entry.pop("frozen", None)
    target = with_test_module(tmp_path / "target")
    with pytest.raises(FinchainError) as caught:
        target.init_chain(exported)
    assert "lending/collateral-escrowed" in caught.value.message
    target.close()


def test_genesis_refuses_an_escrow_that_does_not_hold_the_collateral(world, tmp_path):
    loan_id = world.originate()
    exported = world.app.export()
    (entry,) = [x for x in exported.app_state["lending"]["loans"] if x["id"] == loan_id]
    entry["collateral"] = str(COLLATERAL - 1)
    target = with_test_module(tmp_path / "target")
    with pytest.raises(FinchainError) as caught:
        target.init_chain(exported)
    assert "lending/collateral-escrowed" in caught.value.message
    target.close()


def test_top_ups_are_bounded(world, monkeypatch):
    monkeypatch.setattr(lending_keeper, "MAX_COLLATERAL_ESCROWS", 2)
    loan_id = world.originate()
    world.ok(BORROWER, lb.add_collateral(loan_id, 1))
    refused(world, BORROWER, lb.add_collateral(loan_id, 1), ErrTooManyPledges)


def test_default_genesis_is_empty():
    assert LendingModule.default_genesis(LendingModule.__new__(LendingModule)) == {}


def test_no_interest_after_maturity_and_arrears_then_close(world):
    loan_id = world.originate(grace_s=30)
    t2 = world.loan(loan_id)["instalments"][1]["due_time"]
    world.at(world.loan(loan_id)["instalments"][0]["due_time"])
    cash = world.balance(BORROWER)[0]
    world.ok(BORROWER, b.transfer((A[OTHER], "CNY", cash)))
    world.at(t2)
    assert world.loan(loan_id)["state"] == "in_arrears"
    arrears = sum(
        int(r["principal_due"]) + int(r["interest_due"])
        for r in world.query("schedule", loan_id=loan_id)["instalments"]
        if r["state"] == "overdue"
    )
    world.at(t2 + 10 * S)
    assert world.query("loan", loan_id=loan_id, time_ns=t2 + 20 * S)["owed"] == str(arrears)
    world.ok(OTHER, b.transfer((A[BORROWER], "CNY", arrears)))
    world.ok(BORROWER, lb.repay(loan_id, "CNY", arrears))
    assert world.loan(loan_id)["state"] == "repaid"
    assert world.balance(BORROWER, "GOLD") == (GOLD_HELD, 0)


def test_offer_and_repay_declare_the_cash_they_move_for_multi_factor_rules():
    offer = MsgOffer.from_value(
        lb.offer(
            A[BORROWER], "CNY", 500, rate_bps=1, due_times=[1], collateral_asset="GOLD",
            collateral=1, max_ltv_bps=1, margin_ltv_bps=2, margin_cure_s=0, grace_s=0,
        ).value
    )  # fmt: skip
    assert offer.sensitive_operations() == (Operation(TRANSFER, "CNY", 500),)
    repay = MsgRepay.from_value(lb.repay(7, "CNY", 42).value)
    assert repay.sensitive_operations() == (Operation(TRANSFER, "CNY", 42),)


def test_loans_of_an_account_are_listed_in_pages(world):
    ids = [world.offer() for _ in range(3)]
    first = world.query("loans", account=A[BORROWER], limit="2")
    assert [x["id"] for x in first["loans"]] == ids[:2] and first["next_cursor"] == str(ids[1])
    rest = world.query("loans", account=A[BORROWER], limit="2", cursor=first["next_cursor"])
    assert [x["id"] for x in rest["loans"]] == ids[2:] and rest["next_cursor"] is None
    assert world.query("loans", account=A[OTHER]) == {
        "account": A[OTHER],
        "next_cursor": None,
        "loans": [],
    }
