"""Random receivables traffic on two real applications fed the same blocks.

Rules register invoices (sometimes re-using a document another supplier already
registered), confirm, transfer, offer, accept, pay and collect them, signed by
random accounts (so most are refused), and move cash so that buyers are
sometimes short at maturity. After every block:

- both nodes have the same app hash (``Network`` asserts it);
- every module invariant holds, and CNY supply equals the sum of balances, none negative;
- each invoice was paid at most once, for its face amount, to the account that
  held it at that moment (followed through the events, in order), and financed
  at most once;
- no two invoices share a document hash.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import cast

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from finchain.chain import FinchainApp
from finchain.client import builders as b
from finchain.client import receivables_builders as rb
from finchain.client.builders import Signer
from finchain.codec import RawMsg
from finchain.core.events import Event
from finchain.crypto import private_key_from_bytes
from finchain.modules.accounts.types import account_id
from tests.app.world import Network
from tests.harness import BLOCK_NS, CHAIN_ID, make_genesis
from tests.ledger import checked_holdings
from tests.testmodule import with_test_module

N = 5
FUNDS = 1_000_000
who = st.integers(1, N)
faces = st.integers(1, 700_000)
honesty = st.sampled_from([True, True, True, False])


class ReceivablesMachine(RuleBasedStateMachine):
    @initialize(
        opening=st.lists(
            st.tuples(who, st.integers(1, N - 1), faces, st.integers(3, 25)), min_size=3, max_size=6
        )
    )
    def start(self, opening: list[tuple[int, int, int, int]]) -> None:
        """A network, then invoices registered in block 1 and all but the last confirmed in 2."""
        self.dir = Path(tempfile.mkdtemp(prefix="finchain-recv-"))
        keys = [private_key_from_bytes("ed25519", bytes([n]) * 32) for n in range(1, N + 1)]
        genesis = make_genesis(keys, balances=[(i, "CNY", FUNDS) for i in range(1, N + 1)])
        self.net = Network([self.dir / "a", self.dir / "b"], with_test_module, genesis)
        self.signers = [
            Signer(CHAIN_ID, account_id(i), [("k1", k)]) for i, k in enumerate(keys, start=1)
        ]
        self.number = {account_id(i): i for i in range(1, N + 1)}
        self.pending: list[bytes] = []
        self.documents: list[bytes] = []
        self.holder: dict[int, str] = {}
        self.face: dict[int, int] = {}
        self.buyer: dict[int, str] = {}
        self.cash = {account_id(i): FUNDS for i in range(1, N + 1)}
        self.paid: set[int] = set()
        self.financed: set[int] = set()
        for supplier, other, face, blocks in opening:
            self.register(supplier, other, face, blocks)
        self.end_block()
        for invoice in list(self.app.receivables.invoices(self.app.state))[:-1]:
            self._queue(self.number[invoice.buyer], rb.confirm(invoice.id))
        self.end_block()

    @property
    def app(self) -> FinchainApp:
        return cast(FinchainApp, self.net.app)

    def _queue(self, signer: int, msg: RawMsg) -> None:
        """Add a transaction; every second one closes the block (time moves on, maturities fall)."""
        self.pending.append(self.signers[signer - 1].sign(msg))
        if len(self.pending) >= 2:
            self.end_block()

    @rule(supplier=who, other=st.integers(1, N - 1), face=faces, blocks=st.integers(1, 15))
    def register(self, supplier: int, other: int, face: int, blocks: int) -> None:
        buyer = 1 + (supplier - 1 + other) % N
        digest = hashlib.sha256(f"invoice {len(self.documents)}".encode()).digest()
        self.documents.append(digest)
        maturity = self.net.time_ns + blocks * BLOCK_NS
        reference = f"INV-{len(self.documents)}"
        msg = rb.register(account_id(buyer), "CNY", face, maturity, "sha256", digest, reference)
        self._queue(supplier, msg)

    @rule(supplier=who, which=st.integers(0, 50), blocks=st.integers(1, 6))
    def register_a_known_document(self, supplier: int, which: int, blocks: int) -> None:
        """Double registration: always refused, by whoever tries."""
        if not self.documents:
            return
        digest = self.documents[which % len(self.documents)]
        maturity = self.net.time_ns + blocks * BLOCK_NS
        msg = rb.register(account_id(1 + supplier % N), "CNY", 5, maturity, "sha256", digest, "X")
        self._queue(supplier, msg)

    def _pick(
        self, which: int, role: str, statuses: tuple[str, ...], liar: int, honest: bool
    ) -> tuple[int, int]:
        """An invoice and a signer. Honest: an invoice in one of ``statuses`` where ``role``
        names an account, signed by it; otherwise any invoice (or 99, unknown) by ``liar``."""
        invoices = list(self.app.receivables.invoices(self.app.state))
        if honest:
            fitting = [i for i in invoices if getattr(i, role) and i.status in statuses]
            if fitting:
                chosen = fitting[which % len(fitting)]
                return chosen.id, self.number[getattr(chosen, role)]
        return (invoices[which % len(invoices)].id if invoices else 99), liar

    @rule(which=st.integers(0, 50), liar=who, honest=honesty)
    def confirm(self, which: int, liar: int, honest: bool) -> None:
        invoice, signer = self._pick(which, "buyer", ("registered",), liar, honest)
        self._queue(signer, rb.confirm(invoice))

    @rule(which=st.integers(0, 50), liar=who, honest=honesty, to=who)
    def transfer(self, which: int, liar: int, honest: bool, to: int) -> None:
        invoice, signer = self._pick(which, "holder", ("confirmed", "overdue"), liar, honest)
        self._queue(signer, rb.transfer(invoice, account_id(to)))

    @rule(which=st.integers(0, 50), liar=who, honest=honesty, bank=who, cut=st.integers(0, 50))
    def offer(self, which: int, liar: int, honest: bool, bank: int, cut: int) -> None:
        """A price ``cut`` % below the face (0 %: at par; a dishonest one may exceed it)."""
        invoice, signer = self._pick(which, "holder", ("confirmed",), liar, honest)
        face = self.face.get(invoice, 100)
        price = max(face * (100 - cut) // 100, 1) if honest else face + cut
        self._queue(signer, rb.offer(invoice, account_id(bank), price))

    @rule(which=st.integers(0, 50), liar=who, honest=honesty)
    def accept_the_open_offer(self, which: int, liar: int, honest: bool) -> None:
        invoice, signer = self._pick(which, "offer_bank", ("confirmed",), liar, honest)
        found = self.app.receivables.get(self.app.state, invoice)
        price = found.offer_price if found is not None and found.offer_price else 1
        self._queue(signer, rb.accept(invoice, "CNY", price))

    @rule(which=st.integers(0, 50), bank=who, cut=st.integers(0, 30))
    def finance(self, which: int, bank: int, cut: int) -> None:
        """The holder offers, the block closes, the offered bank accepts at the offer's price."""
        self.offer(which, bank, True, bank, cut)
        self.end_block()
        self.accept_the_open_offer(which, bank, True)

    @rule(which=st.integers(0, 50), liar=who, honest=honesty)
    def pay(self, which: int, liar: int, honest: bool) -> None:
        invoice, signer = self._pick(which, "buyer", ("confirmed", "overdue"), liar, honest)
        self._queue(signer, rb.pay(invoice, "CNY", self.face.get(invoice, 1)))

    @rule(which=st.integers(0, 50), liar=who, honest=honesty)
    def collect(self, which: int, liar: int, honest: bool) -> None:
        invoice, signer = self._pick(which, "holder", ("overdue",), liar, honest)
        self._queue(signer, rb.collect(invoice))

    @rule(sender=who, recipient=who, amount=st.integers(1, 900_000))
    def move_cash(self, sender: int, recipient: int, amount: int) -> None:
        self._queue(sender, b.transfer((account_id(recipient), "CNY", amount)))

    @rule(which=st.integers(0, 50), to=st.integers(1, N - 1))
    def drain_a_buyer(self, which: int, to: int) -> None:
        """A buyer of an open claim sends away all but 1 unit: it will be short at maturity."""
        _, buyer = self._pick(which, "buyer", ("confirmed",), 1, True)
        cash = self.app.bank.spendable(self.app.state, account_id(buyer), "CNY")
        if cash > 1:
            recipient = account_id(1 + (buyer - 1 + to) % N)
            self._queue(buyer, b.transfer((recipient, "CNY", cash - 1)))

    @rule()
    def end_block(self) -> None:
        txs, self.pending = self.pending, []
        response = self.net.block(*txs)  # every node, same app hash or it fails
        for result in response.tx_results:
            self._follow(result.events)
        self._follow(response.events)
        for signer in self.signers:
            signer.nonce = self.app.accounts.nonce(self.app.state, signer.account)

    def _follow(self, events: tuple[Event, ...]) -> None:
        """Follow holders and cash through the events, in order.

        Every bank ``transfer`` moves the model's balances; an ``invoice_paid`` must
        come right after the buyer's transfer of the face amount to the holder of that
        moment, an ``invoice_financed`` right after the bank's transfer of the price to
        the seller.
        """
        last: Event | None = None
        for event in events:
            invoice = int(event.get("id") or 0)
            if event.type == "transfer":
                amount = int(event.get("amount") or 0)
                self.cash[event.get("sender") or ""] -= amount
                self.cash[event.get("recipient") or ""] += amount
                last = event
            elif event.type == "invoice_registered":
                self.holder[invoice] = event.get("supplier") or ""
                self.buyer[invoice] = event.get("buyer") or ""
                self.face[invoice] = int(event.get("amount") or 0)
            elif event.type == "invoice_transferred":
                self.holder[invoice] = event.get("recipient") or ""
            elif event.type == "invoice_financed":
                assert invoice not in self.financed, f"invoice {invoice} financed twice"
                price = int(event.get("price") or 0)
                assert 0 < price <= self.face[invoice]
                assert last is not None and (
                    last.get("sender"),
                    last.get("recipient"),
                    last.get("amount"),
                ) == (event.get("bank"), self.holder[invoice], str(price))
                self.financed.add(invoice)
                self.holder[invoice] = event.get("bank") or ""
            elif event.type == "invoice_paid":
                assert invoice not in self.paid, f"invoice {invoice} paid twice"
                assert event.get("holder") == self.holder[invoice]
                assert last is not None and (
                    last.get("sender"),
                    last.get("recipient"),
                    last.get("amount"),
                ) == (self.buyer[invoice], self.holder[invoice], str(self.face[invoice]))
                self.paid.add(invoice)

    @invariant()
    def ledger_and_claims_are_sound(self) -> None:
        if not hasattr(self, "net"):
            return
        app, state = self.app, self.app.state
        assert app.check_invariants() == []
        checked_holdings(app)
        assert app.bank.supply(state, "CNY") == N * FUNDS
        for account, expected in self.cash.items():
            assert app.bank.balance(state, account, "CNY") == expected >= 0
        invoices = list(app.receivables.invoices(state))
        assert len({i.doc_key for i in invoices}) == len(invoices)
        for found in invoices:
            assert found.holder == self.holder[found.id]
            assert (found.status == "paid") == (found.id in self.paid)
            assert found.financed == (found.id in self.financed)

    def teardown(self) -> None:
        if hasattr(self, "net"):
            self.net.close()
            shutil.rmtree(self.dir, ignore_errors=True)


ReceivablesMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestReceivablesMachine = ReceivablesMachine.TestCase
