"""``finchain intervene``: regulatory interventions under m-of-n officer control.

An officer proposes (``propose KIND``), other officers ``approve``; the
intervention runs at the threshold governance set (``officers``). A court
order never leaves the machine: ``--order-file`` hashes it locally and only
the digest is sent (docs/interventions.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.amounts import to_units
from finchain.cli.common import hash_alg_option, hash_hex_option, time_option
from finchain.cli.output import CliError, stderr
from finchain.cli.txflags import NodeOptions, TxOptions, query_command, tx_command
from finchain.client import Client
from finchain.client import interventions_builders as ivb
from finchain.modules.interventions.types import KINDS, STATUSES, UNFREEZE_AMOUNT
from finchain.offchain.anchoring import hash_file

app = typer.Typer(
    help="Interventions: freeze, unfreeze, pause, resume, forced transfer (m-of-n officers).",
    no_args_is_help=True,
)

IdArg = Annotated[int, typer.Argument(help="the intervention id", min=1)]


def _order(
    client: Client, order_file: Path | None, order_hash: str | None, alg: str | None
) -> ivb.Order:
    """The court order as (algorithm, digest), hashed here from a file or given as hex."""
    if order_file is not None and order_hash is not None:
        raise CliError("give --order-file or --order-hash, not both")
    if order_file is None and order_hash is None:
        return None
    chosen = hash_alg_option(client, alg)
    if order_file is not None:
        return chosen, hash_file(order_file, chosen)
    assert order_hash is not None
    return chosen, hash_hex_option(order_hash, "--order-hash")


@tx_command(app, "propose")
def propose(
    kind: Annotated[str, typer.Argument(help=f"one of: {', '.join(KINDS)}")],
    legal_basis: Annotated[str, typer.Option("--legal-basis", help="the law and article")],
    deadline_height: Annotated[
        int, typer.Option("--deadline-height", min=1, help="last height approvals count")
    ],
    affected: Annotated[
        str | None, typer.Option("--affected", help="the affected account (id or name)")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="forced transfer recipient")] = None,
    asset: Annotated[str | None, typer.Option("--asset", help="asset symbol")] = None,
    amount: Annotated[str | None, typer.Option("--amount", help="in the asset's units")] = None,
    target: Annotated[int, typer.Option("--target", min=0, help="intervention undone")] = 0,
    order_file: Annotated[
        Path | None, typer.Option("--order-file", help="the court order (hashed here)")
    ] = None,
    order_hash: Annotated[
        str | None, typer.Option("--order-hash", help="the court order's hash, 64 hex digits")
    ] = None,
    alg: Annotated[str | None, typer.Option("--alg", help="sm3 or sha256")] = None,
    expiry_height: Annotated[int, typer.Option("--expiry-height", min=0)] = 0,
    expiry_time: Annotated[str | None, typer.Option("--expiry-time", help="RFC 3339 or ns")] = None,
    *,
    tx: TxOptions,
) -> None:
    """Propose an intervention of KIND as an officer (your proposal is the first approval).

    The id is in the receipt (``intervention_id``).
    """
    if kind not in KINDS:
        raise CliError(f"KIND must be one of {', '.join(KINDS)}")
    expiry_ns = 0 if expiry_time is None else time_option(expiry_time, "--expiry-time")
    with tx.session() as s:
        units = 0
        if amount is not None:
            symbol = asset
            if kind == UNFREEZE_AMOUNT:
                symbol = s.client.query("interventions/intervention", {"id": str(target)}).value[
                    "asset"
                ]
            if not symbol:
                raise CliError("--amount needs --asset")
            units = to_units(amount, s.client.asset(symbol).decimals)
        message = ivb.propose(
            kind,
            legal_basis=legal_basis,
            deadline_height=deadline_height,
            account="" if affected is None else tx.resolve(affected),
            to="" if to is None else tx.resolve(to),
            asset="" if asset is None or kind == UNFREEZE_AMOUNT else asset,
            amount=units,
            target=target,
            order=_order(s.client, order_file, order_hash, alg),
            expiry_height=expiry_height,
            expiry_time=expiry_ns,
        )
        receipt = s.send(message)
    events = receipt.deliver.events if receipt.deliver is not None else ()
    extra: dict[str, Any] = {"kind": kind, "proposer": s.account}
    found = [e for e in events if e.type == "intervention_proposed"]
    if found:
        extra["intervention_id"] = int(found[0].get("intervention_id") or 0)
    tx.report(receipt, extra)


@tx_command(app, "approve")
def approve(intervention_id: IdArg, *, tx: TxOptions) -> None:
    """Approve INTERVENTION_ID as an officer; at the threshold it runs in this transaction."""
    with tx.session() as s:
        receipt = s.send(ivb.approve(intervention_id))
    tx.report(receipt, {"intervention_id": intervention_id, "officer": s.account})


@query_command(app, "show")
def show(intervention_id: IdArg, *, q: NodeOptions) -> None:
    """INTERVENTION_ID: terms, court order, approvals, status, what it still holds."""
    with q.connect() as client:
        found = client.query("interventions/intervention", {"id": str(intervention_id)}).value
    q.emit(found, title=f"intervention #{intervention_id}")


@query_command(app, "officers")
def officers(*, q: NodeOptions) -> None:
    """The authorised officers and the number of approvals an intervention needs."""
    with q.connect() as client:
        q.emit(client.query("interventions/officers", {}).value, title="officers")


_COLUMNS = ("id", "kind", "account", "asset", "amount", "status", "held", "expiry_height")


@query_command(app, "list", names=True)
def list_interventions(
    account: Annotated[
        str | None, typer.Option("--account", help="interventions affecting this account")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help=f"one of: {', '.join(STATUSES)}")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200)] = 50,
    cursor: Annotated[str | None, typer.Option("--cursor")] = None,
    *,
    q: NodeOptions,
) -> None:
    """A page of interventions by --account or by --status (one of them)."""
    if (account is None) == (status is None):
        raise CliError("give --account ACCOUNT or --status STATUS (one of them)")
    if account is not None:
        path, params = "interventions/by_account", {"account": q.resolve(account)}
    else:
        path, params = "interventions/by_status", {"status": str(status)}
    params["limit"] = str(limit)
    if cursor is not None:
        params["cursor"] = cursor
    with q.connect() as client:
        page = client.query(path, params).value
    if q.json:
        q.emit(page)
        return
    q.emit([{k: i[k] for k in _COLUMNS} for i in page["interventions"]], title="interventions")
    if page["next_cursor"] is not None:
        stderr.print(f"more: --cursor {page['next_cursor']}", markup=False)


__all__ = ["app"]
