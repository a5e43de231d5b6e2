"""Governance: members vote on proposals that change members, validators and params.

Every scenario runs through real blocks. The default chain: accounts 1..5,
accounts 1..4 are members of weight 1 (total 4), account 5 is not; four
Ed25519 validators of power 10 (total 40); voting lasts 3 blocks after the
submitting block, execution 2 blocks after the tally; pass threshold 2/3
(so 3 yes of 4 pass, 2 do not), quorum 1/2, min_validators 3.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest

from finchain.app import ChainParams, FinalizeBlockResponse, TxResult
from finchain.app.abci import Misbehavior, ValidatorUpdate
from finchain.chain import FinchainApp
from finchain.client import builders as b
from finchain.codec import RawMsg
from finchain.core.errors import ErrInvalidMsg, ErrMemoTooLong, ErrUnknownMsg
from finchain.crypto import PrivateKey, generate_private_key
from finchain.errors import ErrorCode, FinchainError, lookup
from finchain.modules.accounts.types import account_id
from finchain.modules.governance.errors import (
    ErrBadGenesis,
    ErrGovernanceOnly,
    ErrInvalidParam,
    ErrInvalidValidator,
    ErrLastMember,
    ErrMemberCloses,
    ErrMemberNotFound,
    ErrMinValidators,
    ErrNotGoverned,
    ErrNotMember,
    ErrNoValidatorSet,
    ErrPowerChangeTooLarge,
    ErrProposalNotFound,
    ErrValidatorJailed,
    ErrVotingClosed,
)
from finchain.modules.governance.module import GovernanceModule, genesis_member, genesis_validator
from finchain.modules.governance.types import address
from finchain.store import verify_proof
from tests.harness import Chain

A = {n: account_id(n) for n in range(1, 6)}
VOTING_PERIOD = 3
DELAY = 2
DEFAULT_PARAMS = {
    "voting_period": VOTING_PERIOD,
    "execution_delay": DELAY,
    "pass_threshold": "2/3",
    "quorum": "1/2",
    "min_validators": 3,
}


class Gov:
    """A chain with governance, and the steps the scenarios are written in."""

    def __init__(self, chain: Chain, validator_keys: list[PrivateKey]) -> None:
        self.chain = chain
        self.app = chain.app
        self.vkeys = validator_keys
        self.responses: dict[int, FinalizeBlockResponse] = {}

    def pub(self, index: int) -> bytes:
        return self.vkeys[index].public_key().data

    def tx(self, who: int, *msgs, memo: str = "") -> bytes:
        """A tx by account ``who`` with its committed nonce (one tx per account per block)."""
        signer = self.chain.signer(who)
        signer.nonce = self.app.accounts.nonce(self.app.state, A[who])
        return signer.sign(*msgs, memo=memo)

    def block(self, *txs: bytes, misbehavior=()) -> FinalizeBlockResponse:
        response = self.chain.finalize(*txs, misbehavior=misbehavior)
        self.responses[self.app.height] = response
        return response

    def submit(self, who: int, *actions, title: str = "proposal") -> tuple[TxResult, int]:
        expected_id = self.app.governance.next_proposal_id(self.app.state)
        (result,) = self.block(self.tx(who, b.submit_proposal(title, list(actions)))).tx_results
        return result, expected_id

    def vote(self, proposal_id: int, **options: str) -> list[TxResult]:
        """``vote(1, a1="yes", a2="no")``: one block holding each member's vote."""
        txs = [self.tx(int(k[1:]), b.vote(proposal_id, v)) for k, v in options.items()]
        return list(self.block(*txs).tx_results)

    def run_until(self, height: int) -> None:
        while self.app.height < height:
            self.block()

    def proposal(self, proposal_id: int) -> dict:
        return self.app.query("gov/proposal", {"proposal_id": proposal_id}).value

    def close_voting(self, proposal_id: int) -> dict:
        """Run to the end of the proposal's voting period; return the tallied proposal."""
        self.run_until(self.proposal(proposal_id)["voting_end"])
        return self.proposal(proposal_id)

    def execute(self, proposal_id: int) -> dict:
        """Run through the voting period and the execution delay of a proposal that passes."""
        passed = self.close_voting(proposal_id)
        assert passed["status"] == "passed", passed
        self.run_until(passed["execute_at"])
        return self.proposal(proposal_id)

    def pass_proposal(self, *actions) -> int:
        """Submit, get 3 of 4 yes, run to execution; return the proposal id."""
        result, pid = self.submit(1, *actions)
        assert result.ok, result.log
        assert all(r.ok for r in self.vote(pid, a1="yes", a2="yes", a3="yes"))
        self.execute(pid)
        return pid

    def member_weights(self) -> dict[str, int]:
        return {m["account"]: m["weight"] for m in self.app.query("gov/members").value["members"]}

    def validators(self) -> dict[bytes, tuple[int, str]]:
        found = self.app.query("gov/validators").value["validators"]
        return {bytes.fromhex(v["public_key"]): (v["power"], v["status"]) for v in found}


