"""``finchain rules simulate``: a proposed set judged on a node's past blocks reports exactly
the transactions a later activation of the same set refuses; the node's state is untouched."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from finchain.cli.main import app as cli
from finchain.client import builders as b
from finchain.core.context import ExecMode
from finchain.core.gas import GasMeter
from finchain.core.kv import Overlay
from finchain.modules.compliance.ante import RuleSetProbe
from finchain.modules.compliance.types import PUBLISHED, Rule, RuleSet
from finchain.node.home import Home
from finchain.node.rules_simulation import simulate
from finchain.store import Database
from tests.modules.compliance_world import deny, flag, make_home_world
from tests.modules.test_governance import A

RULES = [
    deny("cap", "move.amount >= 1000 && move.kind == 'transfer'", "above the cap: split it"),
    flag("watch", "move.amount >= 500"),
]
PAYMENTS = [(1, 2, 400), (2, 3, 1000), (3, 1, 700), (1, 3, 1500), (2, 1, 999)]


def test_simulation_reports_what_a_later_activation_refuses(tmp_path: Path) -> None:
    home = tmp_path / "node"
    world = make_home_world(home)
    first = world.height + 1
    sent = []
    for who, to, amount in PAYMENTS:
        result = world.ok(who, b.transfer((A[to], "CNY", amount)))
        assert result.info == "ruleset=0"
        sent.append((world.height, who, to, amount))
    last = world.height
    state_root = world.app.state.root()
    world.app.close()

    ruleset = RuleSet(1, A[4], tuple(Rule.from_json(r) for r in RULES), PUBLISHED, 0)
    findings = simulate(Home(home), ruleset, first, last)
    denied = sorted(f.height for f in findings if f.outcome == "deny")
    flagged = sorted(f.height for f in findings if f.outcome == "flag")
    assert denied == [h for h, _, _, amount in sent if amount >= 1000]
    assert flagged == [h for h, _, _, amount in sent if 500 <= amount < 1000]
    assert all(f.rule == "cap" for f in findings if f.outcome == "deny")
    assert all(f.historical_code == 0 and f.index == 0 for f in findings)

    # the node's database is as it was (read only)
    db = Database(home / "data")
    try:
        assert db.get(b"compliance/active") is None
    finally:
        db.close()

    # the CLI prints the same findings
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": RULES}))
    span = ["--from", str(first), "--to", str(last)]
    out = CliRunner().invoke(
        cli, ["rules", "simulate", str(path), *span, "--home", str(home), "--json"]
    )
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [(r["height"], r["outcome"]) for r in rows] == [(f.height, f.outcome) for f in findings]

    # now activate the same set and send the same payments: exactly the simulated denials fail
    world.chain.reopen()
    world.app = world.gov.app = world.chain.app
    assert world.app.state.root() == state_root
    world.install(*RULES)
    refused = []
    for height, who, to, amount in sent:
        result = world.send(who, b.transfer((A[to], "CNY", amount)))
        if not result.ok:
            assert result.info == "ruleset=1" and result.code == 6
            refused.append(height)
    assert refused == denied


def test_the_probe_costs_the_transaction_nothing(tmp_path: Path) -> None:
    """A charged probe could push a transaction over its budget in the replay only."""
    world = make_home_world(tmp_path / "node")
    ruleset = RuleSet(1, A[4], tuple(Rule.from_json(r) for r in RULES), PUBLISHED, 0)
    probe = RuleSetProbe(ruleset, range(1, 10**6))
    probe.attach(world.app.compliance)
    raw = world.gov.tx(1, b.transfer((A[2], "CNY", 1500)), b.transfer((A[3], "CNY", 600)))
    tx, tx_id, msgs = world.app._decode(raw)
    meter = GasMeter(5_000)
    ctx = world.app._context(
        Overlay(world.app.state), meter, ExecMode.FINALIZE, world.height + 1, 0, tx.body.account
    )
    probe(ctx, tx, tx_id, msgs)
    assert [f.outcome for f in probe.findings] == ["deny"]
    assert (meter.consumed, meter.limit) == (0, 5_000)
