"""Exactness: interest over a multi-year schedule equals an independent ``decimal`` computation.

The loan runs three years over calendar quarter dates (2028 is a leap year: ACT/365F
still divides by 365), collected by the chain at each due time. The expected amounts
are computed here with Python ``decimal`` from calendar dates, never with the
module's code: interest per period = outstanding x rate / 10000 x actual days / 365,
rounded ROUND_HALF_UP to the base unit; equal principal = floor(P / n), the last
instalment taking the remainder.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.client import builders as b
from finchain.client import lending_builders as lb
from finchain.modules.lending.types import round_half_up
from tests.modules.test_governance import A
from tests.modules.test_lending import BORROWER, LENDER, ORACLE, make_world

PRINCIPAL = 12_345_678_901
RATE_BPS = 437
START = datetime(2026, 2, 1, tzinfo=UTC)
DUES = [
    datetime(year, month, 1, tzinfo=UTC)
    for year in (2026, 2027, 2028, 2029)
    for month in (2, 5, 8, 11)
    if datetime(2026, 2, 1, tzinfo=UTC)
    < datetime(year, month, 1, tzinfo=UTC)
    <= datetime(2029, 2, 1, tzinfo=UTC)
]


def ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 10**9


def expected(schedule: str) -> list[tuple[int, int]]:
    """(principal, interest) per instalment, from calendar days in ``decimal``."""
    n = len(DUES)
    rows = []
    outstanding = PRINCIPAL
    previous = START
    with localcontext(Context(prec=60)):
        for k, due in enumerate(DUES):
            days = Decimal((due - previous).days)
            exact = Decimal(outstanding) * Decimal(RATE_BPS) / Decimal(10_000) * days / 365
            interest = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
            if schedule == "bullet":
                principal = PRINCIPAL if k == n - 1 else 0
            else:
                part = PRINCIPAL // n
                principal = PRINCIPAL - part * (n - 1) if k == n - 1 else part
            rows.append((principal, interest))
            outstanding -= principal
            previous = due
    return rows


@pytest.mark.parametrize("schedule", ["equal_principal", "bullet"])
def test_multi_year_interest_matches_decimal(tmp_path: Path, schedule: str) -> None:
    assert len(DUES) == 12 and DUES[0] < datetime(2028, 2, 29, tzinfo=UTC) < DUES[-1]
    world = make_world(tmp_path)
    world.ok(1, b.mint("CNY", A[BORROWER], 10 * PRINCIPAL))
    loan_id = world.offer(
        principal=PRINCIPAL,
        rate_bps=RATE_BPS,
        schedule=schedule,
        due_times=[ns(d) for d in DUES],
        collateral=1_000_000,
    )
    world.at(
        ns(START) - 10**9,
        world.tx(ORACLE, lb.post_price("GOLD", "CNY", 100_000, 1, ns(START) - 10**9)),
    )
    (accepted,) = world.at(ns(START), world.tx(BORROWER, lb.accept(loan_id))).tx_results
    assert accepted.ok, accepted.log
    cash = world.balance(BORROWER)[0]
    lender_cash = world.balance(LENDER)[0]
    for due in DUES:
        world.at(ns(due))
    rows = world.query("schedule", loan_id=loan_id)["instalments"]
    want = expected(schedule)
    got = [(int(r["principal_due"]), int(r["interest_due"])) for r in rows]
    assert got == want
    assert all(r["state"] == "paid" for r in rows)
    total = sum(p + i for p, i in want)
    assert cash - world.balance(BORROWER)[0] == total
    assert world.balance(LENDER)[0] - lender_cash == total
    assert world.loan(loan_id)["state"] == "repaid"


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**40), st.integers(1, 10**30))
def test_round_half_up_is_decimal_round_half_up(numerator: int, denominator: int) -> None:
    with localcontext(Context(prec=100)):
        want = (Decimal(numerator) / Decimal(denominator)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    assert round_half_up(numerator, denominator) == int(want)
