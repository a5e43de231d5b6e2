"""Securities: ISIN and day counts, a bond's life (coupons to holders of record, redemption,
early call), rounding against an independent ``decimal`` computation, defaults, bad input."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal, localcontext
from pathlib import Path

import pytest

from finchain.client import builders as b
from finchain.client import securities_builders as sb
from finchain.errors import ErrorCode
from finchain.modules.accounts.types import account_id
from finchain.modules.securities import errors as se
from finchain.modules.securities.types import (
    day_count_fraction,
    is_valid_isin,
    isin_check_digit,
    thirty_360_days,
)
from tests.modules.securities_world import (
    A2,
    A3,
    A4,
    AGENT,
    ISIN,
    ISSUER,
    Market,
    bond,
    events_of,
)
from tests.testmodule import with_test_module

# Published ISINs (issuers' and exchanges' own listings).
REAL_ISINS = [
    "US0378331005",  # Apple Inc.
    "US5949181045",  # Microsoft Corp.
    "GB0002634946",  # BAE Systems plc
    "DE0007164600",  # SAP SE
    "AU0000XVGZA3",  # Treasury Corporation of Victoria (letters inside the body)
    "JP3633400001",  # Toyota Motor Corp.
    "CNE100000296",  # BYD Co. Ltd. (H shares)
]


@pytest.mark.parametrize("isin", REAL_ISINS)
def test_published_isins_are_valid_and_any_other_check_digit_is_not(isin: str) -> None:
    assert is_valid_isin(isin)
    assert isin_check_digit(isin[:11]) == int(isin[11])
    for wrong in set("0123456789") - {isin[11]}:
        assert not is_valid_isin(isin[:11] + wrong)


@pytest.mark.parametrize(
    "text", ["us0378331005", "US037833100", "US03783310055", "1S0378331005", "US037833100A", ""]
)
def test_malformed_isins_are_refused(text: str) -> None:
    assert not is_valid_isin(text)


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2026-01-15", "2026-07-15", 180),  # plain half year
        ("2026-01-31", "2026-02-28", 28),  # D1 = 31 -> 30; D2 = 28 stays
        ("2026-02-28", "2026-03-31", 33),  # D1 = 28 (end of Feb is no special case): D2 stays 31
        ("2026-03-31", "2026-04-30", 30),  # D1 31 -> 30
        ("2026-03-30", "2026-05-31", 60),  # D1 = 30, so D2 = 31 -> 30
        ("2026-03-31", "2026-05-31", 60),  # both 31
        ("2028-02-29", "2028-08-31", 182),  # leap-year end of February: D1 = 29 stays, D2 stays 31
        ("2026-12-31", "2027-12-31", 360),
    ],
)
def test_thirty_360_bond_basis_edge_cases(start: str, end: str, days: int) -> None:
    assert thirty_360_days(d(start), d(end)) == days
    assert day_count_fraction("30/360", d(start), d(end)) == (days, 360)


def test_actual_day_counts_use_calendar_days_and_their_basis() -> None:
    assert day_count_fraction("ACT/360", d("2028-01-15"), d("2029-01-15")) == (366, 360)
    assert day_count_fraction("ACT/365F", d("2028-01-15"), d("2029-01-15")) == (366, 365)
    assert day_count_fraction("ACT/365F", d("2026-02-28"), d("2026-03-31")) == (31, 365)


@pytest.fixture
def market(tmp_path: Path) -> Market:
    return Market(tmp_path / "db")


def test_a_bond_pays_its_holders_of_record_and_is_redeemed_and_burned(market: Market) -> None:
    assert market.send(1, bond()).ok
    assert market.send(1, sb.issue(ISIN, A2, 7), sb.issue(ISIN, A3, 13)).ok
    security = market.query("securities/security", isin=ISIN)["security"]
    assert (security["issuer"], security["status"], security["payments"]) == (ISSUER, "active", 3)
    assert market.query("bank/asset", asset=ISIN)["supply"] == "20"
    before = {a: market.cash(a) for a in (ISSUER, A2, A3, A4)}

    # A2 sells 3 bonds to A4 after the record date: A2 is still paid the coupon on them
    recorded = market.on("2027-01-14")
    assert events_of(recorded, "holders_recorded")[0]["outstanding"] == "20"
    assert market.send(2, b.transfer((A4, ISIN, 3))).ok
    market.on("2027-01-15")
    schedule = market.query("securities/schedule", isin=ISIN)["payments"]
    assert schedule[0]["status"] == "paid" and schedule[1]["status"] == "scheduled"
    coupon = 10_000 * 325 * 365 // (10_000 * 365)  # 2026-01-15 -> 2027-01-15 is 365 days
    assert market.cash(A2) - before[A2] == 7 * coupon
    assert market.cash(A3) - before[A3] == 13 * coupon
    assert market.cash(A4) == before[A4]
    snapshot = market.query("securities/holders_of_record", isin=ISIN, payment=0)
    assert [(h["account"], h["quantity"]) for h in snapshot["holders"]] == sorted(
        [(A2, "7"), (A3, "13")]
    )

    market.on("2028-01-15")  # record and payment in one block: A4 now a holder of record
    assert market.cash(A4) - before[A4] == 3 * coupon
    market.on("2029-01-15")
    last = market.query("securities/schedule", isin=ISIN)["payments"][2]
    assert last["kind"] == "redemption" and last["status"] == "paid"
    # 2028 is a leap year (366 days); the holding's coupon is rounded once, not per bond
    final = 3 * 10_000 + 3 * 10_000 * 325 * 366 // 3_650_000
    assert final == 30_977 and 3 * (10_000 + 10_000 * 325 * 366 // 3_650_000) == 30_975
    assert market.cash(A4) - before[A4] == 3 * coupon + final
    assert market.query("bank/asset", asset=ISIN)["supply"] == "0"
    assert [market.bonds(a) for a in (ISSUER, A2, A3, A4)] == [0, 0, 0, 0]
    assert market.query("securities/security", isin=ISIN)["security"]["status"] == "redeemed"
    paid_out = sum(market.cash(a) - before[a] for a in (A2, A3, A4))
    assert before[ISSUER] - market.cash(ISSUER) == paid_out + market.cash(AGENT) - 10**12
    assert market.app.check_invariants() == []


def _decimal_owed(quantity: int, face: int, bps: int, days: int, basis: int) -> int:
    """The payment to ``quantity`` bonds computed independently: exact decimal, cut to the unit."""
    with localcontext() as c:
        c.prec = 80
        value = Decimal(quantity) * Decimal(face) * (Decimal(bps) / Decimal(10_000))
        value = value * Decimal(days) / Decimal(basis)
        return int(value.quantize(Decimal(1), rounding=ROUND_DOWN))


def _accrual_days(convention: str, start: date, end: date) -> tuple[int, int]:
    """Written out again here from the conventions' definitions (not the module's code)."""
    if convention == "30/360":
        d1 = min(start.day, 30)
        d2 = 30 if (end.day == 31 and d1 == 30) else end.day
        return (end.year - start.year) * 360 + (end.month - start.month) * 30 + d2 - d1, 360
    return (end - start).days, 360 if convention == "ACT/360" else 365


@pytest.mark.parametrize("convention", ["ACT/360", "ACT/365F", "30/360"])
def test_five_years_of_semiannual_coupons_match_an_independent_decimal_computation(
    market: Market, convention: str
) -> None:
    face, bps = 10_037, 337  # odd numbers so that every payment rounds
    dates = []
    day = date(2026, 8, 31)
    for _ in range(10):  # end-of-month dates: 31 Aug, 28/29 Feb
        dates.append(day)
        month = day.month + 6
        nxt = date(day.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        day = (nxt.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    msg = bond(
        face_value=face,
        coupon_bps=bps,
        day_count=convention,
        issue_date="2026-02-28",
        maturity_date=dates[-1].isoformat(),
        coupon_dates=[x.isoformat() for x in dates[:-1]],
        record_days=3,
    )
    assert market.send(1, msg).ok
    holdings = {A2: 7, A3: 13, A4: 101}
    assert market.send(1, *(sb.issue(ISIN, a, q) for a, q in holdings.items())).ok
    start_cash = {a: market.cash(a) for a in (*holdings, AGENT, ISSUER)}
    expected = {a: 0 for a in holdings}
    expected_remainder = 0
    start = date(2026, 2, 28)
    for pay in dates:
        market.on(pay.isoformat())
        days, basis = _accrual_days(convention, start, pay)
        principal = face if pay == dates[-1] else 0
        shares = {
            a: _decimal_owed(q, face, bps, days, basis) + q * principal for a, q in holdings.items()
        }
        total = _decimal_owed(sum(holdings.values()), face, bps, days, basis)
        total += sum(holdings.values()) * principal
        for a, amount in shares.items():
            expected[a] += amount
        expected_remainder += total - sum(shares.values())
        start = pay
    payments = market.query("securities/schedule", isin=ISIN)["payments"]
    assert [p["status"] for p in payments] == ["paid"] * 10
    assert sum(int(p["remainder"]) for p in payments) == expected_remainder > 0
    for a in holdings:
        assert market.cash(a) - start_cash[a] == expected[a]
    assert market.cash(AGENT) - start_cash[AGENT] == expected_remainder
    assert start_cash[ISSUER] - market.cash(ISSUER) == sum(expected.values()) + expected_remainder
    assert market.query("bank/asset", asset=ISIN)["supply"] == "0"


def test_an_issuer_short_of_cash_defaults_and_nothing_moves(tmp_path: Path) -> None:
    market = Market(tmp_path / "db", funds=100_000)
    assert market.send(1, bond(coupon_bps=500)).ok
    assert market.send(1, sb.issue(ISIN, A2, 30), sb.issue(ISIN, A3, 30)).ok
    # the issuer keeps 100,000 but owes 60 × 500 = 30,000 a year: drain it first
    assert market.send(1, b.transfer((A4, "CNY", 90_000))).ok
    before = {a: market.cash(a) for a in (ISSUER, A2, A3, AGENT)}
    response = market.on("2027-01-15")
    failed = events_of(response, "payment_defaulted")
    assert failed == [
        {
            "isin": ISIN,
            "payment": "0",
            "kind": "coupon",
            "due": "30000",
            "available": "10000",
            "reason": "issuer_short",
        }
    ]
    assert events_of(response, "transfer") == []
    assert {a: market.cash(a) for a in before} == before
    assert market.query("securities/schedule", isin=ISIN)["payments"][0]["status"] == "defaulted"
    assert market.query("securities/security", isin=ISIN)["security"]["status"] == "defaulted"
    assert market.app.check_invariants() == []


def test_an_early_call_pays_price_and_accrued_coupon_then_burns(market: Market) -> None:
    assert market.send(1, bond(record_days=5)).ok
    assert market.send(1, sb.issue(ISIN, A2, 10)).ok
    assert market.send(1, sb.issue(ISIN, A3, 5)).ok
    market.on("2027-01-15")  # first coupon paid
    unchanged = market.query("securities/schedule", isin=ISIN)
    refused(market.send(2, sb.call(ISIN, "2027-06-30", 10_100)), se.ErrNotIssuer)
    refused(market.send(1, sb.call(ISIN, "2029-01-15", 10_100)), se.ErrCallAfterMaturity)
    refused(market.send(1, sb.call(ISIN, "2030-01-15", 10_100)), se.ErrCallAfterMaturity)
    refused(market.send(1, sb.call(ISIN, "2027-01-19", 10_100)), se.ErrCallTooLate)
    refused(market.send(1, sb.call(ISIN, "2026-12-01", 10_100)), se.ErrCallTooLate)
    assert market.query("securities/schedule", isin=ISIN) == unchanged
    assert market.query("securities/security", isin=ISIN)["security"]["status"] == "active"
    result = market.send(1, sb.call(ISIN, "2027-06-30", 10_100))
    assert result.ok
    payments = market.query("securities/schedule", isin=ISIN)["payments"]
    assert [(p["kind"], p["status"]) for p in payments] == [
        ("coupon", "paid"),
        ("coupon", "cancelled"),
        ("redemption", "cancelled"),
        ("call", "scheduled"),
    ]
    assert payments[3]["period_start"] == "2027-01-15"
    refused(market.send(1, sb.call(ISIN, "2027-07-30", 10_100)), se.ErrNotActive)
    before = {a: market.cash(a) for a in (A2, A3)}
    market.on("2027-06-30")
    accrued = 10_000 * 325 * 166 // 3_650_000  # 2027-01-15 -> 2027-06-30: 166 days, per bond
    assert market.cash(A2) - before[A2] == 10 * 10_100 + 10 * 10_000 * 325 * 166 // 3_650_000
    assert market.cash(A3) - before[A3] == 5 * 10_100 + 5 * 10_000 * 325 * 166 // 3_650_000
    assert accrued == 147
    assert market.query("bank/asset", asset=ISIN)["supply"] == "0"
    assert market.query("securities/security", isin=ISIN)["security"]["status"] == "redeemed"
    market.on("2028-01-15")  # the cancelled coupon's date passes: nothing happens
    assert market.app.check_invariants() == []


def refused(result, error: ErrorCode) -> None:  # type: ignore[no-untyped-def]
    assert (result.codespace, result.code) == (error.codespace, error.code), result.log
    assert result.events == ()


@pytest.mark.parametrize(
    ("msg", "error"),
    [
        (bond("CND100001238"), se.ErrBadIsin),
        (bond(day_count="ACT/ACT"), se.ErrUnknownDayCount),
        (bond(coupon_dates=["2028-01-15", "2027-01-15"]), se.ErrScheduleNotIncreasing),
        (bond(coupon_dates=["2027-01-15", "2027-01-15"]), se.ErrScheduleNotIncreasing),
        (bond(record_days=0), se.ErrBadRecordDate),
        (bond(record_days=200, coupon_dates=["2026-07-15"]), se.ErrBadRecordDate),
        (bond(maturity_date="2026-01-15"), se.ErrMaturityBeforeIssue),
        (bond(maturity_date="2025-12-31"), se.ErrMaturityBeforeIssue),
        (bond(coupon_bps=10_001), se.ErrRateOutOfRange),
        (bond(issue_date="2026-02-30"), se.ErrBadDate),
        (bond(cash_asset="EUR"), se.ErrUnknownCashAsset),
        (bond(remainder_account=account_id(99)), se.ErrUnknownAccount),
        (bond(issue_date="2025-01-01", coupon_dates=["2025-06-01"]), se.ErrScheduleInPast),
        (bond(coupon_dates=["2030-01-15"]), se.ErrBadTerms),
    ],
)
def test_bad_registrations_are_refused_with_their_code_and_leave_no_state(
    market: Market,
    msg,
    error: ErrorCode,  # type: ignore[no-untyped-def]
) -> None:
    refused(market.send(1, msg), error)
    assert market.app.securities.get(market.app.state, ISIN) is None
    assert market.app.bank.get_asset(market.app.state, ISIN) is None
    assert list(market.app.securities.due(market.app.state)) == []


def test_duplicates_strangers_and_unknown_ids_are_refused(market: Market) -> None:
    assert market.send(1, bond()).ok
    before = market.query("securities/schedule", isin=ISIN)
    refused(market.send(2, bond()), se.ErrSecurityExists)
    refused(market.send(2, sb.issue(ISIN, A2, 1)), se.ErrNotIssuer)
    refused(market.send(1, sb.issue("US0378331005", A2, 1)), se.ErrUnknownSecurity)
    assert market.query("securities/schedule", isin=ISIN) == before
    assert market.query("bank/asset", asset=ISIN)["supply"] == "0"
    with pytest.raises(Exception) as unknown:
        market.query("securities/holders_of_record", isin=ISIN, payment=9)
    assert "no payment 9" in str(unknown.value)


def test_equities_register_and_issue_but_take_no_coupon_terms(market: Market) -> None:
    shares = sb.register_equity(
        "US0378331005",
        "Shares",
        cash_asset="CNY",
        nominal=1,
        issue_date="2026-01-01",
        remainder_account=AGENT,
    )
    assert market.send(1, shares).ok
    assert market.send(1, sb.issue("US0378331005", A2, 1_000)).ok
    assert market.bonds(A2, "US0378331005") == 1_000
    assert market.query("securities/schedule", isin="US0378331005")["payments"] == []
    refused(market.send(1, sb.call("US0378331005", "2027-01-01", 1)), se.ErrBadTerms)


def test_export_then_import_keeps_terms_payments_snapshots_and_due_times(
    market: Market, tmp_path: Path
) -> None:
    assert market.send(1, bond(record_days=3)).ok
    assert market.send(1, sb.issue(ISIN, A2, 4), sb.issue(ISIN, A3, 9)).ok
    market.on("2027-01-13")  # payment 0 recorded, not yet paid
    exported = market.app.export()
    assert exported.app_state["securities"]["securities"][0]["security"]["isin"] == ISIN
    target = with_test_module(tmp_path / "target")
    target.init_chain(exported)
    mine = {k: v for k, v in market.app.state.iterate(b"securities/")}
    assert dict(target.state.iterate(b"securities/")) == mine and len(mine) > 8
    assert target.check_invariants() == []
    assert target.export().app_state == exported.app_state
    target.close()


def test_a_default_genesis_writes_no_securities_state(market: Market) -> None:
    assert list(market.app.state.iterate(b"securities/")) == []
    assert market.app.export().app_state["securities"] == {}


def test_a_payment_larger_than_any_amount_defaults_instead_of_halting(market: Market) -> None:
    assert market.send(1, bond(face_value=2**100, coupon_bps=0)).ok
    assert market.send(1, sb.issue(ISIN, A2, 2**30)).ok
    response = market.on("2029-01-15")
    assert events_of(response, "payment_defaulted")[0]["kind"] == "redemption"
    last = market.query("securities/schedule", isin=ISIN)["payments"][2]
    assert last["status"] == "defaulted" and last["total"] == str(2**127 - 1)
    assert market.bonds(A2) == 2**30
    assert market.app.check_invariants() == []
