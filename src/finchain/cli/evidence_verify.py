"""``finchain evidence verify RECEIPT [FILE] --trust GENESIS_OR_VALSET``: offline, step by step.

No URL, no node, no database: the receipt, the document (optional) and the
trusted genesis or validator set are all local files. Every step is printed
with what it showed or why it failed; the exit code is 0 only when the
receipt is valid. ``finchain evidence`` (``cli/evidence.py``) registers
:func:`verify` in its group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from finchain.cli.common import JsonOpt, load_json_file
from finchain.cli.output import CliError, emit, failures, stderr, stdout
from finchain.client.receipt_verify import FAILED, NOT_RUN, OK, ReceiptVerification, verify_receipt
from finchain.offchain.receipts.format import MAX_RECEIPT_BYTES

_STYLE = {OK: "[green]ok[/]", FAILED: "[bold red]FAILED[/]", NOT_RUN: "[dim]not run[/]"}


def verify(
    receipt: Annotated[Path, typer.Argument(help="the receipt (JSON, as finchain wrote it)")],
    trust: Annotated[
        Path,
        typer.Option(
            "--trust",
            help="trusted genesis.json (finchain's or CometBFT's) or validator-set JSON",
        ),
    ],
    file: Annotated[
        Path | None, typer.Argument(help="the document: its hash must be the receipt's")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Verify a receipt offline against a trusted genesis or validator set."""
    with failures():
        trusted = load_json_file(trust.expanduser(), "trusted genesis or validator set")
        data = _read(receipt.expanduser())
        if file is None:
            result = verify_receipt(data, trusted)
        else:
            try:
                with file.expanduser().open("rb") as document:
                    result = verify_receipt(data, trusted, file=document)
            except OSError as exc:
                raise CliError(f"cannot read the document {file}: {exc}") from None
        _show(result, json_out)
        if not result.ok:
            step = result.failure
            reason = f"{step.name}: {step.detail} [{step.code}]" if step else "no step ran"
            stderr.print(
                f"error: receipt INVALID: {reason}", markup=False, highlight=False, soft_wrap=True
            )
            raise typer.Exit(1)


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_RECEIPT_BYTES + 1)
    except OSError as exc:
        raise CliError(f"cannot read the receipt {path}: {exc}") from None
    return data


def _show(result: ReceiptVerification, json_out: bool) -> None:
    if json_out:
        emit(result.to_json(), as_json=True)
        return
    table = Table(title="receipt verification (offline)")
    table.add_column("step", style="bold")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for step in result.steps:
        status = _STYLE.get(step.status, f"[yellow]{step.status}[/]")
        table.add_row(step.name, status, Text(step.detail))  # details are not markup
    stdout.print(table)
    if result.ok:
        stdout.print("[bold green]VALID[/]: every step passed.")
