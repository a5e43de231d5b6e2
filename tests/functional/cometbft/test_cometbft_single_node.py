"""One validator on CometBFT: the whole path from RPC to the Application and back.

Steps (both crypto suites):
1. start a one-validator network;
2. a transfer submitted with broadcast_tx_commit commits, with our events, indexed;
3. a stream submitted with broadcast_tx_sync commits; balances queried through
   CometBFT's abci_query match, and their proofs verify against the header's app hash;
4. bad txs are refused by CheckTx with our codes and never reach a block;
5. garbage on the live ABCI socket closes only that connection: blocks go on;
6. the app is SIGKILLed right after persisting a commit, before CometBFT hears of
   it; CometBFT exits; both restart; CometBFT's handshake reconciles and the
   chain goes on with the same app hash.
"""

from __future__ import annotations

import logging
import socket

import pytest

from finchain.client import builders as b
from finchain.engines.cometbft.server import CrashPoint
from finchain.modules.accounts.types import account_id
from tests.functional.cometbft.framework import CometNetwork, CometNode
from tests.functional.cometbft.genesis import FUNDS
from tests.support import wait_until

pytestmark = pytest.mark.functional
log = logging.getLogger(__name__)
A1, A2, A3 = account_id(1), account_id(2), account_id(3)


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_single_validator_end_to_end(network, suite):
    net = network(1, suite=suite)
    net.start()
    (node,) = net.nodes
    commit_one_transfer(net, node)
    expected = stream_transfers_and_check_balances(net, node)
    bad_txs_are_refused_by_check_tx(net, node)
    garbage_on_the_socket_is_survived(net, node)
    crash_after_commit_and_recover(net, node, expected)


def commit_one_transfer(net: CometNetwork, node: CometNode) -> None:
    log.info("step: broadcast_tx_commit")
    result = node.rpc.broadcast_tx_commit(net.accounts.signer(1).sign(b.transfer((A2, "CNY", 10))))
    assert result["check_tx"]["code"] == 0, result
    assert result["tx_result"]["code"] == 0, result
    transfer = next(e for e in result["tx_result"]["events"] if e["type"] == "transfer")
    attributes = {a["key"]: (a["value"], a["index"]) for a in transfer["attributes"]}
    assert attributes["amount"] == ("10", True)
    assert int(result["height"]) >= 1


def stream_transfers_and_check_balances(net: CometNetwork, node: CometNode) -> dict[str, int]:
    log.info("step: broadcast_tx_sync stream, then proven balance queries")
    signer = net.accounts.signer(2)
    for amount in range(1, 21):
        answer = node.rpc.broadcast_tx_sync(signer.sign(b.transfer((A3, "CNY", amount))))
        assert answer["code"] == 0, answer
    expected = {A1: FUNDS - 10, A2: FUNDS + 10 - 210, A3: FUNDS + 210}
    wait_until(lambda: balance(node, A3) == expected[A3], timeout=30, what="the stream to commit")
    for account, amount in expected.items():
        answer = node.rpc.abci_query(
            "bank/balance", {"account": account, "asset": "CNY"}, prove=True
        )
        assert answer.ok and answer.value["amount"] == str(amount), answer
        assert answer.proofs and all(p.verify() for p in answer.proofs)
        net.wait_height(answer.height + 1)
        assert answer.proofs[0].root == node.rpc.app_hash_after(answer.height)
    return expected


def bad_txs_are_refused_by_check_tx(net: CometNetwork, node: CometNode) -> None:
    log.info("step: CheckTx refusals")
    before = balance(node, A1)
    cases = {
        "replayed nonce": (
            net.accounts.signer(1).sign(b.transfer((A2, "CNY", 1)), nonce=0),
            13,
            "tx",
        ),
        "undecodable": (b"\x00not a transaction", 2, "codec"),
        "overdraft": (net.accounts.signer(3).sign(b.transfer((A1, "CNY", FUNDS * 9))), 4, "bank"),
    }
    for name, (raw, code, codespace) in cases.items():
        answer = node.rpc.broadcast_tx_sync(raw)
        assert (answer["code"], answer["codespace"]) == (code, codespace), (name, answer)
    net.wait_height(node.height() + 2)
    assert balance(node, A1) == before, "no refused tx reached a block"


def garbage_on_the_socket_is_survived(net: CometNetwork, node: CometNode) -> None:
    log.info("step: garbage on the ABCI socket")
    before = node.height()
    for garbage in (b"\xff" * 16, b"\x06\x0a\xff\xff\xff\xff\x0f", b"\x7fshort"):
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(node.home.socket))
            sock.sendall(garbage)
            sock.shutdown(socket.SHUT_WR)
            assert sock.recv(1) == b"", "the server closes a garbage connection"
    net.wait_height(before + 3)
    assert node.alive()
    assert "closing ABCI connection" in node.log_since_start("abci")


def crash_after_commit_and_recover(
    net: CometNetwork, node: CometNode, expected: dict[str, int]
) -> None:
    log.info("step: SIGKILL after a persisted commit, then recovery")
    crash = CrashPoint("commit", node.height() + 3)
    node.stop()
    node.start(crash_at=crash)
    assert node.wait_exit("abci", timeout=30) == -9
    assert node.wait_exit("cometbft", timeout=30) is not None
    assert "crash point commit" in node.log_since_start("abci")
    node.start()
    net.wait_height(crash.height + 3, timeout=60)
    net.assert_same_history()
    assert balance(node, A3) == expected[A3]
    assert "Replay last block using mock app" in node.log_since_start("cometbft")


def balance(node: CometNode, account: str) -> int:
    answer = node.rpc.abci_query("bank/balance", {"account": account, "asset": "CNY"})
    assert answer.ok, answer.log
    return int(answer.value["amount"])
