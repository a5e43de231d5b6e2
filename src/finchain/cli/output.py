"""How every command reports: ``--json`` for scripts, Rich tables for people, one-line errors.

A command raises ``FinchainError`` (or ``CliError``, ``CommandFailed``) and
``failures()`` turns it into a one-line reason on stderr and a non-zero exit code
(2 for a usage problem, 1 for anything else); no traceback reaches the user.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from finchain.client.errors import ClientError, TxError
from finchain.errors import FinchainError
from finchain.offchain.datarights import DataKeyError
from finchain.offchain.vc import StatusChangeError

T = TypeVar("T")
stdout = Console()
stderr = Console(stderr=True)


class CliError(Exception):
    """A usage problem the user can fix (bad argument, missing file): exit 2."""


class CommandFailed(Exception):
    """The operation was attempted and failed, without a chain error code to show: exit 1."""


# The SDK's errors for inputs that do not fit together (a data-key file of another
# chain, a credential without an entry in the given status list): usage errors, exit 2.
USAGE_ERRORS: tuple[type[Exception], ...] = (CliError, DataKeyError, StatusChangeError)


def emit(data: Any, *, as_json: bool, title: str = "") -> None:
    """Print ``data`` as JSON or as a table (a dict: key/value rows; a list of dicts: columns)."""
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=_jsonable) + "\n")
        return
    if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
        table = Table(title=title or None)
        columns = list(data[0])
        for column in columns:
            table.add_column(str(column), overflow="fold")
        for row in data:
            table.add_row(*(_cell(row.get(c)) for c in columns))
        stdout.print(table)
    elif isinstance(data, dict):
        table = Table(title=title or None, show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value", overflow="fold")
        for key, value in data.items():
            table.add_row(str(key), _cell(value))
        stdout.print(table)
    else:
        stdout.print(data)


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, default=_jsonable)
    return "" if value is None else str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot serialise {type(value).__name__}")


@contextmanager
def failures() -> Iterator[None]:
    """Turn known errors into a one-line reason and exit code 1."""
    try:
        yield
    except FinchainError as exc:
        stderr.print(
            f"error [{exc.codespace}:{exc.code}] {exc.message}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
        raise typer.Exit(1) from None
    except USAGE_ERRORS as exc:
        stderr.print(f"error: {exc}", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(2) from None
    except CommandFailed as exc:
        stderr.print(f"error: {exc}", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1) from None
    except ClientError as exc:  # the SDK: node unreachable, API error, failed transaction
        code, codespace = getattr(exc, "code", None), getattr(exc, "codespace", "")
        where = f" [{codespace}:{code}]" if code and codespace else ""
        tx = f" tx {exc.tx_id}:" if isinstance(exc, TxError) else ""
        stderr.print(
            f"error{where}{tx} {exc.message}", highlight=False, soft_wrap=True, markup=False
        )
        raise typer.Exit(1) from None


def run_command(fn: Callable[[], T]) -> T:
    with failures():
        return fn()
