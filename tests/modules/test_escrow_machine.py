"""Random escrow traffic on two nodes fed the same blocks (hypothesis state machine).

Rules queue transactions (create with a hash lock, approvals or a time lock;
approve; release with the right or a wrong preimage; consent to cancel;
refund; transfers; compliance holds placed and lifted by another module) and
one rule ends the block. Blocks go to two applications on their own RocksDB
directories, which must reach the same app hash at every height (``Network``).

After every block: every module invariant holds (escrow's own: the frozen
amounts cover the open escrows); each asset's supply equals the sum of its
balances; no balance or frozen part is negative or above its balance; each
holding's frozen part is exactly what open escrows lock plus the compliance
holds in force; the escrow module's locked totals equal the open escrows'
amounts. And a transfer of one unit more than an account's spendable balance
always fails: no locked amount is ever spent.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from finchain.client import builders as b
from finchain.client import escrow_builders as esb
from finchain.client.builders import Signer
from finchain.codec import RawMsg
from finchain.crypto import generate_private_key
from finchain.modules.accounts.types import account_id
from finchain.modules.bank.errors import ErrInsufficientFunds
from tests.app.world import Network
from tests.harness import CHAIN_ID, make_genesis
from tests.ledger import checked_holdings
from tests.modules.escrow_support import escrow_app, hold, lift

N = 4
FUNDS = 10_000
who = st.integers(1, N)
amounts = st.integers(1, 6_000)
picks = st.integers(0, 30)


class EscrowMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="finchain-escrow-sm-"))
        keys = [generate_private_key("ed25519") for _ in range(N)]
        genesis = make_genesis(keys, balances=[(i, "CNY", FUNDS) for i in range(1, N + 1)])
        self.net = Network([self.dir / "a", self.dir / "b"], escrow_app, genesis)
        self.signers = {
            i: Signer(CHAIN_ID, account_id(i), [("k1", keys[i - 1])]) for i in range(1, N + 1)
        }
        self.pending: list[bytes] = []
        self.hold_effects: list[tuple[int, int] | None] = []
        self.holds = dict.fromkeys(range(1, N + 1), 0)
        self.secrets: dict[str, bytes] = {}
        self.counter = 0
        # every run starts with open escrows of each kind, so settling rules have work at once
        for payer, kind in ((1, "hash"), (2, "approve"), (3, "time"), (4, "hash")):
            self.create(payer, 1 + payer % N, 1_000 * payer, kind, 3 + payer)
        self.end_block()

    # -- helpers ----------------------------------------------------------------------------

    @property
    def app(self):  # type: ignore[no-untyped-def]
        return self.net.app

    def _queue(self, signer: int, msg: RawMsg, hold_effect: tuple[int, int] | None = None) -> None:
        self.pending.append(self.signers[signer].sign(msg))
        self.hold_effects.append(hold_effect)

    def _escrow_id(self, pick: int) -> int:
        """Mostly an open escrow; sometimes a closed one, or an id not given yet."""
        state = self.app.state
        next_id = self.app.escrow.next_id(state)
        opened = [e.id for e in self.app.escrow.escrows(state) if e.is_open]
        if pick == 0 or next_id == 1:
            return next_id
        if pick == 1 or not opened:
            return 1 + pick % (next_id - 1)
        return opened[pick % len(opened)]

    # -- rules ------------------------------------------------------------------------------

    @rule(
        payer=who,
        payee=who,
        amount=amounts,
        kind=st.sampled_from(["hash", "approve", "time"]),
        expiry=st.integers(1, 12),
    )
    def create(self, payer, payee, amount, kind, expiry):
        self.counter += 1
        reference = f"r{self.counter}"
        height = self.app.height
        terms: dict = {"expiry_height": height + 1 + expiry, "reference": reference}
        if kind == "hash":
            secret = f"secret-{self.counter}".encode()
            self.secrets[reference] = secret
            terms["hash_lock"] = esb.hash_lock("sha256", secret)
        elif kind == "approve":
            terms |= {"approvers": [account_id(i) for i in range(1, N + 1)], "threshold": 2}
        else:
            terms["not_before_height"] = height + 1 + expiry // 2
        self._queue(payer, esb.create(account_id(payee), "CNY", amount, **terms))

    @rule(approver=who, pick=picks)
    def approve(self, approver, pick):
        self._queue(approver, esb.approve(self._escrow_id(pick)))

    @rule(releaser=who, pick=picks, right=st.booleans())
    def release(self, releaser, pick, right):
        """With ``right``, an open hash-locked escrow and its secret, when there is one."""
        locked = [
            e.id
            for e in self.app.escrow.escrows(self.app.state)
            if e.is_open and e.reference in self.secrets
        ]
        escrow_id = locked[pick % len(locked)] if right and locked else self._escrow_id(pick)
        found = self.app.escrow.get(self.app.state, escrow_id)
        secret = self.secrets.get(found.reference, b"") if found is not None else b""
        self._queue(releaser, esb.release(escrow_id, preimage=secret if right else b"wrong"))

    @rule(role=st.sampled_from(["payer", "payee", "other"]), pick=picks)
    def cancel(self, role, pick):
        escrow_id = self._escrow_id(pick)
        found = self.app.escrow.get(self.app.state, escrow_id)
        numbers = {account_id(i): i for i in range(1, N + 1)}
        if found is None:
            party = 1
        elif role == "other":
            party = min(i for a, i in numbers.items() if a not in (found.payer, found.payee))
        else:
            party = numbers[found.payer if role == "payer" else found.payee]
        self._queue(party, esb.cancel(escrow_id))

    @rule(anyone=who, pick=picks)
    def refund(self, anyone, pick):
        self._queue(anyone, esb.refund(self._escrow_id(pick)))

    @rule(sender=who, recipient=who, amount=amounts)
    def transfer(self, sender, recipient, amount):
        self._queue(sender, b.transfer((account_id(recipient), "CNY", amount)))

    @rule(account=who, amount=st.integers(1, 3_000))
    def compliance_hold(self, account, amount):
        self._queue(1, hold(account_id(account), amount), (account, amount))

    @rule(account=who)
    def compliance_lift(self, account):
        """Lift the holds in force (once per block: a stand-in that lifts only what it held)."""
        lifting = any(e is not None and e[0] == account and e[1] < 0 for e in self.hold_effects)
        if self.holds[account] and not lifting:
            amount = self.holds[account]
            self._queue(1, lift(account_id(account), amount), (account, -amount))

    @rule()
    def end_block(self):
        txs, effects = self.pending, self.hold_effects
        self.pending, self.hold_effects = [], []
        results = self.net.block(*txs).tx_results
        for result, effect in zip(results, effects, strict=True):
            if result.ok and effect is not None:
                self.holds[effect[0]] += effect[1]
        for signer in self.signers.values():
            signer.nonce = self.app.accounts.nonce(self.app.state, signer.account)

    @rule(account=who)
    def spend_locked(self, account):
        """Alone in a block: one unit more than spendable must fail and move nothing (end_block
        may still refund an escrow due at this height: that only unfreezes)."""
        self.end_block()
        bank, state = self.app.bank, self.app.state
        holding = bank.holding(state, account_id(account), "CNY")
        spendable = holding[0] - holding[1]
        if not holding[1]:
            return
        raw = self.signers[account].sign(
            b.transfer((account_id(1 + account % N), "CNY", spendable + 1))
        )
        (result,) = self.net.block(raw).tx_results
        self.signers[account].nonce = self.app.accounts.nonce(self.app.state, account_id(account))
        assert (result.codespace, result.code) == ("bank", ErrInsufficientFunds.code), result.log
        assert bank.balance(self.app.state, account_id(account), "CNY") == holding[0]

    # -- after every step -------------------------------------------------------------------

    @invariant()
    def ledger_and_escrow_agree(self):
        if not hasattr(self, "net"):
            return
        app, state = self.app, self.app.state
        assert app.check_invariants() == []
        holdings = {a: held for (a, s), held in checked_holdings(app).items() if s == "CNY"}
        open_sums: dict[str, int] = {}
        for escrow in app.escrow.escrows(state):
            if escrow.is_open:
                open_sums[escrow.payer] = open_sums.get(escrow.payer, 0) + escrow.amount
        locked = {a: amount for a, _s, amount in app.escrow.all_locked(state)}
        assert locked == open_sums
        for i in range(1, N + 1):
            account = account_id(i)
            frozen = holdings.get(account, (0, 0))[1]
            assert frozen == open_sums.get(account, 0) + self.holds[i]
            assert self.holds[i] >= 0

    def teardown(self):
        if hasattr(self, "net"):
            self.net.close()
            shutil.rmtree(self.dir, ignore_errors=True)


EscrowMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEscrowMachine = EscrowMachine.TestCase
