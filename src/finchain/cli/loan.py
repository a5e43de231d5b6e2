"""``finchain loan``: collateralised loans: offer, accept, repay, top up, prices, and views.

Amounts are in the asset's base units (integers: ``100`` CNY units is 1.00 CNY
with two decimals). Times are RFC 3339 with a zone (``2026-07-01T00:00:00Z``) or
nanoseconds since the epoch. The oracle is appointed by governance
(``lending/appoint_oracle`` in a proposal's ``exec`` action); see
docs/finance/lending.md.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from finchain.cli.common import time_option
from finchain.cli.output import CliError, emit, stderr
from finchain.cli.txflags import NodeOptions, TxOptions, query_command, tx_command
from finchain.client import Client
from finchain.client import lending_builders as lb
from finchain.modules.lending.types import SCHEDULES

app = typer.Typer(
    help="Loans: offer, accept, repay, add collateral, post prices, show (online, via --url).",
    no_args_is_help=True,
)

LoanArg = Annotated[int, typer.Argument(help="the loan id", min=1)]
AmountArg = Annotated[int, typer.Argument(help="amount in base units", min=1)]


@tx_command(app, "offer")
def offer(
    borrower: Annotated[str, typer.Option("--borrower", help="account id or name")],
    asset: Annotated[str, typer.Option("--asset", help="the cash asset lent")],
    principal: Annotated[int, typer.Option("--principal", help="base units", min=1)],
    rate_bps: Annotated[int, typer.Option("--rate-bps", help="a year, ACT/365F (0-10000)")],
    due: Annotated[list[str], typer.Option("--due", help="instalment date (repeat, in order)")],
    collateral_asset: Annotated[str, typer.Option("--collateral-asset")],
    collateral: Annotated[int, typer.Option("--collateral", help="base units", min=1)],
    max_ltv_bps: Annotated[int, typer.Option("--max-ltv-bps", help="limit at origination")],
    margin_ltv_bps: Annotated[int, typer.Option("--margin-ltv-bps", help="margin-call level")],
    margin_cure_s: Annotated[int, typer.Option("--margin-cure-s", min=0)] = 86_400,
    grace_s: Annotated[int, typer.Option("--grace-s", min=0)] = 3 * 86_400,
    schedule: Annotated[
        str, typer.Option("--schedule", help=" or ".join(SCHEDULES))
    ] = "equal_principal",
    *,
    tx: TxOptions,
) -> None:
    """Offer --borrower a loan signed by --from (the lender); it lapses at the first --due."""
    if schedule not in SCHEDULES:
        raise CliError(f"--schedule must be one of {', '.join(SCHEDULES)}")
    message = lb.offer(
        tx.resolve(borrower),
        asset,
        principal,
        rate_bps=rate_bps,
        due_times=[time_option(d, "--due") for d in due],
        collateral_asset=collateral_asset,
        collateral=collateral,
        max_ltv_bps=max_ltv_bps,
        margin_ltv_bps=margin_ltv_bps,
        margin_cure_s=margin_cure_s,
        grace_s=grace_s,
        schedule=schedule,
    )
    tx.broadcast(message)


@tx_command(app, "cancel")
def cancel(loan_id: LoanArg, *, tx: TxOptions) -> None:
    """Withdraw an offer not yet accepted (the lender)."""
    tx.broadcast(lb.cancel(loan_id), extra={"loan_id": loan_id})


@tx_command(app, "accept")
def accept(loan_id: LoanArg, *, tx: TxOptions) -> None:
    """Accept an offer (the borrower): collateral locked in escrow, the principal paid to you."""
    tx.broadcast(lb.accept(loan_id), extra={"loan_id": loan_id})


@tx_command(app, "repay")
def repay(loan_id: LoanArg, amount: AmountArg, *, tx: TxOptions) -> None:
    """Pay now: arrears first, then interest accrued to the block, then principal."""
    with tx.session() as s:
        asset = s.client.query("lending/loan", {"loan_id": str(loan_id)}).value["asset"]
        receipt = s.send(lb.repay(loan_id, asset, amount))
    tx.report(receipt, {"loan_id": loan_id, "asset": asset, "amount": str(amount)})


@tx_command(app, "add-collateral")
def add_collateral(loan_id: LoanArg, amount: AmountArg, *, tx: TxOptions) -> None:
    """Pledge more collateral in a new escrow (cures a margin call once back within the limit)."""
    tx.broadcast(
        lb.add_collateral(loan_id, amount), extra={"loan_id": loan_id, "amount": str(amount)}
    )


@tx_command(app, "post-price")
def post_price(
    asset: Annotated[str, typer.Argument(help="the collateral asset")],
    quote: Annotated[str, typer.Argument(help="the cash asset the price is in")],
    numerator: Annotated[int, typer.Argument(min=1)],
    denominator: Annotated[int, typer.Argument(min=1)] = 1,
    observed_at: Annotated[
        str | None, typer.Option("--observed-at", help="when observed (default: now)")
    ] = None,
    *,
    tx: TxOptions,
) -> None:
    """The oracle: one base unit of ASSET is worth NUMERATOR/DENOMINATOR base units of QUOTE."""
    seen = time.time_ns() if observed_at is None else time_option(observed_at, "--observed-at")
    tx.broadcast(lb.post_price(asset, quote, numerator, denominator, seen))


def _valued(client: Client, path: str, loan_id: int, at: str | None) -> dict[str, Any]:
    """``path`` for the loan, valued at ``--at`` or else at the node's latest block time
    (not before the loan's last change, which a query refuses)."""
    if at is not None:
        when = time_option(at, "--at")
    else:
        loan = client.query("lending/loan", {"loan_id": str(loan_id)}).value
        when = max(client.status().latest_block_time_ns, loan.get("accrued_to", 0))
    params = {"loan_id": str(loan_id), "time_ns": str(when)}
    answer: dict[str, Any] = client.query(path, params).value
    return answer


AtOpt = Annotated[
    str | None,
    typer.Option("--at", help="value what is owed at this time (default: the latest block)"),
]


@query_command(app, "show")
def show(loan_id: LoanArg, at: AtOpt = None, *, q: NodeOptions) -> None:
    """The loan: terms, state, outstanding principal, what it owes."""
    with q.connect() as client:
        found = _valued(client, "lending/loan", loan_id, at)
    q.emit(found, title=f"loan #{loan_id}")


@query_command(app, "list", names=True)
def list_loans(
    account: Annotated[str, typer.Argument(help="account id or name")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=200, help="loans per page")] = 50,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="next_cursor of the previous page")
    ] = None,
    *,
    q: NodeOptions,
) -> None:
    """Loans where ACCOUNT lends or borrows, by id."""
    params = {"account": q.resolve(account), "limit": str(limit)}
    if cursor is not None:
        params["cursor"] = cursor
    with q.connect() as client:
        found = client.query("lending/loans", params).value
    if q.json:
        emit(found, as_json=True)
        return
    emit(found["loans"], as_json=False, title=f"loans of {found['account']}")
    if found["next_cursor"] is not None:
        stderr.print(f"more: --cursor {found['next_cursor']}", markup=False)


