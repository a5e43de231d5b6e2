"""``finchain regulator``: the regulator's penetrating view, signed with a regulator's key.

Every request carries a ``Finchain-Signature`` made with the ``--from`` keystore
key(s) of an account the chain lists as a regulator (docs/regulation/regulator.md);
the node checks the account's key policy and the regulator registry on chain,
so the same command run with another account's key is refused (``regauth:11``).
Nothing is sent to the chain: these commands only read.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from finchain.cli.output import CliError, stderr
from finchain.cli.txflags import TxOptions, tx_command
from finchain.client import Client, TransportError

app = typer.Typer(
    help="The regulator's view: what stands behind DIDs, institutions and accounts; alerts.",
    no_args_is_help=True,
)

DidArg = Annotated[str, typer.Argument(help="a did:finchain DID")]
RECONNECTS = 5
F = TypeVar("F", bound=Callable[..., None])


def _command(name: str) -> Callable[[F], F]:
    """A read command signed as the ``--from`` account (no transaction, no ``--wait``)."""
    return tx_command(app, name, wait=False, timeout=None)


@contextmanager
def regulator_client(tx: TxOptions) -> Iterator[Client]:
    """A client of ``--url`` signing regulator requests with the ``--from`` keys."""
    with tx.session() as s:
        signer = s.signer  # resolves the account, checks the chain, unlocks the keys
        s.client.use_regulator(signer.account, signer.keys, chain_id=signer.chain_id)
        yield s.client


def holding_rows(accounts: list[dict[str, Any]], *extra: str) -> list[dict[str, Any]]:
    """One table row per (account, asset), with the ``extra`` fields of the account."""
    rows = []
    for entry in accounts:
        head = {"account": entry["account"], **{k: _short(entry.get(k)) for k in extra}}
        held = entry["holdings"] or [{"asset": "", "amount": "", "frozen": "", "spendable": ""}]
        for holding in held:
            rows.append(
                {
                    **head,
                    **{k: holding[k] for k in ("asset", "amount", "frozen", "spendable")},
                    "interventions": len(entry.get("interventions", [])),
                }
            )
    return rows


def _short(value: Any) -> Any:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return value.get("tier", "")
    return value


@_command("whoami")
def whoami(*, tx: TxOptions) -> None:
    """The regulator account the node proves your signature comes from."""
    with regulator_client(tx) as client:
        tx.emit(client.regulator_whoami(), title="regulator")


@_command("did")
def did(did: DidArg, *, tx: TxOptions) -> None:
    """Everything behind DID: its controller and bound accounts with holdings, frozen
    amounts and interventions."""
    with regulator_client(tx) as client:
        answer = client.regulator_did(did)
    if tx.json:
        tx.emit(answer)
        return
    view = answer["value"]
    tx.emit(holding_rows(view["accounts"], "roles", "status"), title=f"{did} at {answer['height']}")
    tx.emit(view["totals"], title="totals")


@_command("institution")
def institution(
    did: DidArg,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="accounts per page")] = 20,
    cursor: Annotated[str, typer.Option("--cursor", help="the previous page's next_cursor")] = "",
    every: Annotated[
        bool, typer.Option("--all", help="follow next_cursor to the last page")
    ] = False,
    *,
    tx: TxOptions,
) -> None:
    """Accounts whose KYC claim institution DID recorded, with the claim and holdings."""
    pages = []
    with regulator_client(tx) as client:
        while True:
            answer = client.regulator_institution(did, limit=limit, cursor=cursor)
            pages.append(answer)
            cursor = answer["value"]["next_cursor"] or ""
            if not (every and cursor):
                break
    if tx.json:
        tx.emit(pages if every else pages[0])
        return
    accounts = [a for page in pages for a in page["value"]["accounts"]]
    tx.emit(holding_rows(accounts, "did", "claim"), title=f"institution {did}")
    if cursor:
        stderr.print(f"more: --cursor {cursor}", highlight=False, markup=False)


@_command("account")
def account(
    target_account: Annotated[str, typer.Argument(metavar="ACCOUNT", help="an account id or name")],
    *,
    tx: TxOptions,
) -> None:
    """One account's full present state: record, holdings, claims, DIDs, interventions,
    open settlement instructions, escrows and loans."""
    target = tx.resolve(target_account)
    with regulator_client(tx) as client:
        answer = client.regulator_account(target)
    tx.emit(answer if tx.json else answer["value"], title=f"account {target}")


@_command("alerts")
def alerts(
    report_type: Annotated[str, typer.Option("--report-type", help="e.g. large_value")] = "",
    institution: Annotated[str, typer.Option("--institution", help="either side's DID")] = "",
    after: Annotated[str, typer.Option("--after", help="resume after this alert id")] = "",
    count: Annotated[int, typer.Option("--count", min=0, help="stop after N (0: never)")] = 0,
    *,
    tx: TxOptions,
) -> None:
    """Follow compliance alerts as they are committed, one JSON object a line (with its
    ``id``); a dropped connection is resumed from the last id, so none is missed."""
    seen, failures = 0, 0
    with regulator_client(tx) as client:
        while True:
            try:
                with client.regulator_alerts(
                    report_type=report_type, institution=institution, last_event_id=after
                ) as stream:
                    for alert in stream:
                        sys.stdout.write(json.dumps({"id": alert.id, **alert.data}) + "\n")
                        sys.stdout.flush()
                        after, failures = alert.id, 0
                        seen += 1
                        if count and seen >= count:
                            return
            except TransportError as exc:
                failures += 1
                if failures > RECONNECTS:
                    raise CliError(f"the alert stream keeps failing: {exc}") from exc
                stderr.print(f"reconnecting after {after or 'the start'}: {exc}", markup=False)


# -- from the node's SQL index ([indexer] db) -------------------------------------------------

FromOpt = Annotated[str, typer.Option("--from-time", help="RFC 3339 time or ns; inclusive")]
ToOpt = Annotated[str, typer.Option("--to-time", help="RFC 3339 time or ns; exclusive")]


@_command("flows")
def flows(
    from_: FromOpt = "",
    to: ToOpt = "",
    asset: Annotated[str, typer.Option("--asset", help="only this asset")] = "",
    *,
    tx: TxOptions,
) -> None:
    """Transfers between institutions in a time range (count and total per pair and asset),
    from the node's SQL index."""
    with regulator_client(tx) as client:
        answer = client.regulator_flows(from_=from_, to=to, asset=asset)
    title = f"flows (indexed to height {answer['indexed_height']})"
    tx.emit(answer if tx.json else answer["flows"], title=title)


