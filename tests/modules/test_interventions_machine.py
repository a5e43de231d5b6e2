"""Interventions under random traffic on two real applications fed identical blocks.

Accounts 2, 3 and 4 are officers (threshold 2, appointed by a governance proposal);
accounts 1, 5 and 6 are customers who pay each other and lock CNY in escrows while
officers propose and approve amount freezes (some expiring), their partial and full
unfreezes, account freezes and their lifts, pauses and resumes of CNY, and forced
transfers, and blocks pass so that expiries and approval deadlines arrive.
``Network`` asserts after every block that both applications reach the same app hash.

After every block:

- every module invariant of both applications holds;
- every asset's supply equals the sum of its balances; nothing is negative, no
  frozen part exceeds its balance;
- each holding's frozen amount is exactly what open escrows lock plus what amount
  freezes in effect hold (read through the escrow and interventions views);
- an intervention has run (in effect, done or lifted) only with at least its
  threshold of approvals, and one still proposed has fewer;
- an asset is paused in the bank exactly when a pause is in effect.
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
from finchain.client import escrow_builders as esb
from finchain.client import interventions_builders as ivb
from finchain.codec import RawMsg
from finchain.modules.interventions.types import FREEZE_AMOUNT, IN_EFFECT, PAUSE_ASSET, PROPOSED
from tests.app.world import A, World
from tests.ledger import checked_holdings

OFFICERS = st.sampled_from((2, 3, 4))
CUSTOMERS = st.sampled_from((1, 5, 6))
AMOUNTS = st.integers(1, 600_000)
SECONDED = st.booleans()
ORDER = ("sha256", bytes(range(32)))
BASIS = "JR/T 0184-2020 17.3"


class InterventionsMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="finchain-interventions-"))
        self.world = World(self.dir, FinchainApp, nodes=2)
        self.world.govern(ivb.set_officers([A[2], A[3], A[4]], 2))
        self.ids: list[int] = []

    def teardown(self) -> None:
        if hasattr(self, "world"):
            self.world.net.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def app(self) -> FinchainApp:
        app = self.world.app
        assert isinstance(app, FinchainApp)
        return app

    def send(self, who: int, *msgs: RawMsg) -> None:
        """One block with one transaction (it may be refused: refusals are part of the test)."""
        response = self.world.net.block(self.world.tx(who, *msgs))
        for event in response.events:
            if event.type == "intervention_proposed":
                self.ids.append(int(dict(event.attributes)["intervention_id"]))
        for result in response.tx_results:
            for event in result.events:
                if event.type == "intervention_proposed":
                    self.ids.append(int(dict(event.attributes)["intervention_id"]))

    def propose(self, officer: int, msg: RawMsg, seconded: bool) -> None:
        """An officer's proposal; ``seconded``: the next officer approves it in the next block."""
        count = len(self.ids)
        self.send(officer, msg)
        if seconded and len(self.ids) > count:
            self.send(2 + (officer - 1) % 3, ivb.approve(self.ids[-1]))

    def terms(self, **extra: object) -> dict[str, object]:
        return {"legal_basis": BASIS, "deadline_height": self.app.height + 4, **extra}

    def pick(self, index: int) -> int:
        """A recent intervention id (or 1 when there is none yet: an unknown id)."""
        return self.ids[-1 - index % min(len(self.ids), 4)] if self.ids else 1

    # -- customers ----------------------------------------------------------------------------

    @rule(who=CUSTOMERS, to=CUSTOMERS, amount=AMOUNTS)
    def pay(self, who: int, to: int, amount: int) -> None:
        self.send(who, b.transfer((A[to if to != who else 2], "CNY", amount)))

    @rule(who=CUSTOMERS, amount=AMOUNTS, blocks=st.integers(1, 6))
    def lock_in_escrow(self, who: int, amount: int, blocks: int) -> None:
        expiry = self.app.height + 1 + blocks
        self.send(
            who,
            esb.create(A[2], "CNY", amount, approvers=[A[3]], threshold=1, expiry_height=expiry),
        )

    # -- officers -----------------------------------------------------------------------------

    @rule(officer=OFFICERS, who=CUSTOMERS, amount=AMOUNTS, expiry=st.integers(0, 6))
    def freeze_amount(self, officer: int, who: int, amount: int, expiry: int) -> None:
        height = self.app.height + 1 + expiry if expiry else 0
        self.send(
            officer, ivb.freeze_amount(A[who], "CNY", amount, **self.terms(expiry_height=height))
        )

    @rule(officer=OFFICERS, index=st.integers(0, 50), amount=AMOUNTS, ok=SECONDED)
    def unfreeze_amount(self, officer: int, index: int, amount: int, ok: bool) -> None:
        self.propose(officer, ivb.unfreeze_amount(self.pick(index), amount, **self.terms()), ok)

    @rule(officer=OFFICERS, who=CUSTOMERS, expiry=st.integers(0, 6), ok=SECONDED)
    def freeze_account(self, officer: int, who: int, expiry: int, ok: bool) -> None:
        height = self.app.height + 1 + expiry if expiry else 0
        self.propose(officer, ivb.freeze_account(A[who], **self.terms(expiry_height=height)), ok)

    @rule(officer=OFFICERS, expiry=st.integers(0, 6), ok=SECONDED)
    def pause(self, officer: int, expiry: int, ok: bool) -> None:
        height = self.app.height + 1 + expiry if expiry else 0
        self.propose(officer, ivb.pause_asset("CNY", **self.terms(expiry_height=height)), ok)

    @rule(officer=OFFICERS, index=st.integers(0, 50), kind=st.booleans(), ok=SECONDED)
    def undo(self, officer: int, index: int, kind: bool, ok: bool) -> None:
        build = ivb.unfreeze_account if kind else ivb.resume_asset
        self.propose(officer, build(self.pick(index), **self.terms()), ok)

    @rule(officer=OFFICERS, who=CUSTOMERS, to=CUSTOMERS, amount=AMOUNTS, order=st.booleans())
    def forced_transfer(self, officer: int, who: int, to: int, amount: int, order: bool) -> None:
        recipient = A[to if to != who else 2]
        terms = self.terms(order=ORDER) if order else self.terms()
        self.propose(officer, ivb.forced_transfer(A[who], recipient, "CNY", amount, **terms), True)

    @rule(officer=OFFICERS, index=st.integers(0, 50))
    def approve(self, officer: int, index: int) -> None:
        self.send(officer, ivb.approve(self.pick(index)))

    @rule(blocks=st.integers(1, 4))
    def wait(self, blocks: int) -> None:
        for _ in range(blocks):
            self.world.net.block()

    # -- after every step ---------------------------------------------------------------------

    @invariant()
    def ledger_holds(self) -> None:
        if not hasattr(self, "world"):
            return
        for app in self.world.net.apps:
            assert app.check_invariants() == []
        app, state = self.app, self.app.state
        frozen = {key: locked for key, (_, locked) in checked_holdings(app).items() if locked}
        expected: dict[tuple[str, str], int] = {}
        for escrow in app.escrow.escrows(state):
            if escrow.is_open:
                key = (escrow.payer, escrow.asset)
                expected[key] = expected.get(key, 0) + escrow.amount
        paused: set[str] = set()
        for found in app.interventions.interventions(state):
            if found.status == PROPOSED:
                assert len(found.approvals) < found.threshold
            elif found.status != "lapsed":
                assert len(found.approvals) >= found.threshold
            if found.status == IN_EFFECT and found.kind == FREEZE_AMOUNT:
                key = (found.account, found.asset)
                expected[key] = expected.get(key, 0) + found.held
            if found.status == IN_EFFECT and found.kind == PAUSE_ASSET:
                paused.add(found.asset)
        assert frozen == {k: v for k, v in expected.items() if v}
        assert {
            a.symbol for a in app.bank.iterate_assets(state) if app.bank.is_paused(state, a.symbol)
        } == paused


InterventionsMachine.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestInterventionsMachine = InterventionsMachine.TestCase