@query_command(app, "schedule")
def schedule(loan_id: LoanArg, *, q: NodeOptions) -> None:
    """Each instalment: due time, principal and interest due, paid parts, state."""
    with q.connect() as client:
        found = client.query("lending/schedule", {"loan_id": str(loan_id)}).value
    if q.json:
        emit(found, as_json=True)
    else:
        emit(found["instalments"], as_json=False, title=f"loan #{loan_id} ({found['state']})")


@query_command(app, "ltv")
def ltv(loan_id: LoanArg, at: AtOpt = None, *, q: NodeOptions) -> None:
    """Loan-to-value with the latest price, and whether it is above the margin-call level."""
    with q.connect() as client:
        found = _valued(client, "lending/ltv", loan_id, at)
    q.emit(found, title=f"loan #{loan_id} loan-to-value")


@query_command(app, "price")
def price(
    asset: Annotated[str, typer.Argument(help="the collateral asset")],
    quote: Annotated[str, typer.Argument(help="the cash asset")],
    *,
    q: NodeOptions,
) -> None:
    """The latest price the oracle posted for ASSET in QUOTE (null: none)."""
    with q.connect() as client:
        found = client.query("lending/price", {"asset": asset, "quote": quote}).value
    q.emit(found, title=f"{asset}/{quote}")


@query_command(app, "oracle")
def oracle(*, q: NodeOptions) -> None:
    """The price oracle governance appointed, and the maximum age of a price."""
    with q.connect() as client:
        found = client.query("lending/oracle", {}).value
    q.emit(found, title="oracle")