def events(response: FinalizeBlockResponse, kind: str) -> list[dict[str, str]]:
    return [dict(e.attributes) for e in response.events if e.type == kind]


def make_gov(tmp_path, *, chain_params: ChainParams | None = None, **overrides) -> Gov:
    keys = [generate_private_key("ed25519") for _ in range(5)]
    validators = [genesis_validator(f"v{i}", k.public_key(), 10) for i, k in enumerate(keys[:4])]
    members = [genesis_member(A[n], f"bank-{n}", 1) for n in range(1, 5)]
    chain = Chain(
        tmp_path / "db",
        n_accounts=5,
        params=chain_params,
        validators=validators,
        governance={"members": members, "params": {**DEFAULT_PARAMS, **overrides}},
    )
    return Gov(chain, keys)


@pytest.fixture
def gov(tmp_path) -> Gov:
    return make_gov(tmp_path)


def code(result: TxResult) -> ErrorCode | None:
    """The registered error a result failed with (None: it succeeded)."""
    return None if result.ok else lookup(result.codespace, result.code)


def failure(proposal: dict) -> ErrorCode | None:
    """The registered error a failed proposal recorded."""
    found = proposal["failure"]
    return None if found is None else lookup(found["codespace"], found["code"])


# -- lifecycle --------------------------------------------------------------------------------


def test_full_lifecycle_submit_vote_pass_execute(gov):
    result, pid = gov.submit(1, b.add_member(A[5], "bank-5", 2), title="admit bank 5")
    assert result.ok, result.log
    submitted = gov.app.height
    (event,) = [e for e in result.events if e.type == "proposal_submitted"]
    assert event.get("proposer") == A[1] and event.get("voting_end") == str(submitted + 3)
    assert gov.proposal(pid)["status"] == "voting"

    # Member 4 first votes yes, then changes its mind: only the last vote counts.
    assert all(r.ok for r in gov.vote(pid, a1="yes", a2="yes", a4="yes"))
    assert all(r.ok for r in gov.vote(pid, a3="yes", a4="no"))
    votes = gov.app.query("gov/votes", {"proposal_id": pid}).value["votes"]
    assert {v["voter"]: v["option"] for v in votes} == {
        A[1]: "yes",
        A[2]: "yes",
        A[3]: "yes",
        A[4]: "no",
    }
    gov.run_until(submitted + VOTING_PERIOD)
    proposal = gov.proposal(pid)
    assert proposal["status"] == "passed"
    assert proposal["tally"] == {"yes": 3, "no": 1, "abstain": 0, "total_weight": 4}
    assert proposal["execute_at"] == submitted + VOTING_PERIOD + DELAY
    (passed,) = events(gov.responses[submitted + VOTING_PERIOD], "proposal_passed")
    assert passed["proposal_id"] == str(pid)

    # Passed is not executed: nothing changes during the execution delay.
    gov.run_until(proposal["execute_at"] - 1)
    assert A[5] not in gov.member_weights()
    gov.run_until(proposal["execute_at"])
    executing = gov.responses[proposal["execute_at"]]
    assert events(executing, "member_added") == [{"account": A[5], "name": "bank-5", "weight": "2"}]
    assert events(executing, "proposal_executed") == [{"proposal_id": str(pid)}]
    assert gov.member_weights()[A[5]] == 2
    assert gov.app.query("gov/members").value["total_weight"] == 6
    final = gov.proposal(pid)
    assert final["status"] == "executed" and final["final_height"] == proposal["execute_at"]

    # Voting is over for good, and the record stays queryable (and provable) afterwards.
    (late,) = gov.vote(pid, a1="no")
    assert code(late) == ErrVotingClosed
    gov.run_until(gov.app.height + 3)
    proven = gov.app.query("gov/proposal", {"proposal_id": pid}, prove=True)
    assert proven.value["status"] == "executed"
    assert all(verify_proof(proven.root, p.key, p.value, p.proof, "sha256") for p in proven.proofs)
    listed = gov.app.query("gov/proposals", {"status": "executed"}).value["proposals"]
    assert [p["id"] for p in listed] == [pid]
    assert gov.app.check_invariants() == []


