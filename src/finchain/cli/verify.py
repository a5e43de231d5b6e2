"""``finchain verify proof``: check a saved proof offline, explaining every step.

No node, no database: only the file, the standard-library verifiers of
``finchain.store`` and whatever the user trusts (a root, a header, a genesis).
Exit 0 means every check passed and the proven root is anchored to that
trusted input; exit 1 means something failed or nothing trusted was given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from finchain.cli.common import DEFAULT_HOME, HomeOpt, JsonOpt, load_json_file
from finchain.cli.output import CliError, emit, failures, stderr, stdout
from finchain.cli.prooffile import FAIL, PASS, Report, Trust, verify_document

app = typer.Typer(help="Offline verification of saved proofs.", no_args_is_help=True)

_STYLE = {PASS: "[green]pass[/]", FAIL: "[bold red]FAIL[/]", "skip": "[yellow]note[/]"}


@app.command("proof")
def proof(
    file: Annotated[Path, typer.Argument(help="saved proof (finchain-proof/v1 JSON); - for stdin")],
    root: Annotated[
        str | None,
        typer.Option(
            "--root", help="trusted root, hex: the app hash (state proof) or tx root (tx proof)"
        ),
    ] = None,
    header: Annotated[
        Path | None,
        typer.Option(
            "--header",
            help="trusted block JSON (`finchain query block H --save F`) anchoring the root",
        ),
    ] = None,
    genesis: Annotated[
        Path | None,
        typer.Option(
            "--genesis",
            help="trusted genesis.json: the header must be signed by one of its validators "
            "(default: HOME/genesis.json when it exists)",
        ),
    ] = None,
    home: HomeOpt = DEFAULT_HOME,
    json_out: JsonOpt = False,
) -> None:
    """Verify a saved state or tx proof against a trusted root, header or genesis."""
    with failures():
        if root is not None and header is not None:
            raise CliError("give --root or --header, not both")
        trust = Trust()
        if root is not None:
            try:
                trust.root = bytes.fromhex(root.removeprefix("0x"))
            except ValueError:
                raise CliError(f"--root {root!r} is not hex") from None
        if header is not None:
            trust.header = load_json_file(header.expanduser(), "header")
        genesis_path = genesis.expanduser() if genesis else home.expanduser() / "genesis.json"
        if genesis is not None or genesis_path.is_file():
            trust.genesis = load_json_file(genesis_path, "genesis")
            trust.genesis_source = str(genesis_path)
        document = load_json_file(file.expanduser() if str(file) != "-" else file, "proof")
        report = verify_document(document, trust)
        _show(report, json_out)
        if not report.ok:
            failed = next((c for c in report.checks if c.status == FAIL), None)
            reason = f"{failed.name}: {failed.detail}" if failed else "no checks ran"
            stderr.print(f"error: proof INVALID: {reason}", highlight=False, soft_wrap=True)
            raise typer.Exit(1)


def _show(report: Report, json_out: bool) -> None:
    if json_out:
        emit(report.to_json(), as_json=True)
        return
    table = Table(title=f"{report.kind} proof", show_lines=False)
    table.add_column("check", style="bold")
    table.add_column("result")
    table.add_column("why")
    for check in report.checks:
        table.add_row(check.name, _STYLE.get(check.status, check.status), check.detail)
    stdout.print(table)
    if report.ok:
        stdout.print("[bold green]VALID[/]: every check passed and the root is anchored.")
