"""A 4-validator CometBFT testnet measured with `finchain bench` (issue 4's figure).

Exactly the commands of docs/cometbft.md ("Throughput"): `finchain testnet
init` (intl suite, timeout_commit 500 ms, mempool 10,000, tx index off),
`finchain testnet up`, then `finchain bench` against node 0's HTTP API with
70,000 pre-signed Ed25519 transfers (batches of 200 over 8 lanes), and
`finchain testnet down`. Prints bench's last line.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FINCHAIN = str(Path(sys.executable).parent / "finchain")


def _finchain(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FINCHAIN, *args], capture_output=True, text=True, timeout=timeout, env=dict(os.environ)
    )


def run(*, validators: int, txs: int, base_port: int) -> str:
    workdir = Path(tempfile.mkdtemp(prefix="finchain-testnet-bench-"))
    net = str(workdir / "net")
    try:
        init = _finchain(
            "testnet",
            "init",
            "--validators",
            str(validators),
            "--suite",
            "intl",
            "--dir",
            net,
            "--base-port",
            str(base_port),
            "--timeout-commit",
            "500ms",
            "--mempool-size",
            "10000",
            timeout=300,
        )
        if init.returncode != 0:
            return f"testnet init failed: {init.stderr.strip()[-300:]}"
        up = _finchain("testnet", "up", net, timeout=300)
        if up.returncode != 0:
            return f"testnet up failed: {up.stderr.strip()[-300:]}"
        bench = _finchain(
            "bench",
            "--url",
            f"http://127.0.0.1:{base_port + 2}",
            "--home",
            net,
            "--txs",
            str(txs),
            "--accounts",
            "1000",
            "--batch",
            "200",
            "--concurrency",
            "8",
            timeout=1800,
        )
        lines = bench.stdout.strip().splitlines()
        last = lines[-1] if lines else f"bench failed: {bench.stderr.strip()[-300:]}"
        print(f"validators={validators} suite=intl {last}", flush=True)
        return last
    finally:
        _finchain("testnet", "down", net, timeout=120)
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--validators", type=int, default=4)
    parser.add_argument("--txs", type=int, default=70_000)
    parser.add_argument("--base-port", type=int, default=24_000)
    args = parser.parse_args(argv)
    run(validators=args.validators, txs=args.txs, base_port=args.base_port)


if __name__ == "__main__":
    main()
