"""Random sequences of account and bank messages, block by block.

After every block: each module invariant holds (supply equals the sum of
balances, no stored balance is zero or negative, frozen within balance), every
nonce only grows, and CNY balances match a simple model. At the end the same
blocks are replayed into an empty database and must give the same app hash at
every height.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from finchain.app import FinalizeBlockRequest
from finchain.client import builders as b
from finchain.crypto import generate_private_key
from finchain.modules.accounts.types import account_id
from tests.harness import Chain
from tests.testmodule import with_test_module

N = 4
amounts = st.one_of(st.integers(1, 2_000_000), st.just(2**127 - 1))
who = st.integers(1, N)


class LedgerMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="finchain-sm-"))
        self.chain = Chain(self.dir / "db", n_accounts=N)
        self.pending: list[bytes] = []
        self.blocks: list[tuple[int, list[bytes]]] = []
        self.hashes: list[bytes] = [self.chain.app_hash()]
        self.model = {i: 1_000_000 for i in range(1, N + 1)}
        self.model_pending: list[tuple[str, tuple]] = []
        self.nonces = {i: 0 for i in range(1, N + 1)}
        self.closed: set[int] = set()

    def _queue(self, signer: int, *msgs, effect: tuple = ()) -> None:
        self.pending.append(self.chain.signer(signer).sign(*msgs))
        self.model_pending.append(effect)

    @rule(sender=who, recipient=who, amount=amounts)
    def transfer(self, sender, recipient, amount):
        self._queue(
            sender,
            b.transfer((account_id(recipient), "CNY", amount)),
            effect=("move", sender, recipient, amount),
        )

    @rule(sender=who, r1=who, r2=who, a1=amounts, a2=amounts)
    def transfer_two(self, sender, r1, r2, a1, a2):
        self._queue(
            sender,
            b.transfer((account_id(r1), "CNY", a1), (account_id(r2), "CNY", a2)),
            effect=("move2", sender, r1, r2, a1, a2),
        )

    @rule(to=who, amount=amounts)
    def mint(self, to, amount):
        self._queue(1, b.mint("CNY", account_id(to), amount), effect=("mint", to, amount))

    @rule(burner=who, amount=amounts)
    def burn(self, burner, amount):
        self._queue(burner, b.burn("CNY", amount), effect=("burn", burner, amount))

    @rule(owner=who)
    def add_key(self, owner):
        self._queue(
            owner, b.add_key(b.key_of(f"x{len(self.pending)}", generate_private_key("ed25519")))
        )

    @rule(owner=who)
    def close(self, owner):
        self._queue(owner, b.close_account(), effect=("close", owner))

    @rule(sender=who)
    def stale_nonce(self, sender):
        # Nonce 0 is a replay once the account has transacted; before that it is simply valid.
        self.pending.append(
            self.chain.signer(sender).sign(b.transfer((account_id(1), "CNY", 1)), nonce=0)
        )
        self.model_pending.append(("move", sender, 1, 1))

    @precondition(lambda self: True)
    @rule()
    def end_block(self):
        txs, effects = self.pending, self.model_pending
        self.pending, self.model_pending = [], []
        results = self.chain.block(*txs)
        self.blocks.append((self.chain.time_ns, txs))
        self.hashes.append(self.chain.app_hash())
        for result, effect in zip(results, effects, strict=True):
            if result.ok and effect:
                self._apply(effect)
        # Keep the local nonces in step with the chain (a failed ante does not consume one).
        for i in range(1, N + 1):
            self.chain.signer(i).nonce = self.chain.app.accounts.nonce(
                self.chain.app.state, account_id(i)
            )

    def _apply(self, effect: tuple) -> None:
        kind = effect[0]
        if kind == "move":
            _, s, r, a = effect
            self.model[s] -= a
            self.model[r] += a
        elif kind == "move2":
            _, s, r1, r2, a1, a2 = effect
            self.model[s] -= a1 + a2
            self.model[r1] += a1
            self.model[r2] += a2
        elif kind == "mint":
            self.model[effect[1]] += effect[2]
        elif kind == "burn":
            self.model[effect[1]] -= effect[2]
        elif kind == "close":
            self.closed.add(effect[1])

    @invariant()
    def invariants_hold(self):
        if not hasattr(self, "chain"):
            return
        assert self.chain.app.check_invariants() == []
        for i in range(1, N + 1):
            assert self.chain.balance(i) == self.model[i]
            assert self.model[i] >= 0
            nonce = self.chain.app.accounts.nonce(self.chain.app.state, account_id(i))
            assert nonce >= self.nonces[i]
            self.nonces[i] = nonce

    def teardown(self):
        if not hasattr(self, "chain"):
            return
        try:
            replay = with_test_module(self.dir / "replay")
            assert replay.init_chain(self.chain.genesis).app_hash == self.hashes[0]
            for height, (time_ns, txs) in enumerate(self.blocks, start=1):
                replay.finalize_block(FinalizeBlockRequest(height, time_ns, txs))
                replay.commit()
                assert replay.info().last_app_hash == self.hashes[height], (
                    f"diverged at height {height}"
                )
            replay.close()
            self.chain.app.close()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


LedgerMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedgerMachine = LedgerMachine.TestCase
