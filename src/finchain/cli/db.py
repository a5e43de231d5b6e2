"""``finchain db``: the operator's tools for a node's database (the node must be stopped).

``finchain db check`` reads everything the node stored and reports what is
damaged (see :mod:`finchain.node.dbcheck`); exit 0 when the home is sound, 1
when anything is damaged. docs/OPERATIONS.md says what to do about each finding.
"""

from __future__ import annotations

from pathlib import Path

import typer

from finchain.cli.common import DEFAULT_HOME, HomeOpt, JsonOpt
from finchain.cli.output import CliError, emit, failures, stderr
from finchain.node.dbcheck import check_home
from finchain.node.home import Home

app = typer.Typer(help="The node's database: integrity checks.", no_args_is_help=True)


@app.command()
def check(home: HomeOpt = DEFAULT_HOME, as_json: JsonOpt = False) -> None:
    """Read every entry, state tree, block and index entry of a stopped node; report damage."""
    with failures():
        path = Path(home).expanduser()
        if not (path / "genesis.json").is_file():
            raise CliError(f"no node home at {path}: pass --home (the directory with genesis.json)")

        def progress(step: str) -> None:
            if not as_json:
                stderr.print(f"{step}…", highlight=False, markup=False)

        report = check_home(Home(path), progress=progress)
    if as_json:
        emit(report.to_json(), as_json=True)
    else:
        summary = {k: v for k, v in report.to_json().items() if k != "damage"}
        emit(summary, as_json=False, title="database check")
        for item in report.damage:
            stderr.print(
                f"damaged [{item.area}] {item.where}: {item.problem}",
                highlight=False,
                soft_wrap=True,
                markup=False,
            )
        if not report.ok:
            stderr.print(
                "the home is damaged: see docs/OPERATIONS.md, 'Storage damage'", markup=False
            )
    if not report.ok:
        raise typer.Exit(1)
