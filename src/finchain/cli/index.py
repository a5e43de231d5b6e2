"""``finchain index``: the SQL index of the chain (docs/regulation/indexer.md).

``run`` follows a node and writes its blocks into SQLite or PostgreSQL until SIGTERM or
Ctrl-C; ``status`` says where an index stands; ``report`` writes a report (CSV, JSON,
PDF) from an index. ``--db`` defaults to ``$FINCHAIN_INDEX_DB``, else the index
``finchain dev`` keeps in its home (``.finchain-dev/index.db``).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from finchain.cli.common import time_option
from finchain.cli.output import CliError, CommandFailed, emit, failures, stderr
from finchain.indexer import (
    BadDatabaseUrl,
    Database,
    HttpSource,
    Index,
    Indexer,
    IndexerError,
    connect,
    index_status,
    open_index,
    render,
)
from finchain.indexer.reports import FLOWS, FORMATS, Format

app = typer.Typer(
    help="The SQL index of the chain: follow a node, status, reports.", no_args_is_help=True
)

DEFAULT_DB = "sqlite:.finchain-dev/index.db"
DbOpt = Annotated[
    str,
    typer.Option(
        "--db",
        help="index database: sqlite:///ABS/PATH.db, sqlite:REL/PATH.db or postgresql://…",
        envvar="FINCHAIN_INDEX_DB",
        show_default=True,
    ),
]
log = logging.getLogger("finchain.indexer")


def _open(url: str, *, migrate: bool = True) -> Database:
    try:
        return connect(url, migrate=migrate)
    except BadDatabaseUrl as exc:
        raise CliError(str(exc)) from None
    except IndexerError as exc:
        raise CommandFailed(str(exc)) from None


@app.command()
def run(
    node: Annotated[str, typer.Option("--node", help="the node's API", envvar="FINCHAIN_URL")] = (
        "http://127.0.0.1:8640"
    ),
    db: DbOpt = DEFAULT_DB,
    batch: Annotated[
        int, typer.Option(help="blocks per database transaction", min=1, max=10_000)
    ] = 50,
    poll: Annotated[float, typer.Option(help="seconds between looks at the tip", min=0.05)] = 0.5,
    token: Annotated[
        str,
        typer.Option(
            help="bearer token, when the node requires logins for reads", envvar="FINCHAIN_TOKEN"
        ),
    ] = "",
    once: Annotated[bool, typer.Option("--once", help="catch up to the tip, then exit")] = False,
) -> None:
    """Follow NODE's committed blocks into the index until SIGTERM/Ctrl-C (or, --once, the tip).

    Each batch of whole blocks is one transaction with the new height, so killing this
    process at any moment loses and duplicates nothing: the next run continues.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per block request is noise
    with failures():
        database = _open(db)
        try:
            source = HttpSource(node, token=token)
        except IndexerError as exc:
            database.close()
            raise CliError(str(exc)) from None
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        last_log = [0.0]

        def progress(height: int, rows: int) -> None:
            now = time.monotonic()
            if now - last_log[0] >= 5:
                last_log[0] = now
                log.info("indexed up to height %d (%d rows in this batch)", height, rows)

        indexer = Indexer(database, source, batch=batch, on_commit=progress)
        try:
            if once:
                start = time.perf_counter()
                written = indexer.catch_up(stop=stop)
                took = max(time.perf_counter() - start, 1e-9)
                log.info(
                    "indexed %d blocks, %d rows in %.2f s (%.0f blocks/s, %.0f rows/s)",
                    written,
                    indexer.rows_written,
                    took,
                    written / took,
                    indexer.rows_written / took,
                )
            else:
                log.info("indexing %s into %s", node, database.url)
                indexer.run(stop, poll=poll)
        except IndexerError as exc:
            raise CommandFailed(str(exc)) from None
        finally:
            source.close()
            database.close()
        log.info("indexer stopped at height %d", _height(db))


def _height(url: str) -> int:
    database = connect(url, migrate=False)
    try:
        status = index_status(database)
        return status.last_indexed_height if status else 0
    finally:
        database.close()


@app.command()
def status(
    db: DbOpt = DEFAULT_DB,
    node: Annotated[str, typer.Option("--node", help="also show the node's tip and the lag")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable JSON output")] = False,
) -> None:
    """Where the index stands: chain, last indexed height, schema version (and the lag)."""
    with failures():
        database = _open(db, migrate=False)
        try:
            version = database.schema_version()
            state = index_status(database) if version else None
            info: dict[str, object] = {
                "db": database.url,
                "schema_version": version,
                "chain_id": state.chain_id if state else "",
                "last_indexed_height": state.last_indexed_height if state else 0,
            }
        finally:
            database.close()
        if node:
            try:
                source = HttpSource(node)
                tip = source.tip()
                source.close()
            except IndexerError as exc:
                raise CommandFailed(str(exc)) from None
            info["node_height"] = tip.height
            info["lag"] = tip.height - int(info["last_indexed_height"])  # type: ignore[call-overload]
        emit(info, as_json=as_json, title="index")


@app.command()
def report(
    report_type: Annotated[
        str,
        typer.Argument(
            metavar="TYPE",
            help=f"an alert report type (large_value, structuring, …), {FLOWS} "
            "(between institutions), or account (with --account)",
        ),
    ],
    from_: Annotated[str, typer.Option("--from", help="RFC 3339 time or ns; inclusive")] = "",
    to: Annotated[str, typer.Option("--to", help="RFC 3339 time or ns; exclusive")] = "",
    fmt: Annotated[str, typer.Option("--format", help="csv, json or pdf")] = "csv",
    account: Annotated[str, typer.Option(help="the account, for TYPE account")] = "",
    db: DbOpt = DEFAULT_DB,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="file (default: stdout)")
    ] = None,
) -> None:
    """Write a report: alerts of TYPE with statistics per rule and per institution, the
    flows between institutions, or an account's whole history."""
    with failures():
        if fmt not in FORMATS:
            raise CliError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
        if fmt == "pdf" and output is None:
            raise CliError("a PDF goes to a file: add -o FILE.pdf")
        from_ns = time_option(from_, "--from") if from_ else None
        to_ns = time_option(to, "--to") if to else None
        if from_ns is not None and to_ns is not None and to_ns <= from_ns:
            raise CliError("--to must be later than --from")
        if report_type == "account" and not account:
            raise CliError("the account report needs --account ADDRESS")
        index = _open_index(db)
        try:
            if report_type == "account":
                made = index.history_report(account)
            else:
                made = index.report(report_type, from_ns, to_ns)
        finally:
            index.close()
        data = render(made, _format(fmt))
        if output is None:
            typer.echo(data.decode(), nl=False)
        else:
            output.write_bytes(data)
            stderr.print(f"{len(made.rows)} rows → {output}", highlight=False, markup=False)


def _format(fmt: str) -> Format:
    for known in FORMATS:
        if fmt == known:
            return known
    raise CliError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")


def _open_index(url: str) -> Index:
    try:
        return open_index(url)
    except BadDatabaseUrl as exc:
        raise CliError(str(exc)) from None
    except IndexerError as exc:
        raise CommandFailed(str(exc)) from None