def test_text_proposal_executes_without_changing_anything(gov):
    before = (gov.member_weights(), gov.validators())
    result, pid = gov.submit(2, title="adopt the 2026 rulebook")
    assert result.ok, result.log
    assert all(r.ok for r in gov.vote(pid, a1="yes", a2="yes", a3="yes"))
    assert gov.execute(pid)["status"] == "executed"
    assert (gov.member_weights(), gov.validators()) == before


def test_rejected_below_threshold_changes_nothing(gov):
    result, pid = gov.submit(1, b.remove_member(A[4]))
    assert result.ok
    gov.vote(pid, a1="yes", a2="yes", a3="no")  # 2 of 4 is not more than 2/3
    gov.close_voting(pid)
    proposal = gov.proposal(pid)
    assert proposal["status"] == "rejected" and proposal["rejected_for"] == "threshold"
    (rejected,) = events(gov.responses[gov.app.height], "proposal_rejected")
    assert rejected["reason"] == "threshold" and rejected["yes"] == "2"
    gov.run_until(gov.app.height + DELAY + 1)
    assert A[4] in gov.member_weights()
    assert gov.proposal(pid)["status"] == "rejected"


def test_rejected_without_quorum_and_abstain_counts_toward_it(gov):
    result, lonely = gov.submit(1, b.set_member_weight(A[1], 5))
    assert result.ok
    gov.vote(lonely, a1="yes")  # 1 of 4 cast: below the quorum of 1/2
    gov.close_voting(lonely)
    assert gov.proposal(lonely)["rejected_for"] == "quorum"

    result, abstained = gov.submit(1, b.set_member_weight(A[1], 5))
    gov.vote(abstained, a1="yes", a2="abstain")  # 2 of 4 cast: quorum met, threshold not
    gov.close_voting(abstained)
    assert gov.proposal(abstained)["rejected_for"] == "threshold"
    assert gov.member_weights()[A[1]] == 1


def test_quorum_above_threshold_rejects_a_yes_majority(tmp_path):
    gov = make_gov(tmp_path, quorum="1/1")
    _, pid = gov.submit(1, b.set_member_weight(A[2], 2))
    gov.vote(pid, a1="yes", a2="yes", a3="yes")  # 3/4 yes > 2/3, but member 4 never voted
    gov.close_voting(pid)
    assert gov.proposal(pid)["rejected_for"] == "quorum"


def test_non_member_cannot_submit_or_vote(gov):
    result, _ = gov.submit(5, b.add_member(A[5], "me", 1))
    assert code(result) == ErrNotMember
    assert "not a governance member" in result.log
    result, pid = gov.submit(1)
    (vote,) = gov.vote(pid, a5="yes")
    assert code(vote) == ErrNotMember
    (missing,) = gov.vote(pid + 1, a1="yes")
    assert code(missing) == ErrProposalNotFound
    (bad,) = gov.block(gov.tx(1, b.vote(pid, "maybe"))).tx_results
    assert code(bad) == ErrInvalidMsg


