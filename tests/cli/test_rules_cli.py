"""``finchain rules`` against a real solo node and its HTTP API (served in this process).

The dev chain has no regulator: a publish reaches the chain and is refused with
``compliance:2``; a broken rule file is refused locally before anything is sent;
the reads answer the empty state. The module's behaviour is tested through real
blocks in tests/modules/test_compliance*.py, the simulation in
tests/modules/test_compliance_simulation.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from finchain.cli.inprocess import LocalChain
from tests.inprocess_cli import Cli


@pytest.fixture
def cli(runner: CliRunner, api: LocalChain) -> Cli:
    return Cli(api, runner)


def rules_file(tmp_path: Path, expr: str) -> Path:
    path = tmp_path / "rules.json"
    rule = {"id": "cap", "expr": expr, "action": "deny", "reason": "above the cap"}
    path.write_text(json.dumps({"rules": [rule]}))
    return path


def test_rules_commands_reach_the_chain(cli: Cli, tmp_path: Path) -> None:
    assert cli.ok("rules", "list") == {"active": 0, "rulesets": []}
    assert cli.ok("rules", "show") == {"version": 0, "ruleset": None}
    good = rules_file(tmp_path, "move.amount >= 5000000")
    code, _, err = cli.run("rules", "publish", str(good), "--from", "alice")
    assert code == 1 and "compliance:2" in err
    code, _, err = cli.run("rules", "approve", "1", "--from", "alice")
    assert code == 1 and "compliance:10" in err
    code, _, err = cli.run("rules", "show", "1")
    assert code == 1 and "compliance:4" in err


def test_a_broken_rule_file_is_refused_before_sending(cli: Cli, tmp_path: Path) -> None:
    bad = rules_file(tmp_path, "move.amount > 1.5")
    code, _, err = cli.run("rules", "publish", str(bad), "--from", "alice")
    assert code != 0 and "floating-point literal" in err
    (tmp_path / "junk.json").write_text("[")
    code, _, err = cli.run("rules", "publish", str(tmp_path / "junk.json"), "--from", "alice")
    assert code != 0 and "not a JSON rule set" in err


def test_the_tx_result_and_the_receipt_material_name_the_rule_set(cli: Cli) -> None:
    receipt = cli.ok("tx", "transfer", "bob", "1.00", "CNY", "--from", "alice")
    shown = cli.ok("tx", "show", receipt["tx_id"])
    assert shown["info"] == "ruleset=0"
    material = httpx.get(f"{cli.chain.url}/v1/receipts/{receipt['tx_id']}", timeout=10).json()
    assert material["result"] == {"code": 0, "codespace": "", "info": "ruleset=0"}
