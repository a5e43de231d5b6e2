"""Aggregates: day and year in the configured zone from block time, the sliding window,
midnight rollover at the exact boundary; and a state machine over random payments."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from finchain.chain import FinchainApp
from finchain.client import builders as b
from finchain.client import compliance_builders as cb
from finchain.modules.accounts.types import account_id
from finchain.modules.compliance.cel import VARIABLES
from finchain.modules.compliance.keeper import period_of, sums_at
from finchain.modules.compliance.types import Params
from tests.ledger import checked_holdings
from tests.modules.compliance_genesis import RuledChain

A = {n: account_id(n) for n in range(1, 5)}
SEC = 1_000_000_000


def ns(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()) * SEC


# Local midnight of 2026-03-02 at UTC+8 is 2026-03-01T16:00:00Z.
MIDNIGHT = ns("2026-03-01T16:00:00")


def test_the_day_turns_exactly_at_local_midnight() -> None:
    params = Params()
    assert period_of(MIDNIGHT - 1, params).day + 1 == period_of(MIDNIGHT, params).day
    assert period_of(MIDNIGHT - 1, params).day == period_of(MIDNIGHT - 8 * 3600 * SEC, params).day
    utc = Params(zone_offset_minutes=0)
    assert period_of(MIDNIGHT, utc).day == period_of(MIDNIGHT - 1, utc).day
    # the year turns at local new year (2026-12-31T16:00Z at +8)
    new_year = ns("2026-12-31T16:00:00")
    assert (period_of(new_year - 1, params).year, period_of(new_year, params).year) == (
        2026,
        2027,
    )


CUMULATIVE = {
    "id": "same-day",
    "expr": "sender.day_total + move.amount >= 1000",
    "action": "flag",
    "reason": "same-day cumulative at or above 1000",
    "report_type": "large_value",
}


def alerts(result: object) -> list[str]:
    return [e.get("rule") or "" for e in result.events if e.type == "compliance_alert"]  # type: ignore[attr-defined]


def test_same_day_aggregation_and_midnight_rollover(tmp_path: Path) -> None:
    chain = RuledChain(tmp_path / "db", [CUMULATIVE])
    (first,) = chain.block(chain.tx(1, b.transfer((A[2], "CNY", 600))), time_ns=MIDNIGHT - 2 * SEC)
    assert first.ok and alerts(first) == []
    # 23:59:59 local: same day, 600 + 400 reaches 1000 (inclusive)
    (second,) = chain.block(chain.tx(1, b.transfer((A[2], "CNY", 400))), time_ns=MIDNIGHT - SEC)
    assert alerts(second) == ["same-day"]
    # 00:00:00 local, exactly: a new day, the total starts again
    (third,) = chain.block(chain.tx(1, b.transfer((A[2], "CNY", 999))), time_ns=MIDNIGHT)
    assert third.ok and alerts(third) == []
    (fourth,) = chain.block(chain.tx(1, b.transfer((A[2], "CNY", 1))), time_ns=MIDNIGHT + SEC)
    assert alerts(fourth) == ["same-day"]
    app = chain.app
    agg = app.compliance.aggregate(app.state, "o", A[1], "CNY")
    sums = sums_at(agg.flat() if agg else None, period_of(MIDNIGHT + SEC, Params()))
    assert (sums.day_total, sums.day_count) == (1000, 2)
    assert (sums.year_total, sums.year_count) == (2000, 4)
    incoming = app.compliance.aggregate(app.state, "i", A[2], "CNY")
    assert (
        sums_at(
            incoming.flat() if incoming else None, period_of(MIDNIGHT + SEC, Params())
        ).day_total
        == 1000
    )


def test_structuring_counts_the_window_and_the_earlier_messages_of_the_tx(tmp_path: Path) -> None:
    structuring = {
        "id": "structuring",
        "expr": "move.amount < 2000000 && sender.window_count >= 2"
        " && sender.window_total + move.amount >= 5000000",
        "action": "flag",
        "reason": "several payments under the threshold",
        "report_type": "structuring",
    }
    chain = RuledChain(tmp_path / "db", [structuring], funds=10_000_000)
    # three payments of 1,900,000 in one tx: the third sees the first two
    (result,) = chain.block(
        chain.tx(
            1,
            b.transfer(
                (A[2], "CNY", 1_900_000), (A[3], "CNY", 1_900_000), (A[4], "CNY", 1_900_000)
            ),
        )
    )
    assert result.ok and alerts(result) == ["structuring"]


def test_a_failed_transaction_adds_nothing(tmp_path: Path) -> None:
    chain = RuledChain(tmp_path / "db", [CUMULATIVE])
    (result,) = chain.block(chain.tx(1, b.transfer((A[2], "CNY", 10**9))))
    assert not result.ok
    assert chain.app.compliance.aggregate(chain.app.state, "o", A[1], "CNY") is None


def test_the_window_slides_by_buckets(tmp_path: Path) -> None:
    window = {
        "id": "w",
        "expr": "sender.window_count >= 2",
        "action": "deny",
        "reason": "at most two payments an hour",
    }
    chain = RuledChain(
        tmp_path / "db",
        [window],
        compliance={"params": {"zone_offset_minutes": 480, "window_seconds": 3600}},
    )
    start = ns("2026-03-01T10:00:00")  # a bucket boundary (150 s buckets)
    assert chain.block(chain.tx(1, b.transfer((A[2], "CNY", 1))), time_ns=start)[0].ok
    assert chain.block(chain.tx(1, b.transfer((A[2], "CNY", 1))), time_ns=start + SEC)[0].ok
    denied = chain.block(chain.tx(1, b.transfer((A[2], "CNY", 1))), time_ns=start + 3599 * SEC)
    assert denied[0].code == 6
    # the first bucket leaves the window one full window after it began
    again = chain.block(chain.tx(1, b.transfer((A[2], "CNY", 1))), time_ns=start + 3600 * SEC)
    assert again[0].ok


APPROVERS = (3,)
HOLD_AT = 5_000


class AggregatesMachine(RuleBasedStateMachine):
    """Random payments, clock jumps across midnights and held payments with approvals.

    Model: per (sender, local day) the sum and count of executed outgoing payments.
    Invariants: the chain's day aggregates equal the model's for the current day; a
    held payment moves nothing until approved; the ledger's supply rules hold.
    """

    @initialize()
    def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="finchain-compliance-"))
        hold = {
            "id": "hold",
            "expr": f"move.amount >= {HOLD_AT}",
            "action": "approve",
            "reason": "large: approval",
            "approvers": [A[n] for n in APPROVERS],
            "approvals": 1,
            "approval_blocks": 3,
        }
        self.chain = RuledChain(self.dir / "db", [CUMULATIVE, hold], funds=10**9)
        self.days: dict[tuple[str, int], tuple[int, int]] = {}
        self.held: dict[int, tuple[int, int, int, int]] = {}  # id -> (from, to, amount, deadline)
        self.balances = {n: 10**9 for n in A}

    def teardown(self) -> None:
        if hasattr(self, "chain"):
            self.chain.app.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def _executed(self, who: int, to: int, amount: int) -> None:
        day = period_of(self.chain.time_ns, Params()).day
        total, count = self.days.get((A[who], day), (0, 0))
        self.days[(A[who], day)] = (total + amount, count + 1)
        self.balances[who] -= amount
        self.balances[to] += amount

    def _expire(self) -> None:
        for held_id, (_, _, _, deadline) in list(self.held.items()):
            if self.chain.app.height >= deadline:
                del self.held[held_id]

    @rule(
        who=st.sampled_from((1, 2, 4)), to=st.sampled_from((1, 2, 4)), amount=st.integers(1, 9_000)
    )
    def pay(self, who: int, to: int, amount: int) -> None:
        (result,) = self.chain.block(self.chain.tx(who, b.transfer((A[to], "CNY", amount))))
        assert result.ok, result.log
        held = [e for e in result.events if e.type == "compliance_held"]
        if amount >= HOLD_AT:
            assert len(held) == 1
            deadline = int(held[0].get("deadline_height") or 0)
            self.held[int(held[0].get("held_id") or 0)] = (who, to, amount, deadline)
        else:
            assert not held
            self._executed(who, to, amount)
        self._expire()

    @rule(hours=st.integers(1, 30))
    def wait(self, hours: int) -> None:
        self.chain.block(time_ns=self.chain.time_ns + hours * 3600 * SEC)
        self._expire()

    @rule(pick=st.integers(0, 10))
    def approve(self, pick: int) -> None:
        if not self.held:
            return
        held_id = sorted(self.held)[pick % len(self.held)]
        who, to, amount, _ = self.held.pop(held_id)
        (result,) = self.chain.block(self.chain.tx(3, cb.approve(held_id)))
        assert result.ok, result.log
        self._executed(who, to, amount)
        self._expire()

    @invariant()
    def aggregates_match_executed_movements(self) -> None:
        if not hasattr(self, "chain"):
            return
        app = self.chain.app
        now = period_of(self.chain.time_ns, Params())
        for n in (1, 2, 4):
            agg = app.compliance.aggregate(app.state, "o", A[n], "CNY")
            sums = sums_at(agg.flat() if agg else None, now)
            assert (sums.day_total, sums.day_count) == self.days.get((A[n], now.day), (0, 0))

    @invariant()
    def held_payments_move_nothing(self) -> None:
        if not hasattr(self, "chain"):
            return
        holdings = checked_holdings(self.chain.app)
        for n in A:
            assert holdings.get((A[n], "CNY"), (0, 0))[0] == self.balances[n]


AggregatesMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestAggregatesMachine = AggregatesMachine.TestCase


def test_export_and_import_give_the_same_compliance_entries(tmp_path: Path) -> None:
    hold = {
        "id": "hold",
        "expr": "move.amount >= 5000",
        "action": "approve",
        "reason": "approval",
        "approvers": [A[3]],
        "approvals": 1,
        "approval_blocks": 50,
    }
    chain = RuledChain(tmp_path / "db", [CUMULATIVE, hold])
    chain.block(chain.tx(1, b.transfer((A[2], "CNY", 700))))
    (held,) = chain.block(chain.tx(2, b.transfer((A[1], "CNY", 6000))))
    assert "compliance_held" in [e.type for e in held.events]
    genesis = chain.app.export()
    target = FinchainApp(tmp_path / "imported")
    try:
        target.init_chain(genesis)
        source_entries = list(chain.app.state.iterate(b"compliance/"))
        assert list(target.state.iterate(b"compliance/")) == source_entries
        assert any(k.startswith(b"compliance/held_due/") for k, _ in source_entries)
        assert target.check_invariants() == []
    finally:
        target.close()


def test_a_rule_may_read_every_variable_of_the_activation(tmp_path: Path) -> None:
    every = {
        "id": "every",
        "expr": " && ".join(f"{name} == {name}" for name in VARIABLES),
        "action": "flag",
        "reason": "reads everything",
        "report_type": "probe",
    }
    chain = RuledChain(tmp_path / "db", [every])
    (result,) = chain.block(
        chain.tx(1, b.transfer((A[2], "CNY", 3), (A[3], "CNY", 4)), cb.approve(1))
    )
    # the approve message fails (no held tx), but every movement was judged first
    assert result.code == 10 and result.codespace == "compliance"
    (ok,) = chain.block(chain.tx(1, b.transfer((A[2], "CNY", 3), (A[3], "CNY", 4))))
    assert ok.ok and alerts(ok) == ["every", "every"]


SIDES = {
    "id": "both-sides",
    "expr": "sender.day_total + recipient.window_total + move.amount >= 1000000000",
    "action": "flag",
    "reason": "never on this load",
    "report_type": "large_value",
}


def test_the_post_handler_reusing_the_antes_reads_changes_nothing(tmp_path: Path) -> None:
    """The post handler takes the aggregates the ante read instead of reading them again:
    aggregates and each transaction's cost are those of a chain that reads them anew,
    with several movements on one key in a transaction and a failing transaction."""
    fresh = RuledChain(tmp_path / "fresh", [SIDES])
    reused = RuledChain(tmp_path / "reused", [SIDES])
    keeper = fresh.app.compliance
    keeper.record_executed = (  # type: ignore[method-assign]
        lambda ctx, tx_id, account, msgs: keeper.record(ctx, account, msgs)
    )
    results = []
    for chain in (fresh, reused):
        results.append(
            [
                r.cost
                for r in chain.block(chain.tx(1, b.transfer((A[2], "CNY", 5), (A[2], "CNY", 7))))
                + chain.block(chain.tx(2, b.transfer((A[1], "CNY", 3), (A[3], "CNY", 4))))
                + chain.block(chain.tx(3, b.transfer((A[2], "CNY", 10**9))))  # fails: funds
                + chain.block(chain.tx(1, b.transfer((A[2], "CNY", 1), (A[1], "CNY", 2))))
            ]
        )
    assert results[0] == results[1]
    assert reused.app.compliance._seen == {}  # taken by the post handler, or dropped
    assert list(fresh.app.compliance.aggregates(fresh.app.state)) == list(
        reused.app.compliance.aggregates(reused.app.state)
    )
    agg = reused.app.compliance.aggregate(reused.app.state, "i", A[2], "CNY")
    assert agg is not None
    assert sums_at(agg.flat(), period_of(reused.time_ns, Params())).day_count == 3
