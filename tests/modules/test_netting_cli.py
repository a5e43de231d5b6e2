"""``finchain netting`` against a real solo node and its HTTP API, served in this process.

Steps: the operator opens a cycle among alice, bob and carol; alice submits from a
CSV file, bob with --pay; the cycle settles at its cut-off; ``show`` prints the
report and the nets, ``unsettled`` the (empty) list; bad input is refused with
the netting code and an exit status of 1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from finchain.cli.inprocess import LocalChain, local_chain
from finchain.cli.main import app


@pytest.fixture(scope="module")
def chain() -> Iterator[LocalChain]:
    with local_chain(suite="intl", block_interval=0.2) as running:
        yield running


def run(chain: LocalChain, *args: str) -> tuple[int, str]:
    env = {"FINCHAIN_URL": chain.url, "FINCHAIN_HOME": str(chain.home)}
    result = CliRunner().invoke(app, list(args), env=env)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.stdout + result.stderr


def ok(chain: LocalChain, *args: str) -> Any:
    code, out = run(chain, *args, "--json")
    assert code == 0, f"finchain {' '.join(args)} -> {code}: {out}"
    return json.loads(out)


def units(chain: LocalChain, name: str) -> int:
    return int(ok(chain, "query", "balance", chain.accounts[name], "CNY")["units"])


def test_open_submit_settle_show(chain: LocalChain, tmp_path: Path) -> None:
    names = sorted(chain.accounts)
    operator, a, b, c = names[0], names[1], names[2], names[3]
    opened = ok(
        chain, "netting", "open", "CNY", "--member", a, "--member", b, "--member", c,
        "--close-after", "20", "--from", operator,
    )  # fmt: skip
    cycle = str(opened["cycle"])
    csv = tmp_path / "payments.csv"
    csv.write_text(f"# payee,amount\n{b},10.00\n{c},2.50\n")
    before = {n: units(chain, n) for n in (a, b, c)}
    sent = ok(chain, "netting", "submit", cycle, "CNY", "--file", str(csv), "--from", a)
    assert sent["obligations"] == 2 and len(sent["submitted_tx_ids"]) == 1
    ok(chain, "netting", "submit", cycle, "CNY", "--pay", f"{a}=4", "--from", b)
    code, out = run(chain, "netting", "submit", cycle, "CNY", "--pay", f"{a}=1", "--from", a)
    assert code == 1 and "netting" in out  # self-obligation: netting:6
    deadline = time.monotonic() + 30
    while ok(chain, "netting", "show", cycle)["status"] == "open":
        assert time.monotonic() < deadline, "the cycle did not settle"
        time.sleep(0.2)
    shown = ok(chain, "netting", "show", cycle)
    assert shown["report"]["gross"] == "1650" and shown["report"]["net"] == "850"
    assert shown["report"]["saved"] == "800"
    ids = chain.accounts
    assert shown["positions"] == {ids[a]: "-850", ids[b]: "600", ids[c]: "250"}
    assert {n: units(chain, n) - before[n] for n in (a, b, c)} == {a: -850, b: 600, c: 250}
    assert ok(chain, "netting", "unsettled", cycle)["obligations"] == []
    code, out = run(chain, "netting", "show", cycle)
    assert code == 0 and "net positions" in out
    code, out = run(chain, "netting", "submit", cycle, "CNY", "--pay", f"{b}=1", "--from", a)
    assert code == 1 and "cut-off" in out
