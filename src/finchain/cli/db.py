"""``finchain db``: the operator's tools for a node's database (the node must be stopped).

``finchain db check`` reads everything the node stored and reports what is
damaged (see :mod:`finchain.node.dbcheck`); exit 0 when the home is sound, 1
when anything is damaged. docs/OPERATIONS.md says what to do about each finding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from finchain.chain import FinchainApp
from finchain.cli.common import DEFAULT_HOME, HomeOpt, JsonOpt
from finchain.cli.output import CliError, emit, failures, stderr
from finchain.node.dbcheck import check_home
from finchain.node.home import Home

app = typer.Typer(
    help="The node's database: integrity checks, export as a genesis.", no_args_is_help=True
)


def _node_home(home: Path) -> Path:
    path = Path(home).expanduser()
    if not (path / "genesis.json").is_file():
        raise CliError(f"no node home at {path}: pass --home (the directory with genesis.json)")
    return path


@app.command()
def check(home: HomeOpt = DEFAULT_HOME, as_json: JsonOpt = False) -> None:
    """Read every entry, state tree, block and index entry of a stopped node; report damage."""
    with failures():
        path = _node_home(home)

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


@app.command("export")
def export_state(
    home: HomeOpt = DEFAULT_HOME,
    out: Annotated[Path, typer.Option("--out", help="where to write the genesis JSON")] = Path(
        "exported-genesis.json"
    ),
    chain_id: Annotated[
        str, typer.Option("--chain-id", help="the new chain's id (default: the same)")
    ] = "",
    as_json: JsonOpt = False,
) -> None:
    """Write the last committed state of a stopped node as the genesis of a chain that continues it.

    The document's initial_height is the next height and its genesis_time the last
    block's time, so heights and times in state keep their meaning
    (docs/OPERATIONS.md, "Exporting the state").
    """
    with failures():
        path = _node_home(home)
        if out.exists():
            raise CliError(f"{out} exists: choose another --out or move it away")
        chain = FinchainApp(Home(path).data_dir)
        try:
            genesis = chain.export(chain_id=chain_id or None)
        finally:
            chain.close()
        genesis.save(out)
    emit(
        {"out": str(out), "chain_id": genesis.chain_id, "initial_height": genesis.initial_height},
        as_json=as_json,
        title="exported",
    )
