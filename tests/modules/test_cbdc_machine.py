"""The two tiers under random traffic, with the books reconciled after every block.

Account 1 is the central bank (it created ``ECNY``; governance designated it);
accounts 2 and 3 are operators (quotas 300,000 and 200,000); accounts 4..8 may be
given wallets by either operator. Rules: issue and redeem (central bank), open a
wallet, distribute (operators, to their own wallets or not), withdraw (wallet
owners), and plain bank payments between wallets. Wallets 4 (under 2) and 5 (under 3) and
100,000 issued to each operator, 50,000 of it in the wallet, exist from the start. A model of
each operator's issued amount and reserve records predicts which issue and
redeem succeed.

After every block:

- every module invariant holds (``cbdc/reconciled`` among them);
- issued by the central bank == sum of operator reserves == supply
  == sum of wallet balances + operators' float; the model matches the chain;
- the bank's supply equals the sum of balances (``checked_holdings``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from finchain.client import builders as b
from finchain.client import cbdc_builders as cb
from finchain.codec import RawMsg
from finchain.crypto import generate_private_key
from finchain.modules.accounts.types import account_id
from finchain.modules.governance.module import genesis_member, genesis_validator
from tests.harness import Chain
from tests.ledger import checked_holdings
from tests.modules.test_governance import DEFAULT_PARAMS, Gov

ECNY = "ECNY"
CB = 1
QUOTAS = {2: 300_000, 3: 200_000}
OPERATORS = st.sampled_from(sorted(QUOTAS))
OWNERS = st.sampled_from(range(4, 9))
AMOUNTS = st.integers(1, 120_000)
SMALL = st.integers(1, 40_000)
REFS = st.sampled_from(("A", "B", "C"))
A = {n: account_id(n) for n in range(1, 9)}


class CbdcMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="finchain-cbdc-"))
        keys = [generate_private_key("ed25519") for _ in range(4)]
        chain = Chain(
            self.dir / "db",
            n_accounts=8,
            validators=[genesis_validator(f"v{i}", k.public_key(), 10) for i, k in enumerate(keys)],
            governance={
                "members": [genesis_member(A[n], f"bank-{n}", 1) for n in range(1, 5)],
                "params": DEFAULT_PARAMS,
            },
        )
        self.gov = Gov(chain, keys)
        self.app = chain.app
        self.must(CB, b.create_asset(ECNY, "e-CNY", 2))
        self.gov.pass_proposal(b.exec_msg(cb.designate(A[CB], ECNY)))
        self.must(CB, *(cb.authorise(A[op], quota) for op, quota in QUOTAS.items()))
        # A running start, so that short runs still move money through both tiers.
        self.must(2, cb.open_wallet(A[4], 2))
        self.must(3, cb.open_wallet(A[5], 3))
        self.must(CB, cb.issue(A[2], 100_000, "A"), cb.issue(A[3], 100_000, "A"))
        self.must(2, cb.distribute(A[4], 50_000))
        self.must(3, cb.distribute(A[5], 50_000))
        self.reserves: dict[tuple[int, str], int] = {(2, "A"): 100_000, (3, "A"): 100_000}
        self.wallets: dict[int, int] = {4: 2, 5: 3}  # owner -> operator

    def teardown(self) -> None:
        if hasattr(self, "gov"):
            self.gov.chain.app.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def send(self, who: int, *msgs: RawMsg) -> bool:
        signer = self.gov.chain.signer(who)
        signer.nonce = self.app.accounts.nonce(self.app.state, A[who])
        (result,) = self.gov.block(signer.sign(*msgs)).tx_results
        return result.ok

    def must(self, who: int, *msgs: RawMsg) -> None:
        assert self.send(who, *msgs)

    def issued(self, op: int) -> int:
        return sum(amount for (o, _), amount in self.reserves.items() if o == op)

    def balance(self, who: int) -> int:
        return self.app.bank.balance(self.app.state, A[who], ECNY)

    @rule(op=OPERATORS, amount=AMOUNTS, ref=REFS)
    def issue(self, op: int, amount: int, ref: str) -> None:
        expected = (op, ref) not in self.reserves and self.issued(op) + amount <= QUOTAS[op]
        assert self.send(CB, cb.issue(A[op], amount, ref)) == expected
        if expected:
            self.reserves[(op, ref)] = amount

    @rule(op=OPERATORS, amount=AMOUNTS, ref=REFS)
    def redeem(self, op: int, amount: int, ref: str) -> None:
        reserve = self.reserves.get((op, ref), 0)
        expected = 0 < amount <= reserve and amount <= self.balance(op)
        assert self.send(CB, cb.redeem(A[op], amount, ref)) == expected
        if expected:
            if amount == reserve:
                del self.reserves[(op, ref)]
            else:
                self.reserves[(op, ref)] = reserve - amount

    @rule(op=OPERATORS, owner=OWNERS, tier=st.integers(1, 4))
    def open_wallet(self, op: int, owner: int, tier: int) -> None:
        assert self.send(op, cb.open_wallet(A[owner], tier)) == (owner not in self.wallets)
        self.wallets.setdefault(owner, op)

    @rule(op=OPERATORS, owner=OWNERS, amount=SMALL)
    def distribute(self, op: int, owner: int, amount: int) -> None:
        expected = self.wallets.get(owner) == op and amount <= self.balance(op)
        before = self.balance(owner)
        assert self.send(op, cb.distribute(A[owner], amount)) == expected
        assert self.balance(owner) == before + (amount if expected else 0)

    @rule(owner=OWNERS, amount=SMALL)
    def withdraw(self, owner: int, amount: int) -> None:
        expected = owner in self.wallets and amount <= self.balance(owner)
        assert self.send(owner, cb.withdraw(amount)) == expected

    @rule(payer=OWNERS, payee=OWNERS, amount=SMALL)
    def pay(self, payer: int, payee: int, amount: int) -> None:
        """A plain bank payment between wallets (of the same or different operators)."""
        if payer in self.wallets and payee in self.wallets:
            expected = amount <= self.balance(payer)
            before = self.balance(payee)
            assert self.send(payer, b.transfer((A[payee], ECNY, amount))) == expected
            if payee != payer:
                assert self.balance(payee) == before + (amount if expected else 0)

    @invariant()
    def books_reconcile(self) -> None:
        if not hasattr(self, "gov"):
            return
        assert self.app.check_invariants() == []
        holdings = checked_holdings(self.app)
        ecny = {account: bal for (account, asset), (bal, _) in holdings.items() if asset == ECNY}
        overview = self.app.query("cbdc/overview").value
        issued = int(overview["issued"])
        chain_reserves = sum(
            int(r["amount"])
            for op in QUOTAS
            for r in self.app.query("cbdc/operator", {"operator": A[op]}).value["reserve_records"]
        )
        wallets = sum(ecny.get(A[owner], 0) for owner in self.wallets)
        floats = sum(ecny.get(A[op], 0) for op in QUOTAS)
        supply = self.app.bank.supply(self.app.state, ECNY)
        assert issued == chain_reserves == supply == wallets + floats == sum(ecny.values())
        assert issued == sum(self.reserves.values())
        for op in QUOTAS:
            assert self.issued(op) <= QUOTAS[op]


CbdcMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_cbdc_machine = CbdcMachine.TestCase
