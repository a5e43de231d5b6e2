"""Solo node over HTTP: signed transfers per second and submit-to-commit latency.

Starts a real ``finchain node`` process (1 s blocks) in a temp home for each
scheme, then runs ``finchain bench`` against it, which funds accounts,
pre-signs transfers, submits them in batches from several client processes
(``--processes``) and waits for every one to commit.
Prints bench's own last line per scheme.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from finchain.devchain.setup import DemoAsset, HomeSpec, init_home
from finchain.node.home import PASSPHRASE_ENV, Home

FINCHAIN = str(Path(sys.executable).parent / "finchain")
PASSPHRASE = "bench passphrase"


def free_port() -> int:
    """A port nobody listens on now: a fixed one could answer from a leftover node."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(suite: str, scheme: str, *, txs: int, accounts: int, batch: int, processes: int = 4) -> str:
    workdir = Path(tempfile.mkdtemp(prefix="finchain-node-bench-"))
    port = free_port()
    home = Home(workdir / "home")
    config = (
        f'[api]\nlisten = "127.0.0.1:{port}"\nmax_batch = {batch}\nmax_concurrency = 64\n\n'
        '[solo]\nblock_interval = 1.0\nmempool_max_txs = 400000\n\n[node]\nlog_level = "warning"\n'
    )
    init_home(
        home,
        HomeSpec(
            chain_id="bench",
            suite=suite,
            passphrase=PASSPHRASE,
            account_names=("operator",),
            assets=(DemoAsset("CNY", "Yuan", 2, 10**15),),
            config_text=config,
        ),
    )
    env = {**os.environ, PASSPHRASE_ENV: PASSPHRASE}
    log = (workdir / "node.log").open("wb")
    node = subprocess.Popen(
        [FINCHAIN, "node", "--home", str(home.path)], stdout=log, stderr=log, env=env
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or node.poll() is not None:
                raise RuntimeError(f"node did not start; see {workdir / 'node.log'}")
            time.sleep(0.1)
        bench = subprocess.run(
            [
                FINCHAIN,
                "bench",
                "--url",
                f"http://127.0.0.1:{port}",
                "--txs",
                str(txs),
                "--accounts",
                str(accounts),
                "--scheme",
                scheme,
                "--batch",
                str(batch),
                "--concurrency",  # the published figures' load (the CLI default is 8)
                "16",
                "--processes",
                str(processes),
                "--home",
                str(home.path),
                "--from",
                "operator",
            ],
            env={**env, "FINCHAIN_PASSPHRASE": PASSPHRASE},
            capture_output=True,
            text=True,
            timeout=900,
        )
        last = (bench.stdout.strip().splitlines() or ["(no output)"])[-1]
        if bench.returncode != 0:
            kept = workdir.parent / "finchain-bench-failure"
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(workdir, kept, ignore=shutil.ignore_patterns("data", "keystore"))
            (kept / "bench.log").write_text(bench.stdout + bench.stderr)
            last = f"bench failed ({bench.returncode}): logs in {kept}"
        print(f"suite={suite} scheme={scheme} {last}", flush=True)
        return last
    finally:
        node.terminate()
        node.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--txs", type=int, default=60_000)
    parser.add_argument("--sm2-txs", type=int, default=12_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--processes",
        type=int,
        default=4,
        help="client processes (one client process cannot decode the answers fast enough)",
    )
    args = parser.parse_args(argv)
    common = {"accounts": args.accounts, "batch": args.batch, "processes": args.processes}
    run("intl", "ed25519", txs=args.txs, **common)
    run("gm", "sm2", txs=args.sm2_txs, **common)


if __name__ == "__main__":
    main()
