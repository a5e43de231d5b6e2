"""Governance changes CometBFT's validator set: 4 validators plus one full node on loopback.

Genesis: four validators (power 10 each), one governance member per institution
(accounts 1-4, weight 1: a proposal passes with 3 yes votes, > 2/3 of 4),
``voting_period`` 6 blocks, ``execution_delay`` 2, ``min_validators`` 3. A
fifth node (node 4) runs as a full node with its own consensus key.

Steps, on one network (each needs the state the previous one left):
1. ``add_validator`` for node 4's key (power 10: 3 x 10 <= 40, within the 1/3
   guard), three yes votes: executed; node 4 appears in CometBFT's
   ``/validators`` and its address signs later commits;
2. ``remove_validator`` for node 3, three yes votes: executed; node 3 is gone
   from ``/validators``. Then nodes 2 and 3 are killed and blocks continue:
   nodes 0, 1 and 4 hold 30 of the 40 power left, which they could not do if
   node 3 still counted (30 of 50) or node 4 did not (20 of 40); every
   commit from then on carries node 4's signature and never node 3's;
3. ``remove_validator`` for node 2 with 2 yes and 1 no (2 <= 2/3 x 4):
   rejected for the threshold; CometBFT's set and governance's stay as they were.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from finchain.client import builders as b
from finchain.engines.cometbft.config import validator_public_key
from finchain.modules.accounts.types import account_id
from finchain.modules.governance.module import genesis_member
from finchain.modules.governance.types import EXECUTED, REJECTED
from tests.functional.cometbft.framework import CometNetwork, CometNode
from tests.support import wait_until

pytestmark = pytest.mark.functional
log = logging.getLogger(__name__)
MEMBERS = 4
POWER = 10
COMMIT_FLAG = 2  # BLOCK_ID_FLAG_COMMIT: the validator's precommit for the block
GOVERNANCE = {
    "members": [genesis_member(account_id(i), f"Bank {i}") for i in range(1, MEMBERS + 1)],
    "params": {
        "voting_period": 6,
        "execution_delay": 2,
        "pass_threshold": "2/3",
        "quorum": "1/2",
        "min_validators": 3,
    },
}
FINAL = ("executed", "rejected", "failed")


def test_governance_changes_validator_set(network: Callable[..., CometNetwork]) -> None:
    net = network(4, accounts=MEMBERS, full_nodes=1, governance=GOVERNANCE)
    net.start()
    fifth_node_joins_by_vote(net)
    removed_validator_stops_counting(net)
    proposal_below_threshold_changes_nothing(net)


def fifth_node_joins_by_vote(net: CometNetwork) -> None:
    log.info("step 1: node 4, a full node, becomes a validator by a passed proposal")
    n0, n4 = net.nodes[0], net.nodes[4]
    genesis_set = {address(n): POWER for n in net.nodes[:4]}
    assert comet_validators(n0) == genesis_set
    assert comet_validators(n4) == genesis_set, "the full node follows the same set"
    assert n4.height() >= 1
    action = b.add_validator("node4", validator_public_key(n4.home.cometbft), POWER)
    proposal = decide(net, "admit node 4", action, yes=(1, 2, 3))
    assert proposal["status"] == EXECUTED, proposal
    expected = {**genesis_set, address(n4): POWER}
    for node in (n0, n4):
        wait_until(
            partial(has_validators, node, expected),
            timeout=20,
            what=f"node 4 in {node}'s /validators",
        )
    joined = first_height_with(n0, address(n4), since=proposal["execute_at"])
    # updates returned by FinalizeBlock(h) govern block h + 2 in CometBFT
    assert joined == proposal["execute_at"] + 2, (joined, proposal)
    gov = query(n0, "gov/validators")
    assert gov["active"] == 5 and gov["total_power"] == 5 * POWER, gov
    wait_until(
        lambda: signed_by(n0, address(n4), since=joined),
        timeout=20,
        what="a commit signed by node 4",
    )
    log.info("node 4 in the set from height %d and signing", joined)


def removed_validator_stops_counting(net: CometNetwork) -> None:
    log.info("step 2: node 3 removed by a passed proposal; then nodes 2 and 3 die")
    n0, n3 = net.nodes[0], net.nodes[3]
    before = comet_validators(n0)
    action = b.remove_validator(validator_public_key(n3.home.cometbft))
    proposal = decide(net, "retire node 3", action, yes=(1, 2, 3))
    assert proposal["status"] == EXECUTED, proposal
    expected = {a: p for a, p in before.items() if a != address(n3)}
    assert len(expected) == 4
    wait_until(lambda: comet_validators(n0) == expected, timeout=20, what="node 3 removed")
    gone = first_height_with(n0, address(n3), since=proposal["execute_at"])
    assert gone == proposal["execute_at"] + 2, (gone, proposal)
    assert address(n3) in comet_validators(n0, gone - 1)

    live = [net.nodes[0], net.nodes[1], net.nodes[4]]
    net.nodes[2].kill()
    n3.kill()
    killed_at = max(n.height() for n in live)
    net.wait_height(killed_at + 4, nodes=live, timeout=30)
    for height in range(killed_at + 2, killed_at + 4):
        signatures = commit_signatures(n0, height)
        assert address(n3) not in signatures, f"node 3 signed height {height}"
        assert signatures.get(address(net.nodes[4])) == COMMIT_FLAG, (height, signatures)
    log.info("blocks continue past %d with nodes 0, 1 and 4 only", killed_at)


def proposal_below_threshold_changes_nothing(net: CometNetwork) -> None:
    log.info("step 3: a proposal with 2 of 4 yes votes is rejected and changes nothing")
    n0, n2 = net.nodes[0], net.nodes[2]
    live = [net.nodes[0], net.nodes[1], net.nodes[4]]
    comet_before = comet_validators(n0)
    gov_before = query(n0, "gov/validators")
    action = b.remove_validator(validator_public_key(n2.home.cometbft))
    proposal = decide(net, "retire node 2", action, yes=(1, 2), no=(3,))
    assert proposal["status"] == REJECTED, proposal
    assert proposal["rejected_for"] == "threshold", proposal
    tally = proposal["tally"]
    assert (tally["yes"], tally["no"], tally["total_weight"]) == (2, 1, MEMBERS), tally
    decided = max(n.height() for n in live)
    net.wait_height(decided + 3, nodes=live, timeout=30)
    assert comet_validators(n0) == comet_before
    assert comet_validators(n0, decided + 2) == comet_before
    assert query(n0, "gov/validators") == gov_before
    top = net.assert_same_history(live)
    log.info("set unchanged; nodes 0, 1 and 4 agree up to height %d", top)


# -- helpers --------------------------------------------------------------------------------


def decide(
    net: CometNetwork,
    title: str,
    action: Any,
    *,
    yes: tuple[int, ...],
    no: tuple[int, ...] = (),
) -> dict[str, Any]:
    """Member 1 submits a one-action proposal; members vote; returns its final record.

    Every tx goes through node 0, so each member's nonces arrive in order.
    """
    node = net.nodes[0]
    raw = net.accounts.signer(1).sign(b.submit_proposal(title, [action]))
    answer = node.rpc.broadcast_tx_commit(raw)
    assert answer["check_tx"]["code"] == 0, answer
    assert answer["tx_result"]["code"] == 0, answer
    found: list[dict[str, Any]] = []

    def submitted() -> bool:
        found[:] = [p for p in query(node, "gov/proposals")["proposals"] if p["title"] == title]
        return bool(found)

    wait_until(submitted, timeout=10, what=f"proposal {title!r}")
    proposal_id = found[0]["id"]
    for member, option in [*((m, "yes") for m in yes), *((m, "no") for m in no)]:
        vote = net.accounts.signer(member).sign(b.vote(proposal_id, option))
        checked = node.rpc.broadcast_tx_sync(vote)
        assert checked["code"] == 0, checked
    record: dict[str, Any] = {}

    def closed() -> bool:
        record.update(query(node, "gov/proposal", {"proposal_id": proposal_id}))
        return record["status"] in FINAL

    wait_until(closed, timeout=40, what=f"proposal {proposal_id} to close")
    votes = query(node, "gov/votes", {"proposal_id": proposal_id})["votes"]
    assert len(votes) == len(yes) + len(no), f"votes missed the voting period: {votes}"
    log.info("proposal %d %r: %s", proposal_id, title, record["status"])
    return record


def query(node: CometNode, path: str, params: dict[str, Any] | None = None) -> Any:
    answer = node.rpc.abci_query(path, params)
    assert answer.ok, f"{node} {path}: {answer.log}"
    return answer.value


def address(node: CometNode) -> str:
    """CometBFT's validator address: the first 20 bytes of SHA-256 of the Ed25519 key."""
    return hashlib.sha256(validator_public_key(node.home.cometbft)).digest()[:20].hex().upper()


