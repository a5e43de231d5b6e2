"""``finchain bond`` against a real solo node and its HTTP API (served in this process):
register, issue, show, schedule, call, and a refusal with its code."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from finchain.cli.inprocess import LocalChain, local_chain
from finchain.engines.solo import node as solo_node
from tests.inprocess_cli import Cli

ISIN = "CND100001239"


@pytest.fixture(scope="module")
def chain() -> Iterator[LocalChain]:
    with local_chain(suite="gm", instant=True, block_interval=0.2) as running:
        yield running


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


class _Clock:
    """``time`` for the solo node, with ``time_ns`` moved forward by ``offset`` ns."""

    def __init__(self) -> None:
        self.offset = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    def time_ns(self) -> int:
        return time.time_ns() + self.offset


def test_a_bond_bought_from_another_bank_pays_its_coupon_to_the_buyer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The walk-through's shape: the issuer issues to bank A; A sells to bank B (here two
    transfers; with the settlement module one DvP instruction); the coupon goes to B, the
    holder of record. The solo node's clock is moved to the payment date."""
    clock = _Clock()
    monkeypatch.setattr(solo_node, "time", clock)
    with local_chain(suite="intl", instant=True, block_interval=0.2) as running:
        cli = Cli(running)
        today = date.fromtimestamp(time.time())
        pay = today + timedelta(days=10)
        cli.ok(
            "bond", "register", ISIN, "--name", "Demo bond", "--cash", "CNY", "--face", "10000",
            "--rate-bps", "300", "--day-count", "ACT/365F", "--issue-date", today.isoformat(),
            "--maturity", (today + timedelta(days=400)).isoformat(),
            "--coupon-date", pay.isoformat(), "--remainder-account", "carol",
            "--from", "operator",
        )  # fmt: skip
        cli.ok("bond", "issue", ISIN, "alice", "100", "--from", "operator")
        cli.ok("tx", "transfer", "bob", "30", ISIN, "--from", "alice")
        cli.ok("tx", "transfer", "alice", "3000", "CNY", "--from", "bob")
        before = int(cli.ok("query", "balance", "bob", "CNY")["units"])
        clock.offset = (pay - today).days * 86_400 * 10**9
        cli.ok("tx", "transfer", "carol", "1", "CNY", "--from", "operator")  # a block after it
        holders = cli.ok("bond", "holders", ISIN, "--payment", "0")
        assert holders["status"] == "paid"
        coupon = 30 * 10_000 * 300 * 10 // 3_650_000
        assert {h["account"]: h["amount"] for h in holders["holders"]} == {
            running.accounts["alice"]: str(70 * 10_000 * 300 * 10 // 3_650_000),
            running.accounts["bob"]: str(coupon),
        }
        assert int(cli.ok("query", "balance", "bob", "CNY")["units"]) == before + coupon
