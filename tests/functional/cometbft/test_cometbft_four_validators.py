"""Four validators on loopback: agreement, crash tolerance, halting without forking, replay.

Steps, on one network (each needs the state the previous one left):
1. the same tx stream, sent to all four nodes, gives identical app hashes on
   every node at every height;
2. one validator killed (both its processes): blocks continue; txs sent meanwhile
   commit; restarted, it catches up and its app hashes match;
3. two of four killed: no new blocks and no fork (the survivors agree); a tx is
   accepted into the mempool but not committed; one restarted: blocks resume and
   the tx commits; the other restarted catches up;
4. one node's ABCI process SIGKILLed mid-block (after FinalizeBlock computed
   block h, before Commit) while its CometBFT runs: CometBFT exits; both
   restart; CometBFT replays block h into the app and the node rejoins with the
   network's app hashes.
"""

from __future__ import annotations

import logging

import pytest

from finchain.client import builders as b
from finchain.engines.cometbft.server import CrashPoint
from finchain.modules.accounts.types import account_id
from tests.functional.cometbft.framework import CometNetwork, CometNode
from tests.functional.cometbft.genesis import FUNDS
from tests.support import wait_until

pytestmark = pytest.mark.functional
log = logging.getLogger(__name__)
ACCOUNTS = 4
PREVOTE = 4  # CometBFT's RoundStepPrevote


class Ledger:
    """The transfers sent so far, to predict balances: each account pays the next one."""

    def __init__(self, net: CometNetwork) -> None:
        self.net = net
        self.sent = 0
        self.expected = {account_id(i): FUNDS for i in range(1, ACCOUNTS + 1)}

    def send(self, count: int, nodes: list[CometNode]) -> None:
        """Send ``count`` transfers, spread over ``nodes``' mempools.

        Nonces are strict, so all of one payer's pending txs go through one node.
        """
        for _ in range(count):
            payer = self.sent % ACCOUNTS + 1
            payee = payer % ACCOUNTS + 1
            amount = self.sent + 1
            raw = self.net.accounts.signer(payer).sign(
                b.transfer((account_id(payee), "CNY", amount))
            )
            answer = nodes[(payer - 1) % len(nodes)].rpc.broadcast_tx_sync(raw)
            assert answer["code"] == 0, answer
            self.expected[account_id(payer)] -= amount
            self.expected[account_id(payee)] += amount
            self.sent += 1

    def wait_committed(self, nodes: list[CometNode], timeout: float = 30) -> None:
        def committed() -> bool:
            return all(balances(n) == self.expected for n in nodes)

        wait_until(committed, timeout=timeout, what=f"{self.sent} transfers to commit")


def test_four_validators(network):
    net = network(4, accounts=ACCOUNTS)
    net.start()
    ledger = Ledger(net)
    same_stream_same_app_hashes(net, ledger)
    one_validator_down_and_back(net, ledger)
    two_validators_down_halts_without_fork(net, ledger)
    abci_killed_mid_block_replays_and_rejoins(net, ledger)


def same_stream_same_app_hashes(net: CometNetwork, ledger: Ledger) -> None:
    log.info("step 1: one tx stream through all four mempools, over several blocks")
    for _ in range(4):
        ledger.send(10, net.nodes)
        net.wait_height(net.nodes[0].height() + 1)
    ledger.wait_committed(net.nodes)
    top = net.assert_same_history()
    log.info("identical app hashes on all nodes up to height %d", top)


def one_validator_down_and_back(net: CometNetwork, ledger: Ledger) -> None:
    log.info("step 2: kill node 3; the others go on; node 3 comes back and catches up")
    down = net.nodes[3]
    up = net.nodes[:3]
    down.kill()
    height = max(n.height() for n in up)
    net.wait_height(height + 3, nodes=up, timeout=30)
    ledger.send(12, up)
    ledger.wait_committed(up)
    down.start()
    net.wait_height(max(n.height() for n in up), nodes=[down], timeout=60)
    ledger.wait_committed([down])
    net.assert_same_history()


def two_validators_down_halts_without_fork(net: CometNetwork, ledger: Ledger) -> None:
    log.info("step 3: kill nodes 2 and 3; no block, no fork; restart them one by one")
    survivors = net.nodes[:2]
    for node in net.nodes[2:]:
        node.kill()
    ledger.send(1, survivors)  # CheckTx admits it; no block can carry it
    # A block whose precommits were already out may still land. Then, with a transaction
    # waiting, both survivors prevote at the next height and wait there for prevotes that
    # cannot come: wait for that positive sign of a halt, not for a while.
    wait_until(lambda: _stalled(survivors), timeout=60, what="the survivors to stall")
    halted = {n.index: n.height() for n in survivors}
    stalled_at = {n.index: n.consensus_state()[0] for n in survivors}
    assert stalled_at == {i: h + 1 for i, h in halted.items()}, "blocks without 2/3 of power"
    assert len(set(halted.values())) == 1, f"survivors at different heights: {halted}"
    net.assert_same_history(survivors)
    top = max(halted.values())
    net.nodes[2].start()
    net.wait_height(top + 2, nodes=net.nodes[:3], timeout=60)
    ledger.wait_committed(net.nodes[:3])
    net.nodes[3].start()
    net.wait_height(top + 3, timeout=60)
    ledger.wait_committed(net.nodes)
    net.assert_same_history()


def _stalled(nodes: list[CometNode]) -> bool:
    """Every node at one height and round, prevoting, with prevotes short of 2/3 of power."""
    states = [n.consensus_state() for n in nodes]
    same_round = len({(h, r) for h, r, _, _ in states}) == 1
    return same_round and all(step >= PREVOTE and share <= 2 / 3 for _, _, step, share in states)


def abci_killed_mid_block_replays_and_rejoins(net: CometNetwork, ledger: Ledger) -> None:
    log.info("step 4: SIGKILL node 1's app between FinalizeBlock and Commit")
    victim = net.nodes[1]
    others = [n for n in net.nodes if n is not victim]
    crash = CrashPoint("finalize_block", max(n.height() for n in net.nodes) + 4)
    victim.stop()
    victim.start(crash_at=crash)
    ledger.send(12, others)
    assert victim.wait_exit("abci", timeout=60) == -9, "the app dies at the crash point"
    assert f"crash point finalize_block:{crash.height}" in victim.log_since_start("abci")
    victim.wait_exit("cometbft", timeout=30)  # CometBFT stops when its app connection drops
    victim.start()
    net.wait_height(max(n.height() for n in others), nodes=[victim], timeout=60)
    ledger.wait_committed(net.nodes)
    net.assert_same_history()
    replay = victim.log_since_start("cometbft")
    assert f"appHeight={crash.height - 1}" in replay
    assert "Replay last block using real app" in replay


def balances(node: CometNode) -> dict[str, int]:
    result = {}
    for number in range(1, ACCOUNTS + 1):
        params = {"account": account_id(number), "asset": "CNY"}
        answer = node.rpc.abci_query("bank/balance", params)
        assert answer.ok, answer.log
        result[account_id(number)] = int(answer.value["amount"])
    return result