@_command("history")
def history(
    target_account: Annotated[str, typer.Argument(metavar="ACCOUNT", help="an account id or name")],
    after_height: Annotated[int, typer.Option("--after-height", min=0)] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
    *,
    tx: TxOptions,
) -> None:
    """Every indexed event naming ACCOUNT, in chain order (a page; --after-height for more)."""
    target = tx.resolve(target_account)
    with regulator_client(tx) as client:
        answer = client.regulator_history(target, after_height=after_height, limit=limit)
    if tx.json:
        tx.emit(answer)
        return
    rows = [
        {
            "height": i["height"],
            "type": i["type"],
            "direction": i.get("direction", ""),
            "attributes": ";".join(f"{k}={v}" for k, v in i["attributes"].items()),
        }
        for i in answer["items"]
    ]
    tx.emit(rows, title=f"history of {target}")
    if answer["next_after_height"] is not None:
        stderr.print(f"more: --after-height {answer['next_after_height']}", markup=False)


@_command("report")
def report(
    report_type: Annotated[
        str, typer.Argument(help="flows, or an alert report type (large_value, structuring…)")
    ],
    fmt: Annotated[str, typer.Option("--format", help="csv, json or pdf")] = "csv",
    out: Annotated[
        Path | None, typer.Option("--out", help="write the file here (default: stdout)")
    ] = None,
    from_: FromOpt = "",
    to: ToOpt = "",
    *,
    tx: TxOptions,
) -> None:
    """A report from the node's SQL index, with statistics per rule and per institution
    (a PDF adds a chart); written to --out or stdout."""
    if fmt not in ("csv", "json", "pdf"):
        raise CliError("--format must be csv, json or pdf")
    if fmt == "pdf" and out is None:
        raise CliError("a PDF goes to a file: give --out FILE")
    with regulator_client(tx) as client:
        data = client.regulator_report(report_type, fmt=fmt, from_=from_, to=to)
    if out is None:
        sys.stdout.write(data.decode())
        return
    out.write_bytes(data)
    stderr.print(f"wrote {out} ({len(data)} bytes)", markup=False)