# -- governed messages of other modules (exec) ---------------------------------------------------


def governed_freeze(account: str) -> RawMsg:
    return RawMsg("testonly/governed_status", {"account": account, "status": "frozen"})


def test_exec_action_runs_a_governed_message_with_the_governance_signer(gov):
    """The test module's handler raises unless the signer is ``governance``."""
    pid = gov.pass_proposal(b.exec_msg(governed_freeze(A[5])))
    assert gov.proposal(pid)["status"] == "executed"
    account = gov.app.query("accounts/account", {"account": A[5]}).value["account"]
    assert account["status"] == "frozen"


def test_a_governed_message_in_a_transaction_is_refused(gov):
    before = gov.app.query("accounts/account", {"account": A[5]}).value
    (result,) = gov.block(gov.tx(1, governed_freeze(A[5]))).tx_results
    assert code(result) == ErrGovernanceOnly
    assert "passed governance proposal" in result.log
    assert gov.app.query("accounts/account", {"account": A[5]}).value == before


def test_exec_refuses_unknown_ungoverned_and_governance_messages_at_submission(gov):
    cases = [
        (RawMsg("nosuch/msg", {}), ErrUnknownMsg),
        (RawMsg("testonly/set_status", {"account": A[5], "status": "frozen"}), ErrNotGoverned),
        (RawMsg("testonly/governed_status", {"account": A[5]}), ErrInvalidMsg),
    ]
    for msg, expected in cases:
        result, _ = gov.submit(1, b.exec_msg(msg))
        assert code(result) == expected, result.log
        assert "action #0 (exec)" in result.log
    result, _ = gov.submit(1, b.exec_msg(b.vote(1, "yes")))
    assert code(result) == ErrInvalidMsg and "governance's own" in result.log


def test_a_member_account_cannot_close_until_a_proposal_removes_it(gov):
    """Its weight would stay in every later tally while it could never vote again."""
    held = gov.app.bank.balance(gov.app.state, A[4], "CNY")
    (refused,) = gov.block(gov.tx(4, b.transfer((A[1], "CNY", held)), b.close_account())).tx_results
    assert code(refused) == ErrMemberCloses and "remove_member" in refused.log
    assert gov.app.query("accounts/account", {"account": A[4]}).value["account"]["status"] == (
        "active"
    )
    gov.pass_proposal(b.remove_member(A[4]))
    (closed,) = gov.block(gov.tx(4, b.transfer((A[1], "CNY", held)), b.close_account())).tx_results
    assert closed.ok, closed.log


# -- atomic execution ---------------------------------------------------------------------------


def test_one_failing_action_applies_nothing(gov):
    pid = gov.pass_proposal(
        b.add_member(A[5], "bank-5", 1),
        b.set_param("app", "max_memo_bytes", 8),
        b.set_validator_power(gov.pub(0), 12),
        b.remove_member(A[5]),
        b.remove_member(A[5]),  # no longer a member: this action fails
    )
    executing = gov.responses[gov.app.height]
    proposal = gov.proposal(pid)
    assert proposal["status"] == "failed"
    assert failure(proposal) == ErrMemberNotFound
    assert "action #4" in proposal["failure"]["log"]
    (failed,) = events(executing, "proposal_failed")
    assert lookup(failed["codespace"], int(failed["code"])) == ErrMemberNotFound
    assert events(executing, "member_added") == [] and events(executing, "param_changed") == []
    assert executing.validator_updates == ()
    assert A[5] not in gov.member_weights()
    assert gov.validators()[gov.pub(0)] == (10, "active")
    gov.block()
    assert gov.app.params.max_memo_bytes == ChainParams().max_memo_bytes


