"""``finchain rules``: compliance rule sets (docs/regulation/compliance.md).

A regulator publishes a set from a JSON file (``publish``); a governance member
proposes its activation at a height (``activate-proposal``); anyone reads them
(``show``, ``list``); named approvers release held transactions (``approve``).
``simulate`` judges a proposed set against a stopped node's past blocks, offline
(the node's home directory, read only), and prints what it would have denied,
flagged or held.

The file is either a list of rules or ``{"rules": [...]}``; each rule is
``{"id", "expr", "action": "deny"|"flag"|"approve", "reason", "report_type",
"approvers", "approvals", "approval_blocks"}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.common import DEFAULT_HOME, HomeOpt, JsonOpt
from finchain.cli.online import event_value
from finchain.cli.output import CliError, emit, failures
from finchain.cli.txflags import NodeOptions, TxOptions, query_command, tx_command
from finchain.client import builders as b
from finchain.client import compliance_builders as cb
from finchain.errors import FinchainError
from finchain.modules.compliance.keeper import compile_rules
from finchain.modules.compliance.types import PUBLISHED, Rule, RuleSet, check_rules
from finchain.node.home import Home

app = typer.Typer(
    help="Compliance rule sets: publish, activate by governance, inspect, simulate, approve.",
    no_args_is_help=True,
)

FileArg = Annotated[Path, typer.Argument(help="the rule set, JSON", exists=True, dir_okay=False)]


def load_rules(path: Path) -> tuple[Rule, ...]:
    """The rules of ``path``, checked and compiled here (the chain checks them again)."""
    try:
        data: Any = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CliError(f"{path}: not a JSON rule set ({exc})") from None
    if isinstance(data, dict):
        data = data.get("rules")
    if not isinstance(data, list) or not data:
        raise CliError(f'{path}: expected a non-empty list of rules or {{"rules": [...]}}')
    try:
        rules = tuple(cb.rule_of(r) for r in data)
        check_rules(rules)
        compile_rules(rules)
    except FinchainError as exc:
        raise CliError(f"{path}: {exc.message}") from None
    return rules


@tx_command(app, "publish")
def publish(file: FileArg, *, tx: TxOptions) -> None:
    """Publish the rule set in FILE as a regulator; it gets the next version."""
    rules = load_rules(file)
    with tx.session() as s:
        receipt = s.send(cb.publish(rules))
    events = receipt.deliver.events if receipt.deliver is not None else ()
    extra: dict[str, Any] = {"rules": len(rules)}
    found = [e for e in events if e.type == "compliance_published"]
    if found:
        extra["version"] = int(found[0].get("version") or 0)
    tx.report(receipt, extra)


@tx_command(app, "activate-proposal")
def activate_proposal(
    version: Annotated[int, typer.Argument(help="the published rule set", min=1)],
    height: Annotated[int, typer.Option("--height", min=1, help="the activation height")],
    *,
    tx: TxOptions,
) -> None:
    """Submit a governance proposal that activates VERSION at --height (members sign)."""
    action = b.exec_msg(cb.activate(version, height))
    with tx.session() as s:
        receipt = s.send(b.submit_proposal(f"activate rule set {version} at {height}", [action]))
    extra: dict[str, Any] = {"version": version, "activation_height": height}
    found = event_value(receipt, "proposal_submitted", "proposal_id")
    if found is not None:
        extra["proposal_id"] = int(found)
    tx.report(receipt, extra)


@tx_command(app, "approve")
def approve(
    held_id: Annotated[int, typer.Argument(help="the held transaction", min=1)],
    *,
    tx: TxOptions,
) -> None:
    """Approve a held transaction as one of its named approvers."""
    with tx.session() as s:
        receipt = s.send(cb.approve(held_id))
    tx.report(receipt, {"held_id": held_id, "approver": s.account})


@query_command(app, "show")
def show(
    version: Annotated[int, typer.Argument(help="a version (default: the active set)", min=0)] = 0,
    *,
    q: NodeOptions,
) -> None:
    """A rule set with its rules and status (the active one without VERSION)."""
    with q.connect() as client:
        if version:
            found = client.query("compliance/ruleset", {"version": str(version)}).value
        else:
            found = client.query("compliance/active", {}).value
    q.emit(found, title=f"rule set {version or 'active'}")


@query_command(app, "list")
def list_rulesets(*, q: NodeOptions) -> None:
    """Every rule set: version, status, heights, number of rules."""
    with q.connect() as client:
        found = client.query("compliance/rulesets", {}).value
    q.emit(
        found["rulesets"] if not q.json else found, title=f"rule sets (active {found['active']})"
    )


@app.command("simulate")
def simulate_command(
    file: FileArg,
    first: Annotated[int, typer.Option("--from", min=1, help="first height judged")],
    last: Annotated[int, typer.Option("--to", min=1, help="last height judged")],
    home: HomeOpt = DEFAULT_HOME,
    as_json: JsonOpt = False,
) -> None:
    """Replay a stopped node's blocks and print what FILE's rules would deny, flag or hold.

    Offline: reads the node home (--home) and re-executes its blocks from genesis in a
    scratch directory; nothing of the node changes.
    """
    from finchain.node.rules_simulation import simulate

    with failures():
        rules = load_rules(file)
        path = Path(home).expanduser()
        if not (path / "genesis.json").is_file():
            raise CliError(f"no node home at {path}: pass --home (the directory with genesis.json)")
        if first > last:
            raise CliError("--from must not be above --to")
        ruleset = RuleSet(1, "FC000000000000", rules, PUBLISHED, 0)
        try:
            findings = simulate(Home(path), ruleset, first, last)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    rows = [
        {
            "height": f.height,
            "index": f.index,
            "tx": f.tx_id,
            "outcome": f.outcome,
            "rule": f.rule,
            "message": f.message,
            "was": f"code {f.historical_code}, {f.historical_info or 'no info'}",
        }
        for f in findings
    ]
    emit(rows, as_json=as_json, title=f"rule set {file.name} on blocks {first}..{last}")


__all__ = ["app", "load_rules"]