def comet_validators(node: CometNode, height: int | None = None) -> dict[str, int]:
    """CometBFT's own validator set (``/validators``): address -> voting power."""
    return {v["address"]: int(v["voting_power"]) for v in node.rpc.validators(height)}


def has_validators(node: CometNode, expected: dict[str, int]) -> bool:
    return comet_validators(node) == expected


def first_height_with(node: CometNode, validator: str, *, since: int) -> int:
    """The first height from ``since`` whose validator set (CometBFT's) says what it says now.

    ``/validators`` without a height answers for the next block (``latest + 1``).
    """
    now = validator in comet_validators(node)
    top = node.height() + 1
    for height in range(since, top + 1):
        if (validator in comet_validators(node, height)) == now:
            return height
    raise AssertionError(f"{validator} membership changed after height {top}")


def commit_signatures(node: CometNode, height: int) -> dict[str, int]:
    """The precommits in the commit of ``height``: validator address -> block_id_flag."""
    commit = node.rpc.commit(height)["signed_header"]["commit"]
    return {
        s["validator_address"]: int(s["block_id_flag"])
        for s in commit["signatures"]
        if s["validator_address"]
    }


def signed_by(node: CometNode, validator: str, *, since: int) -> bool:
    """Whether ``validator``'s precommit is in a commit of a block at ``since`` or later."""
    top = node.height() - 1
    return any(
        commit_signatures(node, h).get(validator) == COMMIT_FLAG for h in range(since, top + 1)
    )
