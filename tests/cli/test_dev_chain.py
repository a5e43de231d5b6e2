"""``finchain dev`` as ``make run`` starts it: a real process, demo accounts, a demo bank DID.

Steps: start ``finchain dev`` in an empty home → the API answers with the
demo accounts funded → within a few blocks the operator's account is bound to
a DID that governance accredited for KycTierCredential (sent by the node's
background setup as ordinary transactions) → stop with SIGTERM (clean exit) →
start again: the same chain continues and no second DID is registered.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from finchain.cli.main import app
from finchain.modules.accounts.types import account_id
from tests.functional.framework import FINCHAIN
from tests.support import free_port, wait_until

pytestmark = pytest.mark.functional
OPERATOR = account_id(1)


def query(url: str, path: str, **params: str) -> dict:
    response = httpx.get(f"{url}/v1/query/{path}", params=params, timeout=5)
    response.raise_for_status()
    return dict(response.json()["value"])


def start(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCHAIN_")}
    with log.open("ab") as out:
        return subprocess.Popen(
            [FINCHAIN, "dev", "--home", str(home), "--listen", f"127.0.0.1:{port}"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def test_dev_chain_has_demo_accounts_and_an_accredited_bank_did(tmp_path: Path) -> None:
    home, port, log = tmp_path / "dev", free_port(), tmp_path / "dev.log"
    url = f"http://127.0.0.1:{port}"
    process = start(home, port, log)
    try:
        wait_until(lambda: httpx.get(f"{url}/v1/health", timeout=1).status_code == 200,
                 timeout=60, what="the dev API")  # fmt: skip
        balance = httpx.get(f"{url}/v1/accounts/{account_id(2)}/balances/CNY", timeout=5).json()
        assert balance["value"]["amount"] == str(100_000_000_00)
        did = wait_until(
            lambda: query(url, "identity/did_of_account", account=OPERATOR)["did"],
            timeout=90,
            what="the demo DID",
        )
        answer = wait_until(
            lambda: query(url, "credentials/issuer", did=did),
            timeout=90,
            what="the demo DID's accreditation",
        )
        assert "KycTierCredential" in answer["types"], answer
        assert (home / "keystore" / "operator-did.json").exists()
        # the setup thread logs this after it has seen the accreditation committed, which
        # the API may show first: wait for the line rather than race the thread
        wait_until(
            lambda: "demo identity ready" in log.read_text(),
            timeout=30,
            what="the setup thread to report the demo identity ready",
        )
        stop(process)

        process = start(home, port, log)
        wait_until(lambda: httpx.get(f"{url}/v1/health", timeout=1).status_code == 200,
                 timeout=60, what="the dev API after a restart")  # fmt: skip
        wait_until(
            lambda: "demo identity present" in log.read_text(),
            timeout=60,
            what="the setup thread to find the demo identity in place",
        )
        owned = query(url, "identity/dids_of_controller", account=OPERATOR)["dids"]
        assert [d["did"] for d in owned] == [did]
    finally:
        if process.poll() is None:
            stop(process)


def test_a_bad_clock_start_is_refused_before_anything_is_created(
    tmp_path: Path, runner: CliRunner
) -> None:
    home = tmp_path / "dev"
    for bad in ("2027-06-28", "yesterday", "1969-12-31T00:00:00Z"):
        result = runner.invoke(app, ["dev", "--home", str(home), "--clock-start", bad])
        assert result.exit_code == 2, result.output
        assert "--clock-start" in result.output and "RFC 3339" in result.output
    result = runner.invoke(app, ["dev", "--home", str(home), "--clock-rate", "0"])
    assert result.exit_code == 2 and "clock-rate" in result.output
    assert not home.exists()
