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
