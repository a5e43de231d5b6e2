"""A new user's first minutes with ``finchain dev``, with real processes throughout.

Steps: start ``finchain dev`` in an empty home → its banner names the chain (id and
genesis hash) and says how to point the CLI at it (``FINCHAIN_URL``,
``FINCHAIN_HOME``) → ``finchain bench`` right away, while the dev chain's own setup
transactions move the operator's nonce: everything commits → the demo identity is
still set up → with the banner's exports, ``query status`` reports that genesis hash
and no warning → a second dev chain (same chain id, another port) answers for the
first one's home: ``query status`` warns and names both chains, ``vc verify`` and
``tx transfer`` refuse (exit 2) instead of answering or signing for the wrong chain →
``vc verify`` against the right node verifies.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from finchain.modules.accounts.types import account_id
from tests.functional.framework import FINCHAIN
from tests.support import free_port, wait_until

pytestmark = pytest.mark.functional
BANNER_CHAIN = re.compile(r"chain    finchain-dev \(genesis ([0-9a-f]{64})\)")


def start_dev(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCHAIN_")}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [FINCHAIN, "dev", "--home", str(home), "--listen", f"127.0.0.1:{port}"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def serving() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"finchain dev exited early:\n{log.read_text()}")
        return httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200

    wait_until(serving, timeout=60, what=f"the dev API on port {port}")
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def finchain(*args: str, url: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCHAIN_")}
    env.update({"FINCHAIN_URL": url, "FINCHAIN_HOME": str(home)})
    done = subprocess.run([FINCHAIN, *args], capture_output=True, text=True, env=env, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_dev_then_bench_then_a_second_dev_chain(tmp_path: Path) -> None:
    home_a, home_b = tmp_path / "a", tmp_path / "b"
    port_a, port_b = free_port(os.getpid()), free_port(os.getpid() + 7919)
    url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    dev_a = start_dev(home_a, port_a, log_a)
    dev_b = None
    try:
        # the bench at once: the dev setup sends as the operator in these same seconds
        bench = finchain(
            "bench", "--txs", "300", "--accounts", "30", "--batch", "50",
            "--concurrency", "3", "--json", url=url_a, home=home_a,
        )  # fmt: skip
        assert bench.returncode == 0, bench.stderr + bench.stdout
        report = json.loads(bench.stdout)
        assert report["committed"] == 300 and report["failed"] == 0, report

        banner = log_a.read_text()
        assert f"export FINCHAIN_URL={url_a} FINCHAIN_HOME={home_a.resolve()}" in banner
        found = BANNER_CHAIN.search(banner)
        assert found is not None, banner
        genesis_a = found.group(1)
        wait_until(lambda: "demo identity ready" in log_a.read_text(), timeout=120,
                   what="the demo identity despite the bench")  # fmt: skip

        status = finchain("query", "status", "--json", url=url_a, home=home_a)
        assert status.returncode == 0 and status.stderr == "", status.stderr
        assert json.loads(status.stdout)["genesis_hash"] == genesis_a

        operator = account_id(1)
        answer = httpx.get(
            f"{url_a}/v1/query/identity/did_of_account", params={"account": operator}, timeout=5
        )
        did = answer.json()["value"]["did"]
        credential = tmp_path / "kyc.json"
        issued = finchain(
            "vc", "issue", "--issuer", did, "--key", "operator-did", "--subject", did,
            "--type", "KycTierCredential", "--claims", '{"kycTier": 2}',
            "--out", str(credential), url=url_a, home=home_a,
        )  # fmt: skip
        assert issued.returncode == 0, issued.stderr

        # another dev chain: same chain id, another genesis, another port
        dev_b = start_dev(home_b, port_b, log_b)
        genesis_b = httpx.get(f"{url_b}/v1/status", timeout=5).json()["genesis_hash"]
        assert genesis_b != genesis_a

        status = finchain("query", "status", "--json", url=url_b, home=home_a)
        assert status.returncode == 0 and json.loads(status.stdout)["genesis_hash"] == genesis_b
        warning = status.stderr.strip()
        assert warning.startswith("warning: the node at " + url_b), warning
        assert f"finchain-dev (genesis {genesis_b[:16]})" in warning
        assert f"{home_a}/genesis.json (finchain-dev, genesis {genesis_a[:16]})" in warning

        refused = finchain("vc", "verify", str(credential), url=url_b, home=home_a)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        (line,) = refused.stderr.strip().splitlines()
        assert "refusing to verify against it" in line and genesis_b[:16] in line
        assert "FINCHAIN_URL" in line and "FINCHAIN_HOME" in line

        transfer = finchain("tx", "transfer", "bob", "1", "CNY", "--from", "alice",
                            url=url_b, home=home_a)  # fmt: skip
        assert transfer.returncode == 2 and "refusing to sign for it" in transfer.stderr

        verified = finchain("vc", "verify", str(credential), "--json", url=url_a, home=home_a)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert verified.stderr == ""
    finally:
        stop(dev_a)
        if dev_b is not None:
            stop(dev_b)
