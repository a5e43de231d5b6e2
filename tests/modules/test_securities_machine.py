"""Random bond lives on a real application: issuance, trading, calls, cash drains, and time
passing over record and payment dates.

After every block: every asset's supply equals the sum of its balances (also after the
burns of a redemption or a call), nothing is negative, the cash asset's supply never moves
(payments only move it), the module's invariants hold, and every paid payment's total is
the independent ``decimal`` computation on the bonds outstanding at its record date and
equals what the holders of record got plus the remainder. At the end, every block replayed
on a fresh node gives the same app hash at every height.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal, localcontext
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from finchain.client import builders as b
from finchain.client import securities_builders as sb
from finchain.modules.accounts.types import account_id
from finchain.modules.securities.types import date_of
from tests.ledger import checked_holdings
from tests.modules.securities_world import ISIN, ISSUER, Market, bond

HOLDERS = st.integers(2, 5)
ISSUE_DATE = date(2026, 1, 15)


def _exact(quantity: int, face: int, bps: int, start: str, end: str, convention: str) -> int:
    """Coupon of ``quantity`` bonds for the period, by the conventions' definitions, in decimal."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if convention == "30/360":
        d1 = 30 if first.day == 31 else first.day
        d2 = 30 if last.day == 31 and d1 == 30 else last.day
        days = 360 * (last.year - first.year) + 30 * (last.month - first.month) + d2 - d1
        basis = 360
    else:
        days, basis = (last - first).days, 360 if convention == "ACT/360" else 365
    with localcontext() as c:
        c.prec = 80
        value = Decimal(quantity) * face * bps / Decimal(10_000) * days / basis
        return int(value.to_integral_value(rounding=ROUND_DOWN))


class BondMachine(RuleBasedStateMachine):
    @initialize(
        convention=st.sampled_from(["ACT/360", "ACT/365F", "30/360"]),
        bps=st.integers(0, 10_000),
        face=st.integers(1, 10**6),
        months=st.sampled_from([3, 6, 12]),
        record_days=st.integers(1, 20),
    )
    def start(self, convention: str, bps: int, face: int, months: int, record_days: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="finchain-bonds-"))
        self.market = Market(self.dir / "db", funds=10**15)
        dates = [
            date(2026 + (m - 1) // 12, (m - 1) % 12 + 1, 31 if (m - 1) % 12 + 1 in (1, 3) else 28)
            for m in range(1 + months, 1 + 24 + 1, months)
        ]
        self.terms = (convention, bps, face)
        msg = bond(
            face_value=face,
            coupon_bps=bps,
            day_count=convention,
            issue_date=ISSUE_DATE.isoformat(),
            maturity_date=dates[-1].isoformat(),
            coupon_dates=[d.isoformat() for d in dates[:-1]],
            record_days=record_days,
        )
        result = self.market.send(1, msg)
        assert result.ok, result.log
        self.cash_supply = self.market.app.bank.supply(self.market.app.state, "CNY")

    @rule(to=HOLDERS, amount=st.integers(1, 10**6))
    def issue(self, to: int, amount: int) -> None:
        self.market.send(1, sb.issue(ISIN, account_id(to), amount))

    @rule(sender=HOLDERS, to=HOLDERS, amount=st.integers(1, 10**6))
    def trade(self, sender: int, to: int, amount: int) -> None:
        self.market.send(sender, b.transfer((account_id(to), ISIN, amount)))

    @rule(days=st.integers(1, 200), hour=st.integers(0, 23))
    def time_passes(self, days: int, hour: int) -> None:
        today = date_of(self.market.chain.time_ns)
        self.market.on((today + timedelta(days=days)).isoformat(), hour=hour)

    @rule(ahead=st.integers(1, 400), price=st.integers(1, 2 * 10**6))
    def call(self, ahead: int, price: int) -> None:
        when = date_of(self.market.chain.time_ns) + timedelta(days=ahead)
        self.market.send(1, sb.call(ISIN, when.isoformat(), price))

    @rule(keep=st.integers(0, 10**7))
    def issuer_cash_drains(self, keep: int) -> None:
        spendable = self.market.cash(ISSUER)
        if spendable > keep:
            self.market.send(1, b.transfer((account_id(4), "CNY", spendable - keep)))

    @invariant()
    def ledger_and_payments_add_up(self) -> None:
        app = self.market.app
        state = app.state
        assert app.check_invariants() == []
        checked_holdings(app)
        assert app.bank.supply(state, "CNY") == self.cash_supply
        convention, bps, face = self.terms
        for payment in app.securities.payments(state, ISIN):
            event(f"{payment.kind} {payment.status}")
            if payment.status != "paid":
                continue
            held = list(app.securities.holders_of_record(state, ISIN, payment.index))
            outstanding = sum(q for _, q in held)
            assert outstanding == payment.outstanding
            span = (payment.period_start, payment.period_end, convention)
            total = _exact(outstanding, face, bps, *span) + outstanding * payment.price
            paid = sum(_exact(q, face, bps, *span) + q * payment.price for _, q in held)
            assert (payment.total, payment.paid, payment.remainder) == (total, paid, total - paid)
            if payment.kind in ("redemption", "call"):
                assert app.bank.supply(state, ISIN) == 0

    def teardown(self) -> None:
        if hasattr(self, "market"):
            self.market.replay(self.dir / "replay")
            self.market.app.close()
            shutil.rmtree(self.dir, ignore_errors=True)


BondMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=16,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_bond_machine = BondMachine.TestCase