def test_actions_run_in_order_against_state_at_execution(gov):
    """Two proposals pass together; the first one executed changes what the second finds."""
    _, p1 = gov.submit(1, b.remove_member(A[4]))
    _, p2 = gov.submit(2, b.set_member_weight(A[4], 3))
    for pid in (p1, p2):
        gov.vote(pid, a1="yes", a2="yes", a3="yes")
    gov.execute(p2)
    assert gov.proposal(p1)["status"] == "executed"
    assert gov.proposal(p2)["status"] == "failed"
    assert gov.member_weights() == {A[1]: 1, A[2]: 1, A[3]: 1}


# -- guards -------------------------------------------------------------------------------------


def test_guard_min_validators(tmp_path):
    gov = make_gov(tmp_path, min_validators=4)
    removal = gov.pass_proposal(b.remove_validator(gov.pub(3)))
    assert gov.proposal(removal)["status"] == "failed"
    assert failure(gov.proposal(removal)) == ErrMinValidators
    assert gov.responses[gov.app.height].validator_updates == ()
    raise_min = gov.pass_proposal(b.set_param("governance", "min_validators", 5))
    assert failure(gov.proposal(raise_min)) == ErrMinValidators
    assert gov.app.query("gov/params").value["min_validators"] == 4
    # Adding a validator in the same proposal makes room for the removal (|Δ| 3 + 10 of 40).
    both = gov.pass_proposal(
        b.add_validator("v4", gov.vkeys[4].public_key(), 3), b.remove_validator(gov.pub(3))
    )
    assert gov.proposal(both)["status"] == "executed"
    assert sorted(gov.responses[gov.app.height].validator_updates, key=lambda u: u.power) == [
        ValidatorUpdate("ed25519", gov.pub(3), 0),
        ValidatorUpdate("ed25519", gov.pub(4), 3),
    ]


def test_guard_one_third_of_voting_power(gov):
    too_much = gov.pass_proposal(b.set_validator_power(gov.pub(0), 30))  # |Δ| 20 of 40
    assert failure(gov.proposal(too_much)) == ErrPowerChangeTooLarge
    summed = gov.pass_proposal(  # |Δ| 10 + 5 of 40: each small, together too much
        b.add_validator("v4", gov.vkeys[4].public_key(), 10),
        b.set_validator_power(gov.pub(0), 15),
    )
    assert failure(gov.proposal(summed)) == ErrPowerChangeTooLarge
    assert gov.validators()[gov.pub(0)] == (10, "active")
    at_limit = gov.pass_proposal(b.add_validator("v4", gov.vkeys[4].public_key(), 13))
    assert gov.proposal(at_limit)["status"] == "executed"  # 13 * 3 <= 40


def test_guard_last_member(gov):
    pid = gov.pass_proposal(*(b.remove_member(A[n]) for n in range(1, 5)))
    assert failure(gov.proposal(pid)) == ErrLastMember
    assert len(gov.member_weights()) == 4


# -- validator updates --------------------------------------------------------------------------


def test_init_chain_returns_the_genesis_validators(gov):
    assert gov.chain.init_response.validators == tuple(
        ValidatorUpdate("ed25519", gov.pub(i), 10) for i in range(4)
    )
    assert gov.app.init_chain(gov.chain.genesis) == gov.chain.init_response  # a repeated one
    # CometBFT's address of a validator is SHA-256(key)[:20]; governance names it the same way.
    found = gov.app.query("gov/validator", {"address": address(gov.pub(0)).hex()}).value
    assert bytes.fromhex(found["address"]) == hashlib.sha256(gov.pub(0)).digest()[:20]


def test_validator_updates_only_in_the_executing_block(gov):
    new_key = gov.vkeys[4].public_key()
    pid = gov.pass_proposal(b.add_validator("bank-5-node", new_key, 10))
    executed_at = gov.proposal(pid)["execute_at"]
    for height, response in gov.responses.items():
        expected = (ValidatorUpdate("ed25519", new_key.data, 10),) if height == executed_at else ()
        assert response.validator_updates == expected, f"height {height}"
    (added,) = events(gov.responses[executed_at], "validator_added")
    assert added["power"] == "10" and added["address"] == address(new_key.data).hex()

    gov.pass_proposal(b.set_validator_power(gov.pub(1), 12))
    assert gov.responses[gov.app.height].validator_updates == (
        ValidatorUpdate("ed25519", gov.pub(1), 12),
    )
    gov.pass_proposal(b.remove_validator(gov.pub(2)))
    assert gov.responses[gov.app.height].validator_updates == (
        ValidatorUpdate("ed25519", gov.pub(2), 0),
    )
    assert gov.pub(2) not in gov.validators()
    gov.block()
    assert gov.responses[gov.app.height].validator_updates == ()


