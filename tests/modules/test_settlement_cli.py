"""``finchain settle`` against a real solo node and its HTTP API, as a user types it:
draft, endorse and submit (one transaction, by the submitter the draft names); instruct
on both sides (matching); cancel; show and list through the generic query route."""

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
from tests.inprocess_cli import Cli


@pytest.fixture(scope="module")
def api() -> Iterator[LocalChain]:
    with local_chain(suite="intl", instant=True, block_interval=0.2) as chain:
        yield chain


def wait_status(cli: Cli, id_: int, status: str) -> dict[str, Any]:
    for _ in range(50):
        found = cli.ok("settle", "show", str(id_))
        if found["status"] == status:
            return dict(found)
        time.sleep(0.1)
    raise AssertionError(f"instruction {id_} stayed {found['status']}")


def test_settle_commands_end_to_end(api: LocalChain, tmp_path: Path) -> None:
    cli = Cli(api)
    cli.ok("asset", "create", "BOND-9", "--name", "Bond", "--decimals", "0", "--from", "operator")
    cli.ok("asset", "mint", "BOND-9", "100", "--to", "alice", "--from", "operator")
    deal = tmp_path / "deal.json"
    draft = [
        "settle", "draft", "--kind", "dvp", "--leg", "alice,bob,BOND-9,10",
        "--leg", "bob,alice,CNY,5000", "--deadline-height", "100000",
    ]  # fmt: skip
    cli.ok(*draft, "--ref", "T-CLI-1", "--out", str(deal))
    endorsement = tmp_path / "bob.json"
    cli.ok("settle", "endorse", str(deal), "--key", "bob", "--out", str(endorsement))
    sent = cli.ok(
        "settle", "submit", str(deal), "--endorsement", str(endorsement), "--from", "alice"
    )
    assert sent["code"] == 0
    first = wait_status(cli, 1, "settled")
    assert first["instruction"]["reference"] == "T-CLI-1"
    # The same file again is a replay.
    code, _, err = cli.run(
        "settle", "submit", str(deal), "--endorsement", str(endorsement), "--from", "alice"
    )
    assert code == 1 and "[settlement:12]" in err
    # Without bob's endorsement: refused with its own code.
    cli.ok(*draft, "--ref", "T-CLI-2", "--out", str(deal))
    code, _, err = cli.run("settle", "submit", str(deal), "--from", "alice")
    assert code == 1 and "[settlement:8]" in err
    # Drafted for bob to submit: alice may not, even with the endorsement.
    cli.ok(*draft, "--ref", "T-CLI-5", "--submitter", "bob", "--out", str(deal))
    drafted = json.loads(deal.read_text())
    assert drafted["submitter"] == drafted["legs"][1]["sender"] != drafted["legs"][0]["sender"]
    code, _, err = cli.run(
        "settle", "submit", str(deal), "--endorsement", str(endorsement), "--from", "alice"
    )
    assert code == 1 and "[settlement:20]" in err

    # Matching: each side instructs the same file.
    cli.ok(*draft, "--ref", "T-CLI-3", "--out", str(deal))
    cli.ok("settle", "instruct", str(deal), "--counterparty", "bob", "--from", "alice")
    assert wait_status(cli, 2, "unmatched")
    cli.ok("settle", "instruct", str(deal), "--counterparty", "alice", "--from", "bob")
    wait_status(cli, 2, "settled")
    listed = cli.ok("settle", "list", "bob")
    assert [i["instruction"]["reference"] for i in listed["instructions"]] == [
        "T-CLI-1",
        "T-CLI-3",
    ]

    # An unmatched side withdrawn by its submitter.
    cli.ok(*draft, "--ref", "T-CLI-4", "--out", str(deal))
    cli.ok("settle", "instruct", str(deal), "--counterparty", "bob", "--from", "alice")
    cli.ok("settle", "cancel", "3", "--from", "alice")
    wait_status(cli, 3, "cancelled")


def test_draft_refuses_a_bad_leg_before_any_node(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["settle", "draft", "--ref", "X", "--kind", "fop",
         "--leg", "FC940000000001,FC940000000001,CNY,5", "--deadline-height", "5",
         "--home", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 2 and "settlement:4" in result.stderr
