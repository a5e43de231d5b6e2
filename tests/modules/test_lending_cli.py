"""``finchain loan`` against a real solo node and its HTTP API (served in this process).

The dev chain has no governance members to appoint an oracle, so this runs the
commands that need none: an offer, the views, a refused acceptance (no price:
its ``lending`` code reaches the user in one line), and the withdrawal. The full
lifecycle with an oracle runs through blocks in test_lending.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from finchain.cli.common import time_option
from finchain.cli.inprocess import LocalChain, local_chain
from finchain.cli.output import CliError
from tests.inprocess_cli import Cli

DAY_NS = 86_400 * 10**9


@pytest.fixture(scope="module")
def chain() -> Iterator[LocalChain]:
    with local_chain(suite="intl", instant=True, block_interval=0.2) as running:
        yield running


def test_offer_show_list_schedule_refuse_and_cancel(chain: LocalChain) -> None:
    cli = Cli(chain)
    bob = chain.accounts["bob"]
    cli.ok("asset", "create", "GOLD", "--name", "Gold", "--decimals", "0", "--from", "operator")
    cli.ok("asset", "mint", "GOLD", "1000", "--to", "bob", "--from", "operator")
    first, second = time.time_ns() + DAY_NS, time.time_ns() + 2 * DAY_NS
    receipt = cli.ok(
        "loan", "offer", "--borrower", "bob", "--asset", "CNY", "--principal", "10000",
        "--rate-bps", "500", "--due", str(first), "--due", str(second),
        "--collateral-asset", "GOLD", "--collateral", "500",
        "--max-ltv-bps", "6000", "--margin-ltv-bps", "8000", "--from", "alice",
    )  # fmt: skip
    (offered,) = [e for e in receipt["events"] if e["type"] == "loan_offered"]
    loan_id = dict(offered["attributes"])["loan_id"]
    shown = cli.ok("loan", "show", str(loan_id))
    assert shown["state"] == "offered" and shown["borrower"] == bob
    ltv = cli.ok("loan", "ltv", str(loan_id), "--at", "2026-01-01T00:00:00Z")
    assert ltv["time_ns"] == 1_767_225_600 * 10**9 and ltv["price"] is None
    assert ltv["owed"] == "0" and ltv["ltv_bps"] is None
    listed = cli.ok("loan", "list", "bob")["loans"]
    assert [(str(x["id"]), x["role"]) for x in listed] == [(str(loan_id), "borrower")]
    rows = cli.ok("loan", "schedule", str(loan_id))["instalments"]
    assert [(r["principal_due"], r["state"]) for r in rows] == [("5000", "scheduled")] * 2
    assert rows[0]["interest_due"] is None and rows[1]["interest_due"] == str(
        (10_000 * 500 * (second - first) * 2 + 10_000 * 365 * DAY_NS) // (2 * 10_000 * 365 * DAY_NS)
    )
    assert cli.ok("loan", "oracle") == {"oracle": None}
    assert cli.ok("loan", "price", "GOLD", "CNY") == {"price": None}
    code, _, err = cli.run("loan", "accept", str(loan_id), "--from", "bob")
    assert code == 1 and "[lending:10]" in err and len(err.strip().splitlines()) == 1
    cli.ok("loan", "cancel", str(loan_id), "--from", "alice")
    assert cli.ok("loan", "show", str(loan_id))["state"] == "cancelled"


def test_times_are_rfc3339_or_ns() -> None:
    assert time_option("2026-01-01T00:00:01Z", "--due") == 1_767_225_601 * 10**9
    assert time_option("5", "--due") == 5
    with pytest.raises(CliError):
        time_option("tomorrow", "--due")
