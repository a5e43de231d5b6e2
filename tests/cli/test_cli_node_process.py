"""Scenario with real processes: a ``finchain node`` and the ``finchain`` CLI, as a user runs them.

Steps: start a node from a fresh home → pay through the SDK and through the CLI →
save a tx inclusion proof and a balance proof with the CLI → verify both
offline with ``finchain verify proof`` (anchored by the home's genesis) → an
altered proof fails → SIGTERM stops the node cleanly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from finchain.client import Client, builders
from finchain.devchain.setup import DemoAsset, HomeSpec, init_home
from finchain.node.home import PASSPHRASE_ENV, Home
from tests.support import free_port

pytestmark = pytest.mark.functional

FINCHAIN = str(Path(sys.executable).parent / "finchain")
PASSPHRASE = "process test passphrase"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[Home, str, dict[str, str]]]:
    port = free_port()
    home = Home(tmp_path / "home")
    ids = init_home(
        home,
        HomeSpec(
            chain_id="cli-process",
            suite="gm",
            passphrase=PASSPHRASE,
            account_names=("operator", "alice", "bob"),
            assets=(DemoAsset("CNY", "Yuan", 2, 1_000_000),),
            config_text=f'[api]\nlisten = "127.0.0.1:{port}"\n\n[solo]\ninstant = true\n',
            scrypt_n=2**4,
        ),
    )
    log_path = tmp_path / "node.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [FINCHAIN, "node", "--home", str(home.path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, PASSPHRASE_ENV: PASSPHRASE},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"node did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield home, url, ids
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def finchain(*args: str, home: Home, url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FINCHAIN_PASSPHRASE": PASSPHRASE,
        "FINCHAIN_URL": url,
        "FINCHAIN_HOME": str(home.path),
    }
    return subprocess.run(
        [FINCHAIN, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_sdk_and_cli_payments_proven_offline(
    node: tuple[Home, str, dict[str, str]], tmp_path: Path
) -> None:
    home, url, ids = node
    with Client(url) as client:
        alice = client.signer(ids["alice"], [("k1", home.keystore().load("alice", PASSPHRASE))])
        sdk = client.submit_tx(
            alice.sign(builders.transfer((ids["bob"], "CNY", 100))), mode="commit"
        )
        assert sdk.committed

    paid = finchain(
        "tx", "transfer", "bob", "2.50", "CNY", "--from", "alice", "--json", home=home, url=url
    )
    assert paid.returncode == 0, paid.stderr
    receipt = json.loads(paid.stdout)
    assert receipt["code"] == 0 and receipt["height"] > sdk.height  # type: ignore[operator]

    tx_proof, balance_proof = tmp_path / "tx.json", tmp_path / "balance.json"
    for tx_id, path in ((sdk.tx_id, tmp_path / "sdk-tx.json"), (receipt["tx_id"], tx_proof)):
        shown = finchain("tx", "show", tx_id, "--save", str(path), home=home, url=url)
        assert shown.returncode == 0, shown.stderr
        verified = finchain("verify", "proof", str(path), home=home, url=url)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "VALID" in verified.stdout

    balance = finchain(
        "query", "balance", "bob", "CNY", "--save", str(balance_proof), "--json", home=home, url=url
    )
    assert balance.returncode == 0, balance.stderr
    assert json.loads(balance.stdout)["units"] == str(1_000_000 + 100 + 250)
    verified = finchain("verify", "proof", str(balance_proof), "--json", home=home, url=url)
    assert verified.returncode == 0 and json.loads(verified.stdout)["valid"] is True

    document = json.loads(tx_proof.read_text())
    document["tx"] = document["tx"][:-2] + ("00" if document["tx"][-2:] != "00" else "01")
    tx_proof.write_text(json.dumps(document))
    rejected = finchain("verify", "proof", str(tx_proof), home=home, url=url)
    assert rejected.returncode == 1 and "INVALID" in rejected.stderr
    assert "Traceback" not in rejected.stdout + rejected.stderr
