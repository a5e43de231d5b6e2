"""Netting on random obligation graphs, the pure rule and through a real chain.

- ``clear`` against a from-scratch reference of the documented rule (recompute every
  net each round): same removals, same nets; it terminates within one round per
  obligation; every remaining net debtor can pay; nets sum to zero.
- ``pair_transfers`` moves exactly the nets.
- On a real chain: balances change by exactly the settled nets, the report's
  liquidity saved is gross - net >= 0, and a second app fed the same blocks
  reaches the same app hash.
- A state machine over cycles, obligations, mints and transfers: after every block
  supply equals the sum of balances, nothing is negative, module invariants hold;
  a replay gives the same app hash at every height.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from finchain.app import FinalizeBlockRequest
from finchain.client import builders as b
from finchain.client import netting_builders as nb
from finchain.modules.accounts.types import account_id
from finchain.modules.netting.clearing import Obligation, clear, net_positions, pair_transfers
from finchain.modules.netting.types import PAYER_SHORT
from tests.harness import Chain
from tests.ledger import checked_holdings
from tests.testmodule import with_test_module

MEMBERS = [f"m{i}" for i in range(6)]


def reference_clear(
    members: list[str], obligations: list[Obligation], liquidity: dict[str, int]
) -> tuple[dict[str, int], list[Obligation]]:
    """The rule as documented, naively: recompute all nets every round."""
    remaining = list(obligations)
    removed = []
    while True:
        nets = net_positions(members, remaining)
        short = [m for m in sorted(members) if -nets[m] > liquidity[m]]
        if not short:
            return nets, removed
        latest = max(
            (o for o in remaining if o.payer == short[0]), key=lambda o: (o.batch, o.index)
        )
        remaining.remove(latest)
        removed.append(latest)


@st.composite
def graphs(draw, max_obligations: int = 40):
    n = draw(st.integers(2, len(MEMBERS)))
    members = MEMBERS[:n]
    pairs = st.tuples(st.sampled_from(members), st.sampled_from(members)).filter(
        lambda p: p[0] != p[1]
    )
    edges = draw(st.lists(st.tuples(pairs, st.integers(1, 1_000)), max_size=max_obligations))
    obligations = [
        Obligation(i // 3, i % 3, payer, payee, amount)
        for i, ((payer, payee), amount) in enumerate(edges)
    ]
    liquidity = {m: draw(st.integers(0, 2_000)) for m in members}
    return members, obligations, liquidity


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_clear_follows_the_documented_rule_and_terminates(graph):
    members, obligations, liquidity = graph
    outcome = clear(members, obligations, liquidity)
    ref_nets, ref_removed = reference_clear(members, obligations, liquidity)
    assert outcome.nets == ref_nets
    assert [ob for ob, _ in outcome.removed] == ref_removed
    assert all(reason == PAYER_SHORT for _, reason in outcome.removed)
    assert len(outcome.removed) <= len(obligations)  # one obligation per round
    assert sum(outcome.nets.values()) == 0
    assert all(-net <= liquidity[m] for m, net in outcome.nets.items())
    removed = {(ob.batch, ob.index) for ob, _ in outcome.removed}
    remaining = [ob for ob in obligations if (ob.batch, ob.index) not in removed]
    assert outcome.nets == net_positions(members, remaining)
    assert outcome.gross == sum(ob.amount for ob in remaining)
    assert outcome.gross - outcome.net >= 0
    again = clear(members, obligations, liquidity)
    assert (again.nets, again.removed) == (outcome.nets, outcome.removed)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-1_000, 1_000), min_size=1, max_size=12))
def test_pair_transfers_move_exactly_the_nets(values):
    values.append(-sum(values))
    nets = {f"m{i:02}": v for i, v in enumerate(values)}
    moved = dict.fromkeys(nets, 0)
    transfers = pair_transfers(nets)
    for payer, payee, amount in transfers:
        assert amount > 0 and nets[payer] < 0 < nets[payee]
        moved[payer] -= amount
        moved[payee] += amount
    assert moved == nets
    sides = sum(1 for v in values if v)
    assert len(transfers) <= max(sides - 1, 0)


N = 5
ACCOUNTS = [account_id(i) for i in range(1, N + 1)]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    funds=st.lists(st.integers(0, 3_000), min_size=N, max_size=N),
    edges=st.lists(
        st.tuples(st.integers(1, N), st.integers(1, N), st.integers(1, 2_000)), max_size=30
    ),
)
def test_chain_settles_exactly_the_nets_and_replays(tmp_path_factory, funds, edges):
    base = tmp_path_factory.mktemp("net")
    chain = Chain(base / "db", n_accounts=N + 1, funds=0)
    blocks: list[tuple[int, list[bytes]]] = []

    def block(*txs: bytes) -> None:
        results = chain.block(*txs)
        blocks.append((chain.time_ns, list(txs)))
        assert all(r.ok for r in results), [r.log for r in results]

    block(
        *[
            chain.signer(1).sign(b.mint("CNY", a, f))
            for a, f in zip(ACCOUNTS, funds, strict=True)
            if f
        ]
    )
    block(chain.signer(N + 1).sign(nb.open_cycle("CNY", ACCOUNTS, close_height=6)))
    per_payer: dict[int, list[tuple[str, int]]] = {}
    for payer, payee, amount in edges:
        if payer != payee:
            per_payer.setdefault(payer, []).append((account_id(payee), amount))
    txs = [chain.signer(p).sign(nb.submit(1, "CNY", obs)) for p, obs in sorted(per_payer.items())]
    block(*txs[:2])
    block(*txs[2:])
    before = {a: chain.balance(a) for a in ACCOUNTS}
    while chain.app.height < 6:
        block()
    answer = chain.app.query("netting/cycle", {"cycle": 1}).value
    assert answer["status"] == "settled"
    positions = {a: int(n) for a, n in answer["positions"].items()}
    assert {a: chain.balance(a) - before[a] for a in ACCOUNTS} == positions
    assert sum(positions.values()) == 0
    report = answer["report"]
    gross, net, saved = int(report["gross"]), int(report["net"]), int(report["saved"])
    assert saved == gross - net >= 0
    assert net == sum(-n for n in positions.values() if n < 0)
    obligations = [  # batch k: the k-th submit included (one per payer, in payer order)
        Obligation(k, i, account_id(p), payee, amount)
        for k, (p, obs) in enumerate(sorted(per_payer.items()))
        for i, (payee, amount) in enumerate(obs)
    ]
    expected = clear(sorted(ACCOUNTS), obligations, {a: before[a] for a in ACCOUNTS})
    assert positions == expected.nets
    assert chain.app.check_invariants() == []
    replay = with_test_module(base / "replay")
    replay.init_chain(chain.genesis)
    for height, (time_ns, txs) in enumerate(blocks, start=1):
        replay.finalize_block(FinalizeBlockRequest(height, time_ns, txs))
        replay.commit()
    assert replay.info().last_app_hash == chain.app_hash()
    replay.close()
    chain.app.close()


class NettingMachine(RuleBasedStateMachine):
    """Cycles, obligations (some refused), mints and transfers; blocks close cycles."""

    @initialize()
    def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="finchain-netting-"))
        self.chain = Chain(self.dir / "db", n_accounts=N, funds=1_000)
        self.pending: list[bytes] = []
        self.blocks: list[tuple[int, list[bytes]]] = []
        self.hashes = [self.chain.app_hash()]
        self.cycles = 0

    def _queue(self, signer: int, msg) -> None:
        self.pending.append(self.chain.signer(signer).sign(msg))

    @rule(
        operator=st.integers(1, N),
        members=st.one_of(
            st.just(frozenset(range(1, N + 1))), st.sets(st.integers(1, N), min_size=2)
        ),
        blocks=st.integers(1, 5),
    )
    def open_cycle(self, operator, members, blocks):
        close = self.chain.app.height + 1 + blocks
        accounts = [account_id(m) for m in members]
        self._queue(operator, nb.open_cycle("CNY", accounts, close_height=close))
        self.cycles += 1
        self._block()  # open now, so that the next rules can submit to it

    @rule(
        cycle=st.integers(0, 2),
        payer=st.integers(1, N),
        obligations=st.lists(
            st.tuples(st.integers(1, N - 1), st.integers(1, 1_500)), min_size=1, max_size=5
        ),
    )
    def submit(self, cycle, payer, obligations):
        """Obligations to others (payee = payer + k), to one of the latest cycles."""
        pairs = [(account_id((payer + k - 1) % N + 1), a) for k, a in obligations]
        self._queue(payer, nb.submit(max(self.cycles - cycle, 1), "CNY", pairs))

    @rule(
        cycle=st.integers(1, 6),
        payer=st.integers(1, N),
        payee=st.integers(1, N),
        amount=st.integers(0, 10),
        asset=st.sampled_from(["CNY", "USD"]),
    )
    def submit_any(self, cycle, payer, payee, amount, asset):
        """Anything: unknown cycles, non-members, self, zero, another asset (mostly refused)."""
        self._queue(payer, nb.submit(cycle, asset, [(account_id(payee), amount)]))

    @rule(to=st.integers(1, N), amount=st.integers(1, 2_000))
    def mint(self, to, amount):
        self._queue(1, b.mint("CNY", account_id(to), amount))

    @rule(sender=st.integers(1, N), to=st.integers(1, N), amount=st.integers(1, 1_500))
    def transfer(self, sender, to, amount):
        self._queue(sender, b.transfer((account_id(to), "CNY", amount)))

    @rule(blocks=st.integers(1, 2))
    def end_block(self, blocks):
        for _ in range(blocks):
            self._block()

    def _block(self) -> None:
        txs, self.pending = self.pending, []
        self.chain.block(*txs)
        self.blocks.append((self.chain.time_ns, txs))
        self.hashes.append(self.chain.app_hash())
        for i in range(1, N + 1):
            signer = self.chain.signer(i)
            signer.nonce = self.chain.app.accounts.nonce(self.chain.app.state, account_id(i))

    @invariant()
    def ledger_holds(self):
        if not hasattr(self, "chain"):
            return
        app = self.chain.app
        assert app.check_invariants() == []
        checked_holdings(app)

    def teardown(self):
        if not hasattr(self, "chain"):
            return
        try:
            replay = with_test_module(self.dir / "replay")
            replay.init_chain(self.chain.genesis)
            for height, (time_ns, txs) in enumerate(self.blocks, start=1):
                replay.finalize_block(FinalizeBlockRequest(height, time_ns, txs))
                replay.commit()
                assert replay.info().last_app_hash == self.hashes[height], height
            replay.close()
            self.chain.app.close()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


NettingMachine.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestNettingMachine = NettingMachine.TestCase
