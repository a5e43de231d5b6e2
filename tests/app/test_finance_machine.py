"""The finance modules together: random traffic over bank, escrow, settlement, netting and
lending on two real applications fed the same blocks (a hypothesis state machine).

Accounts 1..5 trade CNY and GOLD; account 6 is the price oracle, appointed by a
governance proposal at the start. Rules queue transactions (one per account per
block; a second one from the same account closes the block first): transfers,
escrows (hash-locked, approved, time-locked; released, cancelled, refunded, left
to expire), DvP instructions settled in one endorsed transaction or matched from
two sides (with or without the funds, so some stay pending, settle later or
fail at their deadline), netting cycles with obligations beyond the members'
means (closed with shortfalls), and loans (offer, accept, repay, top up). GOLD
is at once collateral, escrowed and delivered, so the modules compete for it.

After every block:

- every module invariant of both applications holds;
- every asset's supply equals the sum of its balances, nothing is negative;
- each (account, asset)'s frozen amount is exactly what the open escrows lock
  plus the collateral of active loans (read from the escrow and lending views;
  collateral held through an escrow of the lending module is counted once), and
  no balance is below its frozen part;
- the balances moved exactly as the block's ``coin_spent`` / ``coin_received``
  events say, and every settlement instruction moved all its legs or none:
  each ``settlement_settled`` event comes right after one transfer per leg,
  each ``settlement_pending`` / ``settlement_failed`` after no transfer at all,
  and an instruction is ``settled`` exactly when its ``settled`` event was seen.

A transfer of one unit more than an account's spendable balance always fails
(no locked amount is spent). At the end the whole block list is replayed on a
fresh application, which must reach the same app hash at every height, and the
final state, exported as a genesis and imported by another fresh application,
must come back entry by entry.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from finchain.app import Genesis
from finchain.app.chainstate import CHAIN
from finchain.chain import FinchainApp
from finchain.client import builders as b
from finchain.client import escrow_builders as esb
from finchain.client import lending_builders as lb
from finchain.client import netting_builders as nb
from finchain.client import settlement_builders as sb
from finchain.client.builders import Signer
from finchain.codec import RawMsg
from finchain.core.events import Event
from finchain.modules.bank.errors import ErrInsufficientFunds
from finchain.modules.escrow.types import Escrow
from finchain.modules.settlement.types import Instruction
from tests.app.world import A, World
from tests.harness import CHAIN_ID
from tests.ledger import checked_holdings

PARTIES = st.integers(1, 5)
ORACLE = 6
ASSETS = ("CNY", "GOLD")
S = 10**9
NUMBER = {A[n]: n for n in range(1, 7)}
picks = st.integers(0, 30)
BANK_MOVES = ("coin_spent", "coin_received", "transfer")


def _attrs(event: Event) -> dict[str, str]:
    return dict(event.attributes)


def _other(party: int, other: int) -> int:
    """``other``, or the next party when it is ``party`` itself."""
    return other if other != party else 1 + party % 5


class FinanceMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        """Oracle appointed by governance, GOLD minted to every party, a first price."""
        self.dir = Path(tempfile.mkdtemp(prefix="finchain-finance-"))
        self.world = World(self.dir, FinchainApp, nodes=2)
        self.world.govern(lb.appoint_oracle(A[ORACLE], 10**6))
        self.world.block(self.world.tx(1, b.create_asset("GOLD", "Gold", 0)))
        self.world.block(self.world.tx(1, *(b.mint("GOLD", A[n], 200_000) for n in range(1, 6))))
        self.world.block(self._price(1, 1))
        now = self.world.net.time_ns
        self.world.block(
            self.world.tx(1, self._offer(2, 50_000, 2_500, "bullet", [now + 30 * S], 3)),
            self.world.tx(
                3,
                nb.open_cycle(
                    "CNY", [A[n] for n in (1, 2, 3, 4)], close_height=self.app.height + 6
                ),
            ),
        )
        self.world.block(
            self.world.tx(2, lb.accept(1)),
            self.world.tx(1, nb.submit(1, "CNY", [(A[2], 900_000), (A[3], 400_000)])),
            self.world.tx(4, nb.submit(1, "CNY", [(A[1], 700_000)])),
        )
        self.pending: list[bytes] = []
        self.senders: set[int] = set()
        self.secrets: dict[str, bytes] = {}
        self.counter = 0
        self.settled_seen: set[int] = set()
        self.before = self._holdings()

    def teardown(self) -> None:
        if not hasattr(self, "world"):
            return
        try:
            self._replay()
            self._export_import()
        finally:
            self.world.net.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def _replay(self) -> None:
        """A fresh node fed the recorded blocks reaches the recorded app hash at every height."""
        fresh = FinchainApp(self.dir / "replay")
        try:
            fresh.init_chain(self.world.genesis)
            for request, app_hash in self.world.net.history:
                got = fresh.finalize_block(request).app_hash
                fresh.commit()
                assert got == app_hash, f"replay diverges at height {request.height}"
        finally:
            fresh.close()

    def _export_import(self) -> None:
        """The final state exported as a genesis and imported by a fresh node: every entry
        equal (but the chain's identity), whatever the traffic left open or half done."""
        source = self.app
        genesis = Genesis.from_json_obj(json.loads(json.dumps(source.export().to_json_obj())))
        target = FinchainApp(self.dir / "imported")
        try:
            target.init_chain(genesis)
            before, after = dict(source.state.iterate(b"")), dict(target.state.iterate(b""))
            before.pop(CHAIN.key), after.pop(CHAIN.key)
            changed = sorted(
                k for k in before.keys() | after.keys() if before.get(k) != after.get(k)
            )
            assert not changed, changed[:5]
            assert target.check_invariants() == []
        finally:
            target.close()

    # -- helpers ----------------------------------------------------------------------------

    @property
    def app(self) -> FinchainApp:
        return self.world.app  # type: ignore[return-value]

    def _price(self, numerator: int, denominator: int) -> bytes:
        observed = self.world.net.time_ns + S
        return self.world.tx(ORACLE, lb.post_price("GOLD", "CNY", numerator, denominator, observed))

    def _signer(self, who: int) -> Signer:
        return Signer(CHAIN_ID, A[who], [("k1", self.world.keys[who - 1])])

    def _queue(self, who: int, msg: RawMsg) -> None:
        """Add ``who``'s tx to the block being built (closing it first if ``who`` has one)."""
        if who in self.senders:
            self.end_block()
        self.pending.append(self.world.tx(who, msg))
        self.senders.add(who)

    def _reference(self) -> str:
        self.counter += 1
        return f"R{self.counter}"

    def _holdings(self) -> dict[tuple[str, str], tuple[int, int]]:
        return {(a, s): (bal, fr) for a, s, bal, fr in self.app.bank.all_holdings(self.app.state)}

    def _pick_loan(self, status: str, pick: int) -> tuple[int, int] | None:
        found = [loan for loan in self.app.lending.loans(self.app.state) if loan.status == status]
        if not found:
            return None
        loan = found[pick % len(found)]
        return loan.id, NUMBER[loan.borrower]

    def _open_escrow(self, pick: int) -> Escrow | None:
        """An open escrow that transactions may settle (not one a module controls, such as
        lending's collateral escrows: the escrow tests show those refuse, escrow:24)."""
        escrows = self.app.escrow.escrows(self.app.state)
        opened = [e for e in escrows if e.is_open and not e.controller]
        return opened[pick % len(opened)] if opened else None

    # -- block ------------------------------------------------------------------------------

    @rule()
    def end_block(self) -> None:
        txs, self.pending, self.senders = self.pending, [], set()
        response = self.world.net.block(*txs)
        streams = [result.events for result in response.tx_results] + [response.events]
        after = self._holdings()
        self._check_moves(self.before, after, streams)
        for stream in streams:
            self._check_settlements(stream)
        self.before = after

    def _check_moves(
        self,
        before: dict[tuple[str, str], tuple[int, int]],
        after: dict[tuple[str, str], tuple[int, int]],
        streams: Iterable[tuple[Event, ...]],
    ) -> None:
        """Balances changed by exactly what the block's coin events report."""
        delta: dict[tuple[str, str], int] = {}
        for stream in streams:
            for event in stream:
                if event.type in ("coin_spent", "coin_received"):
                    at = _attrs(event)
                    sign = -1 if event.type == "coin_spent" else 1
                    key = (at["account"], at["asset"])
                    delta[key] = delta.get(key, 0) + sign * int(at["amount"])
        for key in before.keys() | after.keys() | delta.keys():
            moved = after.get(key, (0, 0))[0] - before.get(key, (0, 0))[0]
            assert moved == delta.get(key, 0), (key, moved, delta.get(key, 0))

    def _check_settlements(self, stream: tuple[Event, ...]) -> None:
        """Each settled instruction right after its legs' transfers; a failed try after none."""
        state = self.app.state
        run: list[Event] = []
        for event in stream:
            if event.type in BANK_MOVES:
                run.append(event)
                continue
            if event.type == "settlement_settled":
                id_ = int(_attrs(event)["id"])
                assert id_ not in self.settled_seen, f"instruction {id_} settled twice"
                self.settled_seen.add(id_)
                found = self.app.settlement.require(state, id_)
                legs = [
                    (leg.sender, leg.recipient, leg.asset, str(leg.amount))
                    for leg in found.instruction.legs
                ]
                moved = [
                    (at["sender"], at["recipient"], at["asset"], at["amount"])
                    for at in (_attrs(e) for e in run if e.type == "transfer")
                ]
                assert moved == legs, (id_, moved, legs)
            elif event.type in ("settlement_pending", "settlement_failed"):
                assert not run, f"{event.type} after transfers: {run}"
            run = []

    # -- bank -------------------------------------------------------------------------------

    @rule(
        sender=PARTIES,
        recipient=PARTIES,
        asset=st.sampled_from(ASSETS),
        amount=st.integers(1, 150_000),
    )
    def transfer(self, sender, recipient, asset, amount):
        self._queue(sender, b.transfer((A[_other(sender, recipient)], asset, amount)))

    @rule(account=PARTIES, asset=st.sampled_from(ASSETS))
    def spend_locked(self, account, asset):
        """Alone in a block: one unit more than spendable fails and moves nothing."""
        self.end_block()
        balance, frozen = self.app.bank.holding(self.app.state, A[account], asset)
        if not frozen:
            return
        spendable = balance - frozen
        self._queue(account, b.transfer((A[1 + account % 5], asset, spendable + 1)))
        txs, self.pending, self.senders = self.pending, [], set()
        response = self.world.net.block(*txs)
        (result,) = response.tx_results
        assert (result.codespace, result.code) == ("bank", ErrInsufficientFunds.code), result.log
        after = self._holdings()
        self._check_moves(self.before, after, [result.events, response.events])
        self._check_settlements(response.events)
        self.before = after

    # -- escrow -----------------------------------------------------------------------------

    @rule(
        payer=PARTIES,
        payee=PARTIES,
        asset=st.sampled_from(ASSETS),
        amount=st.integers(1, 120_000),
        kind=st.sampled_from(["hash", "approve", "time"]),
        expiry=st.integers(1, 10),
    )
    def escrow_create(self, payer, payee, asset, amount, kind, expiry):
        reference = self._reference()
        height = self.app.height
        terms: dict = {"expiry_height": height + 1 + expiry, "reference": reference}
        if kind == "hash":
            secret = f"secret-{reference}".encode()
            self.secrets[reference] = secret
            terms["hash_lock"] = esb.hash_lock("sha256", secret)
        elif kind == "approve":
            terms |= {"approvers": [A[n] for n in (1, 2, 3)], "threshold": 2}
        else:
            terms["not_before_height"] = height + 1 + expiry // 2
        self._queue(payer, esb.create(A[_other(payer, payee)], asset, amount, **terms))

    @rule(approver=st.integers(1, 3), pick=picks)
    def escrow_approve(self, approver, pick):
        found = self._open_escrow(pick)
        if found is not None:
            self._queue(approver, esb.approve(found.id))

    @rule(releaser=PARTIES, pick=picks)
    def escrow_release(self, releaser, pick):
        found = self._open_escrow(pick)
        if found is not None:
            secret = self.secrets.get(found.reference, b"")
            self._queue(releaser, esb.release(found.id, preimage=secret))

    @rule(pick=picks, by_payee=st.booleans())
    def escrow_cancel(self, pick, by_payee):
        found = self._open_escrow(pick)
        if found is not None:
            self._queue(NUMBER[found.payee if by_payee else found.payer], esb.cancel(found.id))

    @rule(anyone=PARTIES, pick=picks)
    def escrow_refund(self, anyone, pick):
        found = self._open_escrow(pick)
        if found is not None:
            self._queue(anyone, esb.refund(found.id))

    # -- settlement -------------------------------------------------------------------------

    def _dvp(
        self, seller: int, buyer: int, quantity: int, price: int, later: int, deadline: int
    ) -> Instruction:
        """Seller's GOLD against buyer's CNY, due ``later`` blocks on, failing ``deadline``
        blocks after that."""
        height = self.app.height
        return sb.instruction(
            self._reference(),
            "dvp",
            [
                sb.leg(A[seller], A[buyer], "GOLD", quantity),
                sb.leg(A[buyer], A[seller], "CNY", price),
            ],
            settle_height=height + 1 + later if later else 0,
            deadline_height=height + 2 + later + deadline,
        )

    @rule(
        seller=PARTIES,
        buyer=PARTIES,
        quantity=st.integers(1, 150_000),
        price=st.integers(1, 900_000),
        later=st.integers(0, 3),
        deadline=st.integers(0, 6),
    )
    def dvp_endorsed(self, seller, buyer, quantity, price, later, deadline):
        """One transaction by the seller, endorsed by the buyer (due now or later)."""
        buyer = _other(seller, buyer)
        deal = self._dvp(seller, buyer, quantity, price, later, deadline)
        endorsement = sb.endorse(CHAIN_ID, deal, self._signer(buyer))
        self._queue(seller, sb.settle(deal, [endorsement]))

    @rule(
        seller=PARTIES,
        buyer=PARTIES,
        quantity=st.integers(1, 150_000),
        price=st.integers(1, 900_000),
        later=st.integers(0, 3),
        deadline=st.integers(0, 6),
        both=st.booleans(),
    )
    def dvp_matched(self, seller, buyer, quantity, price, later, deadline, both):
        """Each side instructs; with ``both`` false only the seller does (it will expire)."""
        buyer = _other(seller, buyer)
        deal = self._dvp(seller, buyer, quantity, price, later, deadline)
        self._queue(seller, sb.instruct(deal, A[buyer]))
        if both:
            self._queue(buyer, sb.instruct(deal, A[seller]))

    @rule(pick=picks, party=st.integers(0, 1))
    def settlement_cancel(self, pick, party):
        opened = [
            s
            for s in self.app.settlement.all_settlements(self.app.state)
            if s.status not in ("settled", "cancelled", "expired", "failed")
        ]
        if opened:
            found = opened[pick % len(opened)]
            leg = found.instruction.legs[0]
            self._queue(NUMBER[leg.sender if party else leg.recipient], sb.cancel(found.id))

    # -- netting ----------------------------------------------------------------------------

    @rule(
        operator=PARTIES,
        members=st.sets(PARTIES, min_size=2, max_size=5),
        close=st.integers(3, 8),
    )
    def netting_open(self, operator, members, close):
        msg = nb.open_cycle(
            "CNY", [A[n] for n in sorted(members)], close_height=self.app.height + close
        )
        self._queue(operator, msg)

    @rule(
        pick=picks,
        payer=picks,
        obligations=st.lists(st.tuples(picks, st.integers(1, 900_000)), min_size=1, max_size=3),
    )
    def netting_submit(self, pick, payer, obligations):
        """Obligations of a member of an open cycle to other members (often beyond its means)."""
        cycles = [
            c
            for c in self.app.netting.cycles(self.app.state)
            if c.close_height > self.app.height + 1
        ]
        if not cycles:
            return
        cycle = cycles[pick % len(cycles)]
        members = list(cycle.members)
        sender = members[payer % len(members)]
        others = [m for m in members if m != sender]
        items = [(others[k % len(others)], amount) for k, amount in obligations]
        self._queue(NUMBER[sender], nb.submit(cycle.id, "CNY", items))

    # -- lending ----------------------------------------------------------------------------

    def _offer(
        self, borrower: int, principal: int, rate: int, schedule: str, due: list[int], cover: int
    ) -> RawMsg:
        """Collateral ``cover`` times the principal in GOLD (priced around 1 CNY a unit)."""
        return lb.offer(
            A[borrower],
            "CNY",
            principal,
            rate_bps=rate,
            schedule=schedule,
            due_times=due,
            collateral_asset="GOLD",
            collateral=principal * cover,
            max_ltv_bps=6_000,
            margin_ltv_bps=8_000,
            margin_cure_s=3,
            grace_s=2,
        )

    @rule(
        lender=PARTIES,
        borrower=PARTIES,
        principal=st.integers(1, 100_000),
        rate=st.integers(0, 3_000),
        schedule=st.sampled_from(["bullet", "equal_principal"]),
        count=st.integers(1, 3),
        gap=st.integers(2, 6),
        cover=st.sampled_from([1, 2, 2, 3, 4]),
        accept=st.booleans(),
    )
    def loan_offer(self, lender, borrower, principal, rate, schedule, count, gap, cover, accept):
        """Cover 1 is above the 60% LTV limit at a price of 1 (refused at acceptance); with
        ``accept`` the borrower accepts in the next block."""
        borrower = _other(lender, borrower)
        now = self.world.net.time_ns
        due = [now + 6 * S + k * gap * S for k in range(count)]
        self._queue(lender, self._offer(borrower, principal, rate, schedule, due, cover))
        if accept:
            self.end_block()
            self._queue(borrower, lb.accept(self.app.lending.next_id(self.app.state) - 1))

    @rule(pick=picks)
    def loan_accept(self, pick):
        chosen = self._pick_loan("offered", pick)
        if chosen is not None:
            self._queue(chosen[1], lb.accept(chosen[0]))

    @rule(pick=picks, amount=st.integers(1, 60_000))
    def loan_repay(self, pick, amount):
        chosen = self._pick_loan("active", pick)
        if chosen is not None:
            self._queue(chosen[1], lb.repay(chosen[0], "CNY", amount))

    @rule(pick=picks, amount=st.integers(1, 100_000))
    def loan_top_up(self, pick, amount):
        chosen = self._pick_loan("active", pick)
        if chosen is not None:
            self._queue(chosen[1], lb.add_collateral(chosen[0], amount))

    @rule(numerator=st.integers(1, 6))
    def price(self, numerator):
        """GOLD at ``numerator`` / 4 CNY: below 1/2, most loans get a margin call."""
        if ORACLE in self.senders:
            self.end_block()
        self.pending.append(self._price(numerator, 4))
        self.senders.add(ORACLE)

    @rule(seconds=st.integers(1, 20), numerator=st.none() | st.integers(1, 6))
    def wait(self, seconds, numerator):
        """Close the block ``seconds`` later (with a new price, if ``numerator``): due dates,
        deadlines, expiries and margin-call deadlines arrive."""
        if numerator is not None:
            self.price(numerator)
        self.world.net.time_ns += (seconds - 1) * S
        self.end_block()

    # -- after every step -------------------------------------------------------------------

    @invariant()
    def ledger_holds(self) -> None:
        if not hasattr(self, "world"):
            return
        for app in self.world.net.apps:
            assert app.check_invariants() == []
        app, state = self.app, self.app.state
        frozen = {key: locked for key, (_, locked) in checked_holdings(app).items() if locked}
        expected: dict[tuple[str, str], int] = {}

        def add(key: tuple[str, str], amount: int) -> None:
            expected[key] = expected.get(key, 0) + amount
            if not expected[key]:
                del expected[key]

        for escrow in app.escrow.escrows(state):
            if escrow.is_open and escrow.controller != "lending":
                add((escrow.payer, escrow.asset), escrow.amount)
        for loan in app.lending.loans(state):
            assert loan.outstanding >= 0 and loan.interest_carried >= 0
            if loan.status == "active":
                add((loan.borrower, loan.collateral_asset), loan.collateral)
        assert frozen == expected
        settled = {s.id for s in app.settlement.all_settlements(state) if s.status == "settled"}
        assert settled == self.settled_seen


FinanceMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestFinanceMachine = FinanceMachine.TestCase