def test_added_validator_must_use_the_chains_scheme(gov):
    sm2_key = generate_private_key("sm2").public_key()
    pid = gov.pass_proposal(b.add_validator("sm2-node", sm2_key, 1))
    assert failure(gov.proposal(pid)) == ErrInvalidValidator


# -- misbehaviour -------------------------------------------------------------------------------


def report(gov: Gov, index: int, kind: str = "duplicate_vote", height: int = 1) -> Misbehavior:
    return Misbehavior(kind, address(gov.pub(index)), 10, height, 0, 40)


def test_misbehaviour_jails_records_evidence_and_governance_restores(gov):
    response = gov.block(misbehavior=[report(gov, 1)])
    assert response.validator_updates == (ValidatorUpdate("ed25519", gov.pub(1), 0),)
    (recorded,) = events(response, "evidence_recorded")
    assert recorded["outcome"] == "jailed" and recorded["kind"] == "duplicate_vote"
    assert recorded["validator"] == address(gov.pub(1)).hex()
    assert len(events(response, "validator_jailed")) == 1
    assert gov.validators()[gov.pub(1)] == (10, "jailed")
    (evidence,) = gov.app.query("gov/evidence").value["evidence"]
    assert evidence["outcome"] == "jailed" and evidence["reported_height"] == gov.app.height

    # The same report again (an engine replays it) is not recorded twice.
    again = gov.block(misbehavior=[report(gov, 1)])
    assert again.validator_updates == () and events(again, "evidence_recorded") == []
    # A jailed validator's power cannot be changed, only restored.
    pid = gov.pass_proposal(b.set_validator_power(gov.pub(1), 5))
    assert failure(gov.proposal(pid)) == ErrValidatorJailed
    pid = gov.pass_proposal(b.restore_validator(gov.pub(1), 10))
    assert gov.proposal(pid)["status"] == "executed"
    assert gov.responses[gov.app.height].validator_updates == (
        ValidatorUpdate("ed25519", gov.pub(1), 10),
    )
    assert len(events(gov.responses[gov.app.height], "validator_restored")) == 1
    assert gov.validators()[gov.pub(1)] == (10, "active")


def test_removing_a_jailed_validator_sends_no_second_removal(gov):
    gov.block(misbehavior=[report(gov, 2, kind="light_client_attack")])
    gov.pass_proposal(b.remove_validator(gov.pub(2)))
    assert events(gov.responses[gov.app.height], "validator_removed")
    assert gov.responses[gov.app.height].validator_updates == ()


def test_misbehaviour_never_jails_below_min_validators(tmp_path):
    gov = make_gov(tmp_path, min_validators=4)
    response = gov.block(
        misbehavior=[
            report(gov, 0),
            Misbehavior("duplicate_vote", b"\x01" * 20, 10, 1, 0, 40),
            report(gov, 1, kind="unknown", height=2),
        ]
    )
    outcomes = [e["outcome"] for e in events(response, "evidence_recorded")]
    assert outcomes == ["kept_min_validators", "unknown_validator", "not_jailable"]
    assert response.validator_updates == ()
    assert [e["id"] for e in gov.app.query("gov/evidence").value["evidence"]] == [1, 2, 3]
    assert gov.app.check_invariants() == []


# -- parameters ---------------------------------------------------------------------------------


