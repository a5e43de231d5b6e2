"""Random proposals, votes and misbehaviour reports, block by block.

After every block: every module invariant holds; the total member weight is
the sum of the members' weights and never 0; the active validators are at
least ``min_validators``; a proposal's status only moves forward (voting →
passed → executed/failed, or voting → rejected); and an engine that applies
each block's validator updates, CometBFT style, never removes a validator it
does not have, never sees one validator twice in a block, and ends up with
exactly the validators (and powers) governance holds. At the end, the same
blocks replayed into an empty database give the same app hash and the same
validator updates at every height.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from finchain.app import FinalizeBlockRequest
from finchain.app.abci import Misbehavior
from finchain.client import builders as b
from finchain.crypto import generate_private_key
from finchain.modules.accounts.types import account_id
from finchain.modules.governance.module import genesis_member, genesis_validator
from finchain.modules.governance.types import STAGE, address
from tests.harness import Chain
from tests.testmodule import with_test_module

N_ACCOUNTS = 6
N_KEYS = 7  # validator keys 0..3 are in genesis; 4..6 can be added
account = st.integers(1, N_ACCOUNTS)
key_index = st.integers(0, N_KEYS - 1)
power = st.integers(1, 20)
weight = st.integers(1, 5)

param_change = st.one_of(
    st.tuples(st.just("min_validators"), st.integers(1, 5)),
    st.tuples(st.just("voting_period"), st.integers(1, 3)),
    st.tuples(st.just("execution_delay"), st.integers(0, 2)),
    st.tuples(st.just("pass_threshold"), st.sampled_from(["3/5", "2/3", "3/4"])),
    st.tuples(st.just("quorum"), st.sampled_from(["1/3", "1/2", "1/1"])),
)
action_spec = st.one_of(
    st.tuples(st.just("add_member"), account, weight),
    st.tuples(st.just("remove_member"), account),
    st.tuples(st.just("set_member_weight"), account, weight),
    st.tuples(st.just("add_validator"), key_index, power),
    st.tuples(st.just("set_validator_power"), key_index, power),
    st.tuples(st.just("remove_validator"), key_index),
    st.tuples(st.just("restore_validator"), key_index, power),
    st.tuples(st.just("gov_param"), param_change),
    st.tuples(st.just("memo_param"), st.integers(8, 300)),
)


class GovernanceMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="finchain-gov-sm-"))
        self.keys = [generate_private_key("ed25519") for _ in range(N_KEYS)]
        self.chain = Chain(
            self.dir / "db",
            n_accounts=N_ACCOUNTS,
            validators=[genesis_validator(f"v{i}", self.keys[i].public_key()) for i in range(4)],
            governance={
                "members": [genesis_member(account_id(n), f"m{n}") for n in range(1, 5)],
                "params": {
                    "voting_period": 2,
                    "execution_delay": 1,
                    "min_validators": 3,
                    "pass_threshold": "2/3",
                    "quorum": "1/2",
                },
            },
        )
        self.pending: list[bytes] = []
        self.reports: list[Misbehavior] = []
        self.blocks: list[tuple[int, list[bytes], list[Misbehavior]]] = []
        self.hashes = [self.chain.app_hash()]
        self.updates: list[tuple] = []
        self.engine = {u.public_key: u.power for u in self.chain.init_response.validators}
        self.statuses: dict[int, str] = {}

    def _pub(self, index: int) -> bytes:
        return self.keys[index].public_key().data

    def _action(self, spec: tuple):
        kind = spec[0]
        if kind == "add_member":
            return b.add_member(account_id(spec[1]), f"m{spec[1]}", spec[2])
        if kind == "remove_member":
            return b.remove_member(account_id(spec[1]))
        if kind == "set_member_weight":
            return b.set_member_weight(account_id(spec[1]), spec[2])
        if kind == "add_validator":
            return b.add_validator(f"v{spec[1]}", self.keys[spec[1]].public_key(), spec[2])
        if kind == "set_validator_power":
            return b.set_validator_power(self._pub(spec[1]), spec[2])
        if kind == "remove_validator":
            return b.remove_validator(self._pub(spec[1]))
        if kind == "restore_validator":
            return b.restore_validator(self._pub(spec[1]), spec[2])
        if kind == "gov_param":
            return b.set_param("governance", *spec[1])
        return b.set_param("app", "max_memo_bytes", spec[1])

    def _proposal_ids(self) -> list[int]:
        return list(range(1, self.chain.app.governance.next_proposal_id(self.chain.app.state)))

    @rule(proposer=account, actions=st.lists(action_spec, max_size=3))
    def submit(self, proposer, actions):
        msg = b.submit_proposal("random", [self._action(a) for a in actions])
        self.pending.append(self.chain.signer(proposer).sign(msg))

    @precondition(lambda self: self._proposal_ids())
    @rule(voter=account, data=st.data(), option=st.sampled_from(["yes", "no", "abstain"]))
    def vote(self, voter, data, option):
        pid = data.draw(st.sampled_from(self._proposal_ids()))
        self.pending.append(self.chain.signer(voter).sign(b.vote(pid, option)))

    @precondition(lambda self: self._proposal_ids())
    @rule(data=st.data())
    def everyone_votes_yes(self, data):
        pid = data.draw(st.sampled_from(self._proposal_ids()))
        for n in range(1, N_ACCOUNTS + 1):
            self.pending.append(self.chain.signer(n).sign(b.vote(pid, "yes")))

    @rule(actions=st.lists(action_spec, min_size=1, max_size=3))
    def pass_proposal(self, actions):
        """Submit and vote yes by every account in one block, then run to execution.

        Random votes rarely reach the threshold; this path makes most proposals
        pass, so that execution, the guards and validator updates are exercised.
        """
        self.end_block()
        app = self.chain.app
        proposer = next(m["account"] for m in app.query("gov/members").value["members"])
        pid = app.governance.next_proposal_id(app.state)
        msg = b.submit_proposal("fast", [self._action(a) for a in actions])
        self.pending.append(self.chain.signer(int(proposer[4:])).sign(msg))
        for n in range(1, N_ACCOUNTS + 1):
            self.pending.append(self.chain.signer(n).sign(b.vote(pid, "yes")))
        self.end_block()
        params = app.query("gov/params").value
        for _ in range(params["voting_period"] + params["execution_delay"]):
            self.end_block()

    @rule(
        index=key_index,
        kind=st.sampled_from(["duplicate_vote", "light_client_attack", "unknown"]),
        height=st.integers(0, 3),
    )
    def misbehave(self, index, kind, height):
        self.reports.append(Misbehavior(kind, address(self._pub(index)), 10, height, 0, 40))

    @rule()
    def end_block(self):
        txs, reports = self.pending, self.reports
        self.pending, self.reports = [], []
        response = self.chain.finalize(*txs, misbehavior=reports)
        self.blocks.append((self.chain.time_ns, txs, reports))
        self.hashes.append(self.chain.app_hash())
        self.updates.append(response.validator_updates)
        seen = set()
        for update in response.validator_updates:
            assert update.public_key not in seen, "one validator twice in a block"
            seen.add(update.public_key)
            if update.power == 0:
                assert update.public_key in self.engine, "removal of a validator the engine lacks"
                del self.engine[update.public_key]
            else:
                self.engine[update.public_key] = update.power
        app = self.chain.app
        for n in range(1, N_ACCOUNTS + 1):
            self.chain.signer(n).nonce = app.accounts.nonce(app.state, account_id(n))

    @invariant()
    def governance_invariants(self):
        if not hasattr(self, "chain"):
            return
        app = self.chain.app
        assert app.check_invariants() == []
        members = app.query("gov/members").value
        assert members["total_weight"] == sum(m["weight"] for m in members["members"]) > 0
        validators = app.query("gov/validators").value
        minimum = app.query("gov/params").value["min_validators"]
        assert validators["active"] >= minimum
        holding = {
            bytes.fromhex(v["public_key"]): v["effective_power"]
            for v in validators["validators"]
            if v["effective_power"]
        }
        assert holding == self.engine
        for proposal in app.query("gov/proposals").value["proposals"]:
            old = self.statuses.get(proposal["id"], "voting")
            new = proposal["status"]
            assert STAGE[new] >= STAGE[old] and (STAGE[old] < 2 or new == old), (old, new)
            self.statuses[proposal["id"]] = new

    def teardown(self):
        if not hasattr(self, "chain"):
            return
        try:
            replay = with_test_module(self.dir / "replay")
            assert replay.init_chain(self.chain.genesis).app_hash == self.hashes[0]
            for height, (time_ns, txs, reports) in enumerate(self.blocks, start=1):
                response = replay.finalize_block(
                    FinalizeBlockRequest(height, time_ns, txs, misbehavior=reports)
                )
                replay.commit()
                assert replay.info().last_app_hash == self.hashes[height], f"height {height}"
                assert response.validator_updates == self.updates[height - 1]
            replay.close()
            self.chain.app.close()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


GovernanceMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestGovernanceMachine = GovernanceMachine.TestCase
