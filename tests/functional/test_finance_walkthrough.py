"""docs/finance.md's walk-through, command for command, against a real ``finchain dev`` process.

Steps: read the walk-through block and the ``finchain dev`` line from the page →
start the dev chain with that line (a temporary home, a free port) → run every
line of the block in order through a shell, with the banner's exports; a line
marked ``# refused: CODE`` must fail with that code, every other line must
succeed → check the balances every step should have moved: the DvP's two
legs, the coupon paid to both holders of record, the invoice's discount
paid to the supplier and its face amount collected from the buyer for the bank.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.functional.framework import FINCHAIN
from tests.support import TIMEOUT_FACTOR, free_port, wait_until

pytestmark = pytest.mark.functional
PAGE = Path(__file__).parents[2] / "docs" / "finance.md"
ISIN = "CND100001239"
REFUSED = re.compile(r"\s+# refused: (\w+:\d+)$")


def walkthrough() -> tuple[list[str], list[str]]:
    """The ``finchain dev`` command and the walk-through's lines, as the page spells them."""
    text = PAGE.read_text()
    (dev,) = re.findall(r"^finchain dev .*$", text, re.M)
    (block,) = re.findall(r'```sh title="walk-through"\n(.*?)```', text, re.S)
    lines = [line for line in block.splitlines() if line and not line.startswith("#")]
    return dev.split(), lines


def start_dev(dev: list[str], home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    args = [FINCHAIN, *dev[1:]]
    args[args.index("--home") + 1] = str(home)
    args[args.index("--listen") + 1] = f"127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCHAIN_")}
    with log.open("ab") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)

    def serving() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"finchain dev exited early:\n{log.read_text()}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

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


class Shell:
    """Lines of the page run by bash in one directory, with the dev banner's exports."""

    def __init__(self, cwd: Path, url: str, home: Path) -> None:
        self.cwd = cwd
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FINCHAIN_")}
        self.env.update(
            FINCHAIN_URL=url,
            FINCHAIN_HOME=str(home),
            PATH=f"{Path(FINCHAIN).parent}{os.pathsep}{self.env.get('PATH', '')}",
        )

    def run(self, line: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["bash", "-c", line],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180 * TIMEOUT_FACTOR,
            check=False,
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def json(self, line: str) -> Any:
        done = self.run(line + " --json")
        assert done.returncode == 0, f"{line}: {done.stderr}{done.stdout}"
        return json.loads(done.stdout)


def test_the_finance_walkthrough_runs_as_written(tmp_path: Path) -> None:
    dev, lines = walkthrough()
    assert len(lines) >= 15, "the walk-through block was not found whole"
    home, work = tmp_path / "fin-demo", tmp_path / "work"
    work.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_dev(dev, home, port, tmp_path / "dev.log")
    try:
        shell = Shell(work, url, home)
        names = ("operator", "alice", "bob", "carol")
        ids = {name: shell.json(f"finchain account show {name}")["id"] for name in names}
        before = {name: cny_units(url, ids[name]) for name in names}
        for line in lines:
            refused = REFUSED.search(line)
            done = shell.run(line)
            output = done.stdout + done.stderr
            if refused is None:
                assert done.returncode == 0, f"`{line}` failed:\n{output}"
            else:
                assert done.returncode == 1 and f"[{refused.group(1)}]" in output, (
                    f"`{line}` should be refused with {refused.group(1)}:\n{output}"
                )
        after = {name: cny_units(url, ids[name]) for name in names}
        holders = {
            row["account"]: row
            for row in shell.json(f"finchain bond holders {ISIN} --payment 0")["holders"]
        }
        invoice = shell.json("finchain invoice show 1")
        schedule = shell.json(f"finchain bond schedule {ISIN}")
        supply = int(httpx.get(f"{url}/v1/assets/{ISIN}", timeout=10).json()["value"]["supply"])
    finally:
        stop(process)

    # the DvP delivered 30 of alice's 100 bonds to bob before the record date
    assert {a: int(row["quantity"]) for a, row in holders.items()} == {
        ids["bob"]: 30,
        ids["alice"]: 70,
    }
    # the coupon: 8 days of ACT/365F at 3 % on 100.00 CNY a bond, floored per holder
    paid = {a: int(row["amount"]) for a, row in holders.items()}
    assert paid == {ids["bob"]: 197, ids["alice"]: 460}
    # the redemption on 18 January: face value and 6 days' coupon to the holders, bonds burned
    last = {
        ids["bob"]: 30 * 10000 * 300 * 6 // 3_650_000,
        ids["alice"]: 70 * 10000 * 300 * 6 // 3_650_000,
    }
    assert last == {ids["bob"]: 147, ids["alice"]: 345}
    assert [p["status"] for p in schedule["payments"]] == ["paid", "paid"]
    assert supply == 0
    # the invoice: discounted price to carol, face amount from the treasury to alice at maturity
    assert invoice["status"] == "paid" and invoice["paid_to"] == ids["alice"]
    # every CNY movement: the DvP's cash leg, both coupons, the redemption, the invoice
    assert after["bob"] - before["bob"] == -300_000 + 197 + 147 + 300_000
    assert after["alice"] - before["alice"] == 300_000 + 460 + 345 + 700_000 - 4_980_000 + 5_000_000
    assert after["carol"] - before["carol"] == 4_980_000
    assert (
        after["operator"] - before["operator"] == -(197 + 460) - (147 + 345) - 1_000_000 - 5_000_000
    )


def cny_units(url: str, account: str) -> int:
    answer = httpx.get(f"{url}/v1/accounts/{account}/balances/CNY", timeout=10)
    answer.raise_for_status()
    return int(answer.json()["value"]["amount"])
