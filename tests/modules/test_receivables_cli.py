"""``finchain invoice`` against a real solo node and its HTTP API, as a user types it.

A supplier (alice) registers an invoice document on a buyer (bob), bob confirms,
alice offers it to a bank (carol) at a discount, carol accepts, and at maturity
the chain collects the face amount from bob for carol. The same document is then
refused, and a bad command exits with the chain's code.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from finchain.cli.inprocess import LocalChain, local_chain
from tests.inprocess_cli import Cli


@pytest.fixture(scope="module")
def chain() -> Iterator[LocalChain]:
    with local_chain(suite="gm", instant=True, block_interval=0.2) as running:
        yield running


def units(cli: Cli, account: str) -> int:
    return int(cli.ok("query", "balance", account, "CNY")["units"])


def test_an_invoice_is_financed_then_collected_at_maturity(chain: LocalChain, tmp_path: Path):
    cli = Cli(chain)
    document = tmp_path / "invoice-2026-001.pdf"
    document.write_bytes(b"%PDF invoice 2026-001: 1,000.00 CNY, goods delivered")
    alice, bob, carol = (chain.accounts[n] for n in ("alice", "bob", "carol"))
    before = {who: units(cli, who) for who in (alice, bob, carol)}
    maturity_ns = time.time_ns() + 6_000_000_000

    registered = cli.ok(
        "invoice", "register", str(document), "--buyer", "bob", "--amount", "1000.00",
        "--maturity", str(maturity_ns), "--ref", "INV-2026-001", "--from", "alice",
    )  # fmt: skip
    invoice_id = registered["id"]
    assert registered["hash_alg"] == "sm3"
    cli.ok("invoice", "confirm", invoice_id, "--from", "bob")
    cli.ok(
        "invoice", "offer", invoice_id, "--bank", "carol", "--price", "990.00", "--from", "alice"
    )
    cli.ok("invoice", "accept", invoice_id, "--price", "990.00", "--from", "carol")
    shown = cli.ok("invoice", "show", "--file", str(document))
    assert (shown["holder"], shown["financier"], shown["face"]) == (carol, carol, "1000.00")
    assert units(cli, alice) == before[alice] + 99_000

    deadline = time.monotonic() + 30
    while cli.ok("invoice", "show", invoice_id)["status"] != "paid":
        assert time.monotonic() < deadline, "the invoice was not collected at maturity"
        cli.ok("tx", "transfer", "alice", "0.01", "CNY", "--from", "operator")  # a block
    assert units(cli, bob) == before[bob] - 100_000
    assert units(cli, carol) == before[carol] - 99_000 + 100_000
    held = cli.ok("invoice", "show", "--holder", "carol")
    assert [i["id"] for i in held["invoices"]] == [int(invoice_id)]

    code, _, err = cli.run(
        "invoice", "register", str(document), "--buyer", "carol", "--amount", "5.00",
        "--maturity", "2099-01-01T00:00:00Z", "--ref", "AGAIN", "--from", "bob",
    )  # fmt: skip
    assert code == 1 and "receivables:3" in err, err
