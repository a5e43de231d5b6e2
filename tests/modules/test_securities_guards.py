"""Securities: the guards a review asked for. A call accrues forward only; dates stay
within what a block time can hold; a frozen issuer does not pay and a frozen holder's
bonds are not swept; a share that cannot be delivered is not part of what the issuer
must have."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from finchain.client import builders as b
from finchain.client import securities_builders as sb
from finchain.codec import MAX_AMOUNT, RawMsg
from finchain.core.authority import AccountStatus
from finchain.errors import ErrorCode
from finchain.modules.securities import errors as se
from finchain.modules.securities.keeper import SecuritiesKeeper
from finchain.modules.securities.types import coupon_amount
from tests.modules.securities_world import A2, A3, A4, AGENT, ISIN, ISSUER, Market, bond, events_of


@pytest.fixture
def market(tmp_path: Path) -> Market:
    return Market(tmp_path / "db")


def refused(result: Any, error: ErrorCode) -> None:
    assert (result.codespace, result.code) == (error.codespace, error.code), result.log
    assert result.events == ()


def set_status(market: Market, account: str, status: str) -> None:
    assert market.send(4, RawMsg("testonly/set_status", {"account": account, "status": status})).ok


# -- 1. a call never accrues backwards --------------------------------------------------------


@pytest.mark.parametrize("call_date", ["2026-02-10", "2026-06-01"])
def test_a_call_on_or_before_the_issue_date_is_refused(market: Market, call_date: str) -> None:
    market.on("2026-01-02")
    assert market.send(1, bond(issue_date="2026-06-01")).ok
    assert market.send(1, sb.issue(ISIN, A2, 1_000)).ok
    before = market.query("securities/schedule", isin=ISIN)
    refused(market.send(1, sb.call(ISIN, call_date, 1)), se.ErrCallBeforeStart)
    assert market.query("securities/schedule", isin=ISIN) == before
    assert market.query("securities/security", isin=ISIN)["security"]["status"] == "active"


def test_a_call_the_day_after_the_issue_date_accrues_one_day(market: Market) -> None:
    market.on("2026-01-02")
    assert market.send(1, bond(issue_date="2026-06-01")).ok
    assert market.send(1, sb.issue(ISIN, A2, 1_000)).ok
    assert market.send(1, sb.call(ISIN, "2026-06-02", 10_000)).ok
    before = market.cash(A2)
    market.on("2026-06-02")
    # 1,000 × 10,000 × 325 × 1 / (10,000 × 365) = 890.41… → 890, plus the price
    assert market.cash(A2) - before == 890 + 1_000 * 10_000
    assert market.app.check_invariants() == []


def test_a_negative_period_or_quantity_raises_instead_of_paying() -> None:
    with pytest.raises(ValueError):
        coupon_amount(1, 10_000, 325, (-1, 365))
    with pytest.raises(ValueError):
        coupon_amount(-1, 10_000, 325, (1, 365))
    assert coupon_amount(1, 10_000, 325, (0, 365)) == 0


# -- 2. dates a block time can hold -----------------------------------------------------------


@pytest.mark.parametrize(
    "terms",
    [
        {"maturity_date": "2300-01-15"},
        {"maturity_date": "9999-01-15"},
        {"maturity_date": "2201-01-01"},
        {"issue_date": "1969-12-31"},
        {"coupon_dates": ["2027-01-15", "2262-05-01"], "maturity_date": "2262-06-01"},
    ],
)
def test_dates_outside_1970_to_2200_are_refused(market: Market, terms: dict[str, Any]) -> None:
    refused(market.send(1, bond(**terms)), se.ErrDateOutOfRange)
    assert market.app.securities.get(market.app.state, ISIN) is None


def test_the_last_accepted_date_schedules_reads_exports_and_issues(market: Market) -> None:
    assert market.send(1, bond(maturity_date="2200-12-31")).ok
    assert market.send(1, sb.issue(ISIN, A2, 5)).ok
    payments = market.query("securities/schedule", isin=ISIN)["payments"]
    assert payments[-1]["pay_date"] == "2200-12-31"
    assert market.app.export().app_state["securities"]["securities"][0]["payments"]
    refused(market.send(1, sb.call(ISIN, "2300-01-01", 1)), se.ErrDateOutOfRange)
    assert market.app.check_invariants() == []


# -- 3b. frozen issuer, frozen holder ---------------------------------------------------------


def test_a_frozen_issuer_does_not_pay_the_coupon_it_defaults(market: Market) -> None:
    assert market.send(1, bond()).ok
    assert market.send(1, sb.issue(ISIN, A2, 7)).ok
    set_status(market, ISSUER, "frozen")
    before = {a: market.cash(a) for a in (ISSUER, A2, AGENT)}
    response = market.on("2027-01-15")
    [failed] = events_of(response, "payment_defaulted")
    assert failed["reason"] == "issuer_frozen" and failed["due"] == "2275"
    assert events_of(response, "transfer") == []
    assert {a: market.cash(a) for a in before} == before
    assert market.query("securities/schedule", isin=ISIN)["payments"][0]["status"] == "defaulted"
    assert market.app.check_invariants() == []


def test_a_frozen_holder_is_paid_but_its_bonds_are_not_swept_at_redemption(
    market: Market,
) -> None:
    assert market.send(1, bond(coupon_bps=0, coupon_dates=[])).ok
    assert market.send(1, sb.issue(ISIN, A2, 7), sb.issue(ISIN, A3, 3)).ok
    set_status(market, A2, "frozen")
    before = market.cash(A2)
    response = market.on("2029-01-15")
    assert market.cash(A2) - before == 7 * 10_000  # a frozen account may receive
    assert market.bonds(A2) == 7 and market.bonds(A3) == 0
    [retired] = events_of(response, "security_retired")
    assert (retired["burned"], retired["remaining"]) == ("3", "7")
    assert market.query("bank/asset", asset=ISIN)["supply"] == "7"
    assert market.query("securities/security", isin=ISIN)["security"]["status"] == "redeemed"
    assert market.app.check_invariants() == []


# -- 5. undeliverable shares ------------------------------------------------------------------


def test_an_issuer_with_cash_for_the_deliverable_shares_only_pays(market: Market) -> None:
    assert market.send(1, bond(coupon_bps=0, coupon_dates=[])).ok
    assert market.send(1, sb.issue(ISIN, A2, 10), sb.issue(ISIN, A3, 5)).ok
    market.on("2029-01-14")  # record date: A2 10, A3 5; then A3 leaves the chain
    cash = market.cash(A3)
    close = (b.transfer((A4, ISIN, 5), (A4, "CNY", cash)), b.close_account())
    assert market.send(3, *close).ok
    spare = market.cash(ISSUER) - 10 * 10_000
    assert market.send(1, b.transfer((A4, "CNY", spare))).ok  # exactly A2's share left
    before = market.cash(A2)
    response = market.on("2029-01-15")
    assert events_of(response, "payment_defaulted") == []
    assert events_of(response, "payment_undelivered") == [
        {"isin": ISIN, "payment": "0", "holder": A3, "amount": "50000", "reason": "holder_closed"}
    ]
    assert market.cash(A2) - before == 100_000 and market.cash(ISSUER) == 0
    last = market.query("securities/schedule", isin=ISIN)["payments"][-1]
    assert (last["status"], last["total"]) == ("paid", "150000")
    assert market.app.check_invariants() == []


class _NearlyFullBank:
    """A balance read only: ``full`` holds 2^127 - 10 of the cash asset, others nothing."""

    def __init__(self, full: str) -> None:
        self.full = full

    def balance(self, reader: object, account: str, symbol: str) -> int:
        return MAX_AMOUNT - 10 if account == self.full else 0


class _Active:
    def status(self, reader: object, account: str) -> AccountStatus:
        return AccountStatus.ACTIVE


def test_a_share_that_would_overflow_a_balance_stays_with_the_issuer(market: Market) -> None:
    """Unreachable through today's bank (an asset's supply is at most 2^127 - 1, so a
    holder's balance plus the issuer's cash never passes it): the plan is checked directly."""
    assert market.send(1, bond()).ok
    security = market.app.securities.require(market.app.state, ISIN)
    keeper = SecuritiesKeeper(_NearlyFullBank(A2), _Active())  # type: ignore[arg-type]
    plan = keeper._plan(market.app.state, security, [(A2, 11), (A3, 5), (AGENT, 1), (A2, 0)])
    assert plan == [(A2, 11, "balance_overflow"), (A3, 5, ""), (AGENT, 1, "")]
    # two shares to one account (a holder that is also the remainder account) add up
    plan = keeper._plan(market.app.state, security, [(A2, 6), (A2, 5)])
    assert plan == [(A2, 6, ""), (A2, 5, "balance_overflow")]
