"""``finchain cbdc``: the two tiers of a central-bank digital currency (docs/cbdc.md).

The central bank ``authorise``s operators, ``issue``s to them against a reserve
reference and ``redeem``s; an operator ``open-wallet``s and ``distribute``s; a
wallet owner ``withdraw``s to its operator. Amounts are in the CBDC's units
(``12.34``). Designating the central bank is governance's: propose the
``cbdc/designate`` message through ``finchain gov``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from finchain.cli.amounts import to_units
from finchain.cli.output import CliError, stderr
from finchain.cli.txflags import NodeOptions, TxOptions, query_command, tx_command
from finchain.client import Client
from finchain.client import cbdc_builders as cb
from finchain.codec import RawMsg

app = typer.Typer(
    help="CBDC in two tiers: operators under quota against reserves, wallets under operators.",
    no_args_is_help=True,
)

AccountArg = Annotated[str, typer.Argument(help="an account (id or name)")]
AmountArg = Annotated[str, typer.Argument(help="in the CBDC's units, e.g. 100.00")]
ReferenceOpt = Annotated[
    str, typer.Option("--reference", help="the reserve deposit's reference (up to 64 chars)")
]


def _units(client: Client, amount: str) -> int:
    """``amount`` in base units of the designated CBDC (refused if none is designated)."""
    asset = client.query("cbdc/overview", {}).value["asset"]
    if asset is None:
        raise CliError("no CBDC is designated yet: governance must pass cbdc/designate first")
    return to_units(amount, client.asset(asset).decimals)


def _send_amount(
    tx: TxOptions, amount: str, build: Callable[[int], RawMsg], details: dict[str, object]
) -> None:
    """Sign and send the message ``build(units)`` makes, then report it with ``details``."""
    with tx.session() as s:
        receipt = s.send(build(_units(s.client, amount)))
    tx.report(receipt, {**details, "signer": s.account})


@tx_command(app, "authorise")
def authorise(operator: AccountArg, quota: AmountArg, *, tx: TxOptions) -> None:
    """As the central bank: authorise OPERATOR with QUOTA (or change its quota)."""
    who = tx.resolve(operator)
    _send_amount(tx, quota, lambda units: cb.authorise(who, units), {"operator": who})


@tx_command(app, "issue")
def issue(
    operator: AccountArg, amount: AmountArg, reference: ReferenceOpt, *, tx: TxOptions
) -> None:
    """As the central bank: issue AMOUNT to OPERATOR against the reserve --reference."""
    who = tx.resolve(operator)
    _send_amount(tx, amount, lambda units: cb.issue(who, units, reference), {"operator": who})


@tx_command(app, "redeem")
def redeem(
    operator: AccountArg, amount: AmountArg, reference: ReferenceOpt, *, tx: TxOptions
) -> None:
    """As the central bank: take AMOUNT back from OPERATOR's float, releasing --reference."""
    who = tx.resolve(operator)
    _send_amount(tx, amount, lambda units: cb.redeem(who, units, reference), {"operator": who})


@tx_command(app, "open-wallet")
def open_wallet(
    owner: AccountArg,
    tier: Annotated[int, typer.Option("--tier", min=1, max=4, help="wallet tier 1..4")],
    *,
    tx: TxOptions,
) -> None:
    """As an operator: open a wallet of --tier for OWNER under yourself."""
    who = tx.resolve(owner)
    with tx.session() as s:
        receipt = s.send(cb.open_wallet(who, tier))
    tx.report(receipt, {"owner": who, "tier": tier, "operator": s.account})


@tx_command(app, "distribute")
def distribute(wallet: AccountArg, amount: AmountArg, *, tx: TxOptions) -> None:
    """As an operator: move AMOUNT from your float into WALLET (one of yours)."""
    who = tx.resolve(wallet)
    _send_amount(tx, amount, lambda units: cb.distribute(who, units), {"wallet": who})


@tx_command(app, "withdraw")
def withdraw(amount: AmountArg, *, tx: TxOptions) -> None:
    """As a wallet owner: return AMOUNT to your wallet's operator."""
    _send_amount(tx, amount, cb.withdraw, {})


@query_command(app, "overview")
def overview(*, q: NodeOptions) -> None:
    """The central bank's view: the CBDC, what is issued, and each operator's aggregates."""
    with q.connect() as client:
        q.emit(client.query("cbdc/overview", {}).value, title="cbdc")


@query_command(app, "operator")
def operator(account: AccountArg, *, q: NodeOptions) -> None:
    """One operator: quota, issued, reserves (with their records), float, wallets."""
    with q.connect() as client:
        found = client.query("cbdc/operator", {"operator": q.resolve(account)}).value
    q.emit(found, title="operator")


@query_command(app, "wallets", names=True)
def wallets(
    account: AccountArg,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200)] = 50,
    cursor: Annotated[str | None, typer.Option("--cursor")] = None,
    *,
    q: NodeOptions,
) -> None:
    """A page of the wallets under operator ACCOUNT, with their tiers and balances."""
    params = {"operator": q.resolve(account), "limit": str(limit)}
    if cursor is not None:
        params["cursor"] = cursor
    with q.connect() as client:
        page = client.query("cbdc/wallets", params).value
    if q.json:
        q.emit(page)
        return
    q.emit(page["wallets"], title="wallets")
    if page["next_cursor"] is not None:
        stderr.print(f"more: --cursor {page['next_cursor']}", markup=False)


@query_command(app, "wallet")
def wallet(account: AccountArg, *, q: NodeOptions) -> None:
    """One wallet: owner, operator, tier, balance."""
    with q.connect() as client:
        q.emit(client.query("cbdc/wallet", {"owner": q.resolve(account)}).value, title="wallet")


__all__ = ["app"]
