"""Random settlement traffic on a real application, block by block.

After every block: every module invariant holds (each asset's supply equals the
sum of balances, no balance zero or negative, settlement queues follow status,
settled lots within lots); each instruction moved all of its legs for whole lots
or nothing: every balance changed by exactly the plain transfers that succeeded
plus, per instruction, (lots settled in this block / lots) of each of its legs.
At the end the same blocks are fed to a second application, which must reach the
same app hash at every height.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from finchain.app import FinalizeBlockRequest
from finchain.client import builders as b
from finchain.client import settlement_builders as sb
from finchain.modules.accounts.types import account_id
from tests.harness import CHAIN_ID, Chain
from tests.testmodule import with_test_module

N = 4
ASSETS = ("CNY", "BOND")
who = st.integers(1, N)
lots = st.sampled_from([(1, 0), (4, 1), (4, 2), (10, 3)])


class SettlementMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="finchain-settle-"))
        self.chain = Chain(self.dir / "db", n_accounts=N, funds=200_000)
        issue = self.chain.signer(1).sign(
            b.create_asset("BOND", "Bond", 0),
            b.mint("BOND", account_id(1), 500),
            b.mint("BOND", account_id(3), 500),
        )
        self.pending: list[bytes] = []
        self.effects: list[tuple[int, int, str, int] | None] = []
        self.blocks: list[tuple[int, list[bytes]]] = []
        self.hashes = [self.chain.app_hash()]
        self.refs = 0
        self._block([issue], [None], check=False)

    def _ref(self) -> str:
        self.refs += 1
        return f"R-{self.refs}"

    def _deal(
        self, seller: int, buyer: int, bonds: int, cash: int, split: tuple[int, int], due: int
    ):
        n, minimum = split
        return sb.instruction(
            self._ref(),
            "dvp",
            [
                sb.leg(account_id(seller), account_id(buyer), "BOND", bonds * n),
                sb.leg(account_id(buyer), account_id(seller), "CNY", cash * n),
            ],
            settle_height=self.chain.app.height + due if due else 0,
            deadline_height=self.chain.app.height + due + 3,
            lots=n,
            min_lots=minimum,
        )

    @rule(
        seller=who,
        buyer=who,
        bonds=st.integers(1, 60),
        cash=st.integers(1, 40_000),
        split=lots,
        sender=st.sampled_from(["seller", "buyer"]),
        due=st.integers(0, 2),
    )
    def settle(self, seller, buyer, bonds, cash, split, sender, due):
        if seller == buyer:
            return
        deal = self._deal(seller, buyer, bonds, cash, split, due)
        submitter, other = (seller, buyer) if sender == "seller" else (buyer, seller)
        endorsement = sb.endorse(CHAIN_ID, deal, self.chain.signer(other))
        self.pending.append(self.chain.signer(submitter).sign(sb.settle(deal, [endorsement])))
        self.effects.append(None)

    @rule(
        seller=who,
        buyer=who,
        bonds=st.integers(1, 60),
        cash=st.integers(1, 40_000),
        split=lots,
        due=st.integers(0, 2),
        both=st.booleans(),
    )
    def instruct(self, seller, buyer, bonds, cash, split, due, both):
        if seller == buyer:
            return
        deal = self._deal(seller, buyer, bonds, cash, split, due)
        self.pending.append(self.chain.signer(seller).sign(sb.instruct(deal, account_id(buyer))))
        self.effects.append(None)
        if both:
            self.pending.append(
                self.chain.signer(buyer).sign(sb.instruct(deal, account_id(seller)))
            )
            self.effects.append(None)

    @rule(id_=st.integers(1, 30), party=who)
    def cancel(self, id_, party):
        self.pending.append(self.chain.signer(party).sign(sb.cancel(id_)))
        self.effects.append(None)

    @rule(sender=who, recipient=who, asset=st.sampled_from(ASSETS), amount=st.integers(1, 150_000))
    def transfer(self, sender, recipient, asset, amount):
        self.pending.append(
            self.chain.signer(sender).sign(b.transfer((account_id(recipient), asset, amount)))
        )
        self.effects.append((sender, recipient, asset, amount))

    @rule()
    def end_block(self):
        txs, effects = self.pending, self.effects
        self.pending, self.effects = [], []
        self._block(txs, effects)

    def _settled_lots(self) -> dict[int, int]:
        app = self.chain.app
        return {s.id: s.settled_lots for s in app.settlement.all_settlements(app.state)}

    def _balances(self) -> dict[tuple[int, str], int]:
        return {(n, a): self.chain.balance(n, a) for n in range(1, N + 1) for a in ASSETS}

    def _block(self, txs, effects, *, check: bool = True) -> None:
        before, lots_before = self._balances(), self._settled_lots()
        results = self.chain.block(*txs)
        self.blocks.append((self.chain.time_ns, txs))
        self.hashes.append(self.chain.app_hash())
        expected = dict(before)
        for result, effect in zip(results, effects, strict=True):
            if result.ok and effect is not None:
                sender, recipient, asset, amount = effect
                expected[(sender, asset)] -= amount
                expected[(recipient, asset)] += amount
        app = self.chain.app
        for id_, settled in self._settled_lots().items():
            moved = settled - lots_before.get(id_, 0)
            assert moved >= 0
            if not moved:
                continue
            instruction = app.settlement.require(app.state, id_).instruction
            for leg in instruction.legs:
                amount = leg.amount // instruction.lots * moved
                expected[(int(leg.sender[4:]), leg.asset)] -= amount
                expected[(int(leg.recipient[4:]), leg.asset)] += amount
        if check:
            assert self._balances() == expected
        for i in range(1, N + 1):
            self.chain.signer(i).nonce = app.accounts.nonce(app.state, account_id(i))

    @invariant()
    def invariants_hold(self):
        if not hasattr(self, "chain"):
            return
        assert self.chain.app.check_invariants() == []
        assert all(v >= 0 for v in self._balances().values())

    def teardown(self):
        if not hasattr(self, "chain"):
            return
        try:
            replay = with_test_module(self.dir / "replay")
            assert replay.init_chain(self.chain.genesis).app_hash == self.hashes[0]
            for height, (time_ns, txs) in enumerate(self.blocks, start=1):
                replay.finalize_block(FinalizeBlockRequest(height, time_ns, txs))
                replay.commit()
                assert replay.info().last_app_hash == self.hashes[height], height
            replay.close()
        finally:
            self.chain.app.close()
            shutil.rmtree(self.dir, ignore_errors=True)


SettlementMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSettlementMachine = SettlementMachine.TestCase
