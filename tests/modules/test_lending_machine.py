"""Random loan lifecycles on two real applications fed the same blocks.

Accounts 1..5 lend and borrow CNY against GOLD, account 6 is the oracle
(appointed by a governance proposal). Each rule is one block: an offer, an
acceptance, a repayment, a top-up, a price, a cash or GOLD transfer (which may
try to spend locked collateral), or time passing so instalments, grace periods
and margin calls fall due. After every block:

- every asset's supply equals the sum of its balances, nothing is negative;
- each account's frozen GOLD equals what the escrow module holds locked for it,
  which equals the collateral of its active loans as borrower (only lending's
  escrows lock GOLD here), so no locked collateral was spent;
- an active loan's escrows are open, lending-controlled pledges from borrower to
  lender adding up to its collateral; a repaid loan's are refunded, a defaulted
  loan's released;
- every module invariant of the application holds;
- both nodes reached the same app hash (``Network.block`` checks each block).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from finchain.chain import FinchainApp
from finchain.client import builders as b
from finchain.client import lending_builders as lb
from finchain.codec import RawMsg
from tests.app.world import A, World
from tests.ledger import checked_holdings

PARTIES = st.integers(1, 5)
ORACLE = 6
S = 10**9
LOAN_IDS = st.integers(1, 8)
NUMBER = {A[n]: n for n in range(1, 7)}


class LendingMachine(RuleBasedStateMachine):
    @initialize(gaps=st.tuples(st.integers(2, 9), st.integers(2, 9)), grace=st.integers(0, 6))
    def start(self, gaps: tuple[int, int], grace: int) -> None:
        """Oracle, GOLD, a price, and two active loans (bullet 1 -> 2, equal principal 3 -> 4)."""
        self.dir = Path(tempfile.mkdtemp(prefix="finchain-lending-"))
        self.world = World(self.dir, FinchainApp, nodes=2)
        self.world.govern(lb.appoint_oracle(A[ORACLE], 10**6))
        self.world.block(self.world.tx(1, b.create_asset("GOLD", "Gold", 0)))
        self.world.block(self.world.tx(1, *(b.mint("GOLD", A[n], 500_000) for n in range(1, 6))))
        self.world.block(self._price(1, 1))
        now = self.world.net.time_ns
        for (lender, borrower, schedule), gap in zip(
            ((1, 2, "bullet"), (3, 4, "equal_principal")), gaps, strict=True
        ):
            terms = lb.offer(
                A[borrower],
                "CNY",
                300_000,
                rate_bps=2_500,
                schedule=schedule,
                due_times=[now + 4 * S + k * gap * S for k in (1, 2, 3)],
                collateral_asset="GOLD",
                collateral=450_000,
                max_ltv_bps=6_700,
                margin_ltv_bps=8_000,
                margin_cure_s=3,
                grace_s=grace,
            )
            self.world.block(self.world.tx(lender, terms))
        self.world.block(self.world.tx(2, lb.accept(1)), self.world.tx(4, lb.accept(2)))

    def teardown(self) -> None:
        if hasattr(self, "world"):
            self.world.net.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def app(self) -> FinchainApp:
        return self.world.app  # type: ignore[return-value]

    def _price(self, numerator: int, denominator: int) -> bytes:
        observed = self.world.net.time_ns + S
        return self.world.tx(ORACLE, lb.post_price("GOLD", "CNY", numerator, denominator, observed))

    def _send(self, who: int, msg: RawMsg) -> None:
        self.world.net.block(self.world.tx(who, msg))

    @rule(
        lender=PARTIES,
        borrower=PARTIES,
        principal=st.integers(1, 100_000),
        rate=st.integers(0, 3_000),
        schedule=st.sampled_from(["bullet", "equal_principal"]),
        count=st.integers(1, 4),
        gap=st.integers(2, 6),
        cover=st.sampled_from([1, 2, 3, 4]),
        grace=st.integers(0, 4),
        cure=st.integers(0, 4),
    )
    def offer(self, lender, borrower, principal, rate, schedule, count, gap, cover, grace, cure):
        """Collateral ``cover`` times the principal (GOLD starts at 1 CNY unit: LTV 1/cover)."""
        now = self.world.net.time_ns
        msg = lb.offer(
            A[borrower],
            "CNY",
            principal,
            rate_bps=rate,
            schedule=schedule,
            due_times=[now + (k + 1) * gap * S + S for k in range(count)],
            collateral_asset="GOLD",
            collateral=principal * cover,
            max_ltv_bps=6_000,
            margin_ltv_bps=8_000,
            margin_cure_s=cure,
            grace_s=grace,
        )
        self._send(lender, msg)

    def _pick(self, status: str, pick: int) -> tuple[int, int] | None:
        """(loan id, borrower number) of the ``pick``-th loan in ``status``, if any."""
        found = [loan for loan in self.app.lending.loans(self.app.state) if loan.status == status]
        if not found:
            return None
        loan = found[pick % len(found)]
        return loan.id, NUMBER[loan.borrower]

    @rule(pick=st.integers(0, 7))
    def accept_offer(self, pick):
        chosen = self._pick("offered", pick)
        if chosen is not None:
            self._send(chosen[1], lb.accept(chosen[0]))

    @rule(pick=st.integers(0, 7), amount=st.integers(1, 400_000))
    def repay_loan(self, pick, amount):
        chosen = self._pick("active", pick)
        if chosen is not None:
            self._send(chosen[1], lb.repay(chosen[0], "CNY", amount))

    @rule(pick=st.integers(0, 7), amount=st.integers(1, 300_000))
    def top_up(self, pick, amount):
        chosen = self._pick("active", pick)
        if chosen is not None:
            self._send(chosen[1], lb.add_collateral(chosen[0], amount))

    @rule(borrower=PARTIES, loan_id=LOAN_IDS)
    def accept(self, borrower, loan_id):
        self._send(borrower, lb.accept(loan_id))

    @rule(borrower=PARTIES, loan_id=LOAN_IDS, amount=st.integers(1, 400_000))
    def repay(self, borrower, loan_id, amount):
        self._send(borrower, lb.repay(loan_id, "CNY", amount))

    @rule(borrower=PARTIES, loan_id=LOAN_IDS, amount=st.integers(1, 300_000))
    def add_collateral(self, borrower, loan_id, amount):
        self._send(borrower, lb.add_collateral(loan_id, amount))

    @rule(numerator=st.integers(2, 6), denominator=st.just(4))
    def price(self, numerator, denominator):
        self.world.net.block(self._price(numerator, denominator))

    @rule(sender=PARTIES, recipient=PARTIES, asset=st.sampled_from(["CNY", "GOLD"]))
    def transfer_everything(self, sender, recipient, asset):
        """Try to move the whole balance, frozen part included: must fail while locked."""
        held = self.app.bank.balance(self.app.state, A[sender], asset)
        if held:
            self._send(sender, b.transfer((A[recipient], asset, held)))

    @rule(sender=PARTIES, recipient=PARTIES, amount=st.integers(1, 200_000))
    def transfer_cash(self, sender, recipient, amount):
        self._send(sender, b.transfer((A[recipient], "CNY", amount)))

    @rule(seconds=st.integers(1, 8))
    def wait(self, seconds):
        self.world.net.time_ns += (seconds - 1) * S
        self.world.net.block()

    @invariant()
    def ledger_holds(self) -> None:
        if not hasattr(self, "world"):
            return
        for app in self.world.net.apps:
            assert app.check_invariants() == []
        state = self.app.state
        frozen = {
            account: locked
            for (account, asset), (_, locked) in checked_holdings(self.app).items()
            if asset == "GOLD" and locked
        }
        collateral: dict[str, int] = {}
        closed_as = {"active": "open", "repaid": "refunded", "defaulted": "released"}
        for loan in self.app.lending.loans(state):
            assert loan.outstanding >= 0 and loan.interest_carried >= 0
            pledges = [self.app.escrow.require(state, i) for i in loan.collateral_escrows]
            assert bool(pledges) == (loan.status in closed_as)
            for pledge in pledges:
                assert pledge.controller == "lending" and pledge.status == closed_as[loan.status]
                assert (pledge.payer, pledge.payee) == (loan.borrower, loan.lender)
            if pledges:
                assert sum(p.amount for p in pledges) == loan.collateral
            if loan.status == "active":
                collateral[loan.borrower] = collateral.get(loan.borrower, 0) + loan.collateral
        escrowed = {
            account: amount
            for account, asset, amount in self.app.escrow.all_locked(state)
            if asset == "GOLD"
        }
        assert frozen == escrowed == collateral


LendingMachine.TestCase.settings = settings(
    max_examples=10,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestLendingMachine = LendingMachine.TestCase