def test_chain_param_change_takes_effect_after_commit(gov):
    memo = "x" * 20
    assert gov.block(gov.tx(5, b.transfer((A[1], "CNY", 1)), memo=memo)).tx_results[0].ok
    _, pid = gov.submit(1, b.set_param("app", "max_memo_bytes", 8))
    gov.vote(pid, a1="yes", a2="yes", a3="yes")
    gov.run_until(gov.close_voting(pid)["execute_at"] - 1)
    # The executing block still runs under the old limit: params change at its commit.
    (same_block,) = gov.block(gov.tx(5, b.transfer((A[1], "CNY", 1)), memo=memo)).tx_results
    assert same_block.ok
    assert events(gov.responses[gov.app.height], "param_changed") == [
        {"space": "app", "name": "max_memo_bytes", "value": "8"}
    ]
    assert gov.app.params.max_memo_bytes == 8
    assert gov.app.query("app/params").value["max_memo_bytes"] == 8
    (after,) = gov.block(gov.tx(5, b.transfer((A[1], "CNY", 1)), memo=memo)).tx_results
    assert code(after) == ErrMemoTooLong


def test_invalid_chain_param_fails_at_execution(gov):
    pid = gov.pass_proposal(b.set_param("app", "max_tx_bytes", 64 * 1024 * 1024))
    assert failure(gov.proposal(pid)) == ErrInvalidParam  # above max_block_bytes
    assert gov.app.params.max_tx_bytes == ChainParams().max_tx_bytes


def test_governance_param_change_applies_to_later_proposals(gov):
    gov.pass_proposal(
        b.set_param("governance", "voting_period", 5),
        b.set_param("governance", "pass_threshold", "3/4"),
    )
    assert gov.app.query("gov/params").value["pass_threshold"] == "3/4"
    _, pid = gov.submit(1)
    assert gov.proposal(pid)["voting_end"] == gov.app.height + 5
    gov.vote(pid, a1="yes", a2="yes", a3="yes")  # 3 of 4 is not more than 3/4
    gov.close_voting(pid)
    assert gov.proposal(pid)["rejected_for"] == "threshold"


@pytest.mark.parametrize("threshold", ["1/2", "1/3", "1/1", "2/1", "4/6", "0.7", 1])
def test_threshold_at_or_below_half_is_refused(gov, threshold):
    result, _ = gov.submit(1, b.set_param("governance", "pass_threshold", threshold))
    assert code(result) == ErrInvalidParam, result.log
    assert gov.app.query("gov/params").value["pass_threshold"] == "2/3"


def test_threshold_at_or_below_half_is_refused_in_genesis(tmp_path):
    with pytest.raises(FinchainError) as raised:
        make_gov(tmp_path, pass_threshold="1/2")
    assert ErrBadGenesis.matches(raised.value)
    assert "pass_threshold" in raised.value.message


# -- genesis ------------------------------------------------------------------------------------


def test_genesis_member_must_be_an_account(tmp_path):
    keys = [generate_private_key("ed25519") for _ in range(2)]
    with pytest.raises(FinchainError) as raised:
        Chain(
            tmp_path / "db",
            n_accounts=2,
            validators=[genesis_validator("v", keys[0].public_key())],
            governance={"members": [genesis_member(account_id(9), "ghost")], "params": {}},
        )
    assert ErrBadGenesis.matches(raised.value)


def test_genesis_validators_checked(tmp_path):
    ed, sm = generate_private_key("ed25519"), generate_private_key("sm2")
    mixed = [genesis_validator("a", ed.public_key()), genesis_validator("b", sm.public_key())]
    with pytest.raises(FinchainError, match="same key scheme"):
        Chain(tmp_path / "mixed", validators=mixed)
    with pytest.raises(FinchainError, match="min_validators"):
        Chain(
            tmp_path / "few",
            validators=mixed[:1],
            governance={"members": [], "params": {"min_validators": 2}},
        )
    gm = Chain(tmp_path / "gm", suite="gm", scheme="sm2", validators=mixed[1:])
    assert gm.init_response.validators == (ValidatorUpdate("sm2", sm.public_key().data, 10),)


