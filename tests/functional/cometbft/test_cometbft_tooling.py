"""The operator's tools: the testnet commands and the one-node supervisor.

1. ``testnet init|up|status|down`` (the module's command line) bring a
   two-validator network up in the background, report heights and pids, and
   stop all four processes;
2. ``run --home`` starts a node's app and CometBFT, stops both on SIGTERM with
   exit code 0, and when its app dies it stops CometBFT too and exits non-zero.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from finchain.engines.cometbft import processes, testnet
from finchain.engines.cometbft.home import NodeHome
from finchain.engines.cometbft.rpc import CometRpc
from tests.functional.cometbft.framework import FAST, free_port_base, wait_until

pytestmark = pytest.mark.functional
TESTNET = [sys.executable, "-m", "finchain.engines.cometbft.testnet"]


def run_testnet_cli(*args: str) -> str:
    done = subprocess.run([*TESTNET, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_testnet_commands_manage_every_process(tmp_path, net_seed):
    directory = tmp_path / "net"
    base = str(free_port_base(net_seed, 2))
    run_testnet_cli("init", "--validators", "2", "--dir", str(directory), "--base-port", base)
    net = testnet.Testnet.load(directory)
    try:
        run_testnet_cli("up", str(directory))

        def both_past_height_2() -> bool:
            report = json.loads(run_testnet_cli("status", str(directory)))
            return all(
                (s["height"] or 0) >= 2 and s["abci_pid"] and s["cometbft_pid"] for s in report
            )

        wait_until(both_past_height_2, timeout=60, what="both nodes to pass height 2")
        assert "stopped: node0, node1" in run_testnet_cli("down", str(directory))
        report = json.loads(run_testnet_cli("status", str(directory)))
        assert all(s["abci_pid"] is None and s["cometbft_pid"] is None for s in report)
        assert all(s["height"] is None and s["error"] for s in report)
    finally:
        for node in net.nodes:
            for name in (processes.COMETBFT, processes.ABCI):
                pid = processes.running_pid(node.home, name)
                if pid is not None:
                    os.kill(pid, signal.SIGKILL)


def test_runner_starts_and_stops_both_processes(tmp_path, net_seed):
    base = free_port_base(net_seed, 1)
    net = testnet.init_testnet(tmp_path / "net", 1, base_port=base, settings=FAST)
    (spec,) = net.nodes
    home = spec.home
    runner = start_runner(home)
    try:
        with CometRpc(spec.rpc_url) as rpc:
            wait_until(lambda: rpc.height() >= 2, timeout=60, what="the node to make blocks")
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(30) == 0, log_tail(home)
        assert not_running(home)

        runner = start_runner(home)
        wait_until(lambda: not_running(home) is False, timeout=30, what="both processes")
        os.kill(processes.running_pid(home, processes.ABCI), signal.SIGKILL)
        assert runner.wait(30) == 1, log_tail(home)
        assert not_running(home), "the runner stops CometBFT when the app dies"
    finally:
        if runner.poll() is None:
            runner.kill()
        for name in (processes.COMETBFT, processes.ABCI):
            pid = processes.running_pid(home, name)
            if pid is not None:
                os.kill(pid, signal.SIGKILL)


def start_runner(home: NodeHome) -> subprocess.Popen[bytes]:
    out = (home.root / "runner.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "finchain.engines.cometbft.run", "--home", str(home.root)],
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def not_running(home: NodeHome) -> bool:
    return all(processes.running_pid(home, n) is None for n in (processes.ABCI, processes.COMETBFT))


def log_tail(home: NodeHome) -> str:
    return Path(home.root / "runner.log").read_text()[-2000:]
