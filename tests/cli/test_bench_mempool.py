"""``finchain bench`` against a node whose mempool is smaller than the bench's load.

Steps: start a solo node (real process) whose mempool holds 60 transactions, 1 s
blocks → ``finchain bench`` (real process) with 2 lanes x 100 in flight → the node
refuses part of them with ``[mempool:2]`` → the bench exits 1 with one error line
that says the mempool was full, how many were refused, the load that caused it and
what to change; ``--json`` counts them in ``mempool_full``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from finchain.devchain.setup import DemoAsset, HomeSpec, init_home
from finchain.node.home import PASSPHRASE_ENV, Home
from tests.functional.framework import FINCHAIN, TestNode
from tests.support import free_port

pytestmark = pytest.mark.functional
PASSPHRASE = "bench mempool passphrase"


def test_bench_says_when_the_mempool_is_full(tmp_path: Path) -> None:
    port = free_port(os.getpid() + 104729)
    home = tmp_path / "home"
    init_home(
        Home(home),
        HomeSpec(
            chain_id="bench-mempool",
            suite="intl",
            passphrase=PASSPHRASE,
            assets=(DemoAsset("CNY", "Yuan", 2, 10**9),),
            scrypt_n=2**4,
            config_text=(
                f'[api]\nlisten = "127.0.0.1:{port}"\n\n'
                "[solo]\nblock_interval = 1.0\nmempool_max_txs = 60\n"
            ),
        ),
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCHAIN_")}
    node = TestNode(0, home, port, {**env, PASSPHRASE_ENV: PASSPHRASE})
    try:
        node.start()
        bench = subprocess.run(
            [FINCHAIN, "bench", "--url", node.url, "--home", str(home), "--txs", "400",
             "--accounts", "10", "--batch", "100", "--concurrency", "2", "--json"],
            capture_output=True, text=True, timeout=300,
            env={**env, "FINCHAIN_PASSPHRASE": PASSPHRASE},
        )  # fmt: skip
        assert bench.returncode == 1, bench.stdout + bench.stderr
        report = json.loads(bench.stdout)
        assert report["mempool_full"] > 0 and report["failed"] >= report["mempool_full"]
        assert report["committed"] + report["failed"] == 400
        (line,) = bench.stderr.strip().splitlines()
        assert line.startswith(f"error: {report['failed']} of 400 transactions failed"), line
        assert f"{report['mempool_full']} were refused because the node's mempool was full" in line
        assert "200 in flight (--concurrency 2 x --batch 100)" in line
        assert "mempool_max_txs" in line and "--mempool-size" in line
    finally:
        node.cleanup()