def test_chain_without_genesis_validators_leaves_the_set_to_the_engine(tmp_path):
    chain = Chain(
        tmp_path / "db",
        governance={
            "members": [genesis_member(account_id(n), f"m{n}") for n in (1, 2, 3)],
            "params": {"voting_period": 1, "execution_delay": 0},
        },
    )
    assert chain.init_response.validators == ()
    key = generate_private_key("ed25519").public_key()
    chain.block(chain.signer(1).sign(b.submit_proposal("add", [b.add_validator("v", key, 1)])))
    chain.block(*(chain.signer(n).sign(b.vote(1, "yes")) for n in (1, 2, 3)))
    proposal = chain.app.query("gov/proposal", {"proposal_id": 1}).value
    assert failure(proposal) == ErrNoValidatorSet


# -- export -> import ---------------------------------------------------------------------------


def governance_of(app: FinchainApp) -> GovernanceModule:
    return next(m for m in app.modules if isinstance(m, GovernanceModule))


def test_export_then_import_gives_the_same_state_entry_for_entry(gov, tmp_path):
    """Members, params, validators (one jailed), proposals of every stage with their votes and
    queue entries, evidence and both counters: a fresh chain fed the export holds them all."""
    gov.pass_proposal(b.set_member_weight(A[1], 2), b.set_param("governance", "quorum", "1/3"))
    assert gov.member_weights()[A[1]] == 2
    gov.block(misbehavior=[report(gov, 1), report(gov, 2, kind="unknown")])
    failed = gov.pass_proposal(b.remove_member(A[5]), b.remove_member(A[5]))
    _, rejected = gov.submit(2, b.set_member_weight(A[2], 3))
    gov.vote(rejected, a1="no")
    gov.close_voting(rejected)
    _, waiting = gov.submit(3, b.add_validator("v4", gov.vkeys[4].public_key(), 3))
    gov.vote(waiting, a1="yes", a2="yes", a3="yes", a4="yes")
    passed = gov.close_voting(waiting)
    open_ = gov.app.governance.next_proposal_id(gov.app.state)
    still = b.submit_proposal("still voting", [b.exec_msg(governed_freeze(A[4]))])
    gov.block(gov.tx(1, still), gov.tx(2, b.vote(open_, "abstain")))  # before `waiting` executes
    statuses = [gov.proposal(pid)["status"] for pid in (failed, rejected, waiting, open_)]
    assert statuses == ["failed", "rejected", "passed", "voting"]

    app = gov.app
    module = governance_of(app)
    exported = json.loads(json.dumps(app.export_genesis()["governance"]))  # a JSON file's
    assert [v["status"] for v in exported["validators"]].count("jailed") == 1
    genesis = replace(
        gov.chain.genesis,
        app_state={**gov.chain.genesis.app_state, "governance": exported},
        validators=module.genesis_validators(app.state),
    )
    fresh = FinchainApp(tmp_path / "fresh")
    response = fresh.init_chain(genesis)
    assert sorted(u.public_key for u in response.validators) == sorted(
        gov.pub(i) for i in (0, 2, 3)
    )
    assert dict(fresh.state.iterate(b"gov/")) == dict(app.state.iterate(b"gov/"))
    assert fresh.export_genesis()["governance"] == exported
    assert fresh.check_invariants() == []
    assert list(fresh.governance.due(fresh.state, passed["execute_at"])) == [waiting]
    fresh.close()


def test_import_refuses_top_level_validators_that_disagree_with_the_section(gov, tmp_path):
    gov.block(misbehavior=[report(gov, 1)])
    exported = gov.app.export_genesis()["governance"]
    genesis = replace(
        gov.chain.genesis, app_state={**gov.chain.genesis.app_state, "governance": exported}
    )  # the top-level list still names the jailed validator
    fresh = FinchainApp(tmp_path / "fresh")
    with pytest.raises(FinchainError) as raised:
        fresh.init_chain(genesis)
    assert ErrBadGenesis.matches(raised.value) and "active validators" in raised.value.message
    fresh.close()
