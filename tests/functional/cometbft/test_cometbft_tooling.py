"""The operator's tools, as a user runs them: ``finchain testnet …`` and ``finchain node``.

1. ``finchain testnet init|up|status|logs|down``: a two-validator ``intl``
   network comes up in the background with funded demo accounts; ``status``
   reports heights, app hashes, peers and API URLs; the CLI pays through one
   node's API with the testnet's keystore, and the SDK reads the payment back
   from the other node's API; ``logs`` tails a node; ``down`` stops all four
   processes;
2. ``finchain node --engine cometbft --home`` starts a node's app (with its API)
   and CometBFT, stops both on SIGTERM with exit code 0, and when its app dies
   it stops CometBFT too and exits non-zero.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from finchain.client import Client
from finchain.engines.cometbft.home import NodeHome
from finchain.engines.cometbft.rpc import CometRpc
from finchain.node.cometbft import processes, testnet
from tests.functional.cometbft.framework import FAST, free_port_base
from tests.support import wait_until

pytestmark = pytest.mark.functional
FINCHAIN = str(Path(sys.executable).parent / "finchain")


def finchain(*args: str) -> str:
    done = subprocess.run([FINCHAIN, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"finchain {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_testnet_cli_end_to_end(tmp_path, net_seed):
    directory = tmp_path / "net"
    base = str(free_port_base(net_seed, 2))
    init_args = ["--validators", "2", "--suite", "intl", "--dir", str(directory)]
    init_args += ["--base-port", base, "--timeout-commit", "200ms", "--json"]
    init = json.loads(finchain("testnet", "init", *init_args))
    assert set(init["accounts"]) == {"operator", "alice", "bob", "carol"}
    net = testnet.Testnet.load(directory)
    try:
        up = json.loads(finchain("testnet", "up", str(directory), "--wait", "60", "--json"))
        assert [row["api"] for row in up] == [n.api_url for n in net.nodes]

        def both_running_with_peers() -> bool:
            report = json.loads(finchain("testnet", "status", str(directory), "--json"))
            return all(
                (s["height"] or 0) >= 2 and s["peers"] == 1 and s["abci_pid"] and s["cometbft_pid"]
                for s in report
            )

        wait_until(both_running_with_peers, timeout=60, what="both nodes past height 2, peered")

        node0, node1 = net.nodes
        pay = ["tx", "transfer", "bob", "12.50", "CNY", "--from", "alice", "--json"]
        paid = json.loads(finchain(*pay, "--home", str(directory), "--url", node0.api_url))
        assert paid["committed"] and paid["code"] == 0, paid
        with Client(node1.api_url) as client:
            wait_until(lambda: client.status().height >= paid["height"], timeout=30, what="sync")
            assert client.balance(init["accounts"]["bob"], "CNY").amount == 100_000_000_00 + 1250
            assert client.tx(paid["tx_id"]).height == paid["height"]

        tail = finchain("testnet", "logs", str(directory), "--node", "1", "-n", "5")
        assert "abci.log" in tail and "cometbft.log" in tail and "finalized block" in tail

        assert "node0" in finchain("testnet", "down", str(directory))
        report = json.loads(finchain("testnet", "status", str(directory), "--json"))
        assert all(s["abci_pid"] is None and s["cometbft_pid"] is None for s in report)
        assert all(s["height"] is None and s["error"] for s in report)
    finally:
        kill_leftovers(net)


def test_node_command_runs_and_stops_both_processes(tmp_path, net_seed):
    base = free_port_base(net_seed, 1)
    net = testnet.init_testnet(tmp_path / "net", 1, base_port=base, settings=FAST)
    (spec,) = net.nodes
    home = spec.home
    runner = start_node(home)
    try:
        with CometRpc(spec.rpc_url) as rpc:
            wait_until(lambda: rpc.height() >= 2, timeout=60, what="the node to make blocks")
        with Client(spec.api_url) as client:
            assert client.status().engine == "cometbft"
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(30) == 0, log_tail(home)
        assert not_running(home)

        runner = start_node(home)
        wait_until(lambda: running(home), timeout=30, what="both processes")
        os.kill(processes.running_pid(home, processes.ABCI), signal.SIGKILL)
        assert runner.wait(30) == 1, log_tail(home)
        assert not_running(home), "the runner stops CometBFT when the app dies"
    finally:
        if runner.poll() is None:
            runner.kill()
        kill_leftovers(net)


def start_node(home: NodeHome) -> subprocess.Popen[bytes]:
    out = (home.root / "runner.log").open("ab")
    return subprocess.Popen(
        [FINCHAIN, "node", "--engine", "cometbft", "--home", str(home.root)],
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def running(home: NodeHome) -> bool:
    return all(processes.running_pid(home, n) for n in (processes.ABCI, processes.COMETBFT))


def not_running(home: NodeHome) -> bool:
    return all(processes.running_pid(home, n) is None for n in (processes.ABCI, processes.COMETBFT))


def kill_leftovers(net: testnet.Testnet) -> None:
    for node in net.nodes:
        for name in (processes.COMETBFT, processes.ABCI):
            pid = processes.running_pid(node.home, name)
            if pid is not None:
                os.kill(pid, signal.SIGKILL)


def log_tail(home: NodeHome) -> str:
    return Path(home.root / "runner.log").read_text()[-2000:]
