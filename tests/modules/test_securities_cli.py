"""``finchain bond`` against a real solo node and its HTTP API (served in this process):
register, issue, show, schedule, call, and a refusal with its code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from finchain.cli.inprocess import LocalChain, local_chain
from finchain.cli.main import app

ISIN = "CND100001239"


@pytest.fixture(scope="module")
def chain() -> Iterator[LocalChain]:
    with local_chain(suite="gm", instant=True, block_interval=0.2) as running:
        yield running


class Cli:
    def __init__(self, chain: LocalChain) -> None:
        self.chain = chain
        self.runner = CliRunner()

    def run(self, *args: str) -> tuple[int, str, str]:
        env = {"FINCHAIN_URL": self.chain.url, "FINCHAIN_HOME": str(self.chain.home)}
        result = self.runner.invoke(app, list(args), env=env)
        assert "Traceback" not in result.output, result.output
        return result.exit_code, result.stdout, result.stderr

    def ok(self, *args: str) -> Any:
        code, out, err = self.run(*args, "--json")
        assert code == 0, f"finchain {' '.join(args)} -> {code}: {err}{out}"
        return json.loads(out)


def test_register_issue_show_and_call_a_bond(chain: LocalChain) -> None:
    cli = Cli(chain)
    registered = cli.ok(
        "bond", "register", ISIN, "--name", "CGB 2031", "--cash", "CNY", "--face", "10000",
        "--rate-bps", "250", "--day-count", "30/360", "--issue-date", "2026-01-15",
        "--maturity", "2031-01-15", "--coupon-date", "2030-01-15", "--record-days", "2",
        "--remainder-account", "carol", "--from", "operator",
    )  # fmt: skip
    assert registered["code"] == 0 and registered["isin"] == ISIN
    assert cli.ok("bond", "issue", ISIN, "alice", "40", "--from", "operator")["code"] == 0
    shown = cli.ok("bond", "show", ISIN)
    assert shown["issuer"] == chain.accounts["operator"] and shown["day_count"] == "30/360"
    assert shown["remainder_account"] == chain.accounts["carol"]
    schedule = cli.ok("bond", "schedule", ISIN)["payments"]
    assert [(p["kind"], p["pay_date"], p["per_bond"]) for p in schedule] == [
        ("coupon", "2030-01-15", str(10_000 * 250 * 1440 // 3_600_000)),  # four 30/360 years
        ("redemption", "2031-01-15", str(10_000 + 250)),
    ]
    code, _, err = cli.run("bond", "call", ISIN, "--date", "2031-06-01", "--price", "10100",
                           "--from", "operator")  # fmt: skip
    assert code == 1 and "[securities:12]" in err
    code, _, err = cli.run("bond", "issue", ISIN, "bob", "1", "--from", "alice")
    assert code == 1 and "[securities:11]" in err
    called = cli.ok("bond", "call", ISIN, "--date", "2029-07-15", "--price", "10100",
                    "--from", "operator")  # fmt: skip
    assert called["code"] == 0
    statuses = [p["status"] for p in cli.ok("bond", "schedule", ISIN)["payments"]]
    assert statuses == ["cancelled", "cancelled", "scheduled"]
    assert cli.ok("bond", "holders", ISIN, "--payment", "2")["holders"] == []
