"""``finchain intervene`` against a real solo node and its HTTP API (served in this process).

The dev chain has no officers (governance has not appointed any): the officer
set reads empty, a proposal sent from the command line reaches the chain and is
refused there with ``interventions:2`` (a court order file hashed locally on the
way), listings are empty, and flags the command can judge alone exit before
anything is sent. The module's behaviour with officers is tested through real
blocks in tests/modules/test_interventions.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from finchain.cli.inprocess import LocalChain
from tests.inprocess_cli import Cli


@pytest.fixture
def cli(runner: CliRunner, api: LocalChain) -> Cli:
    return Cli(api, runner)


def test_intervene_reaches_the_chain_and_is_refused_without_officers(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli.ok("intervene", "officers") == {"officers": [], "threshold": 0}
    order = tmp_path / "order.pdf"
    order.write_bytes(b"court order 2026-17")
    height = int(cli.ok("query", "status")["height"])
    code, _, err = cli.run(
        "intervene", "propose", "forced_transfer", "--from", "alice",
        "--legal-basis", "Civil Procedure Law Art. 103", "--deadline-height", str(height + 50),
        "--affected", "bob", "--to", "alice", "--asset", "CNY", "--amount", "1.00",
        "--order-file", str(order),
    )  # fmt: skip
    assert code == 1 and "interventions:2" in err
    listed = cli.ok("intervene", "list", "--status", "proposed")
    assert listed["interventions"] == []
    code, _, err = cli.run("intervene", "show", "1")
    assert code == 1 and "interventions:4" in err


def test_flags_judged_locally_exit_before_sending(cli: Cli) -> None:
    code, _, err = cli.run(
        "intervene", "propose", "confiscate", "--from", "alice",
        "--legal-basis", "x", "--deadline-height", "5",
    )  # fmt: skip
    assert code != 0 and "KIND must be one of" in err
    code, _, err = cli.run("intervene", "list")
    assert code != 0 and "--account ACCOUNT or --status STATUS" in err
