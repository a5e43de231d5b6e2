"""``finchain bond``: register bonds and equities, issue them, call a bond, read schedules.

Coupons and redemptions need no command: the chain pays the holders of record itself
when a payment date's block comes (docs/finance/securities.md). Units of a security
move like any asset (``finchain tx transfer --asset ISIN``, or a settlement instruction).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from finchain.cli.txflags import NodeOptions, TxOptions, query_command, tx_command
from finchain.client import securities_builders as sb

app = typer.Typer(
    help="Securities: register and issue bonds and equities, call a bond, show schedules.",
    no_args_is_help=True,
)

IsinArg = Annotated[str, typer.Argument(help="the ISIN (ISO 6166, with its check digit)")]
CashOpt = Annotated[str, typer.Option("--cash", help="cash asset the bond pays in")]
RemainderOpt = Annotated[
    str, typer.Option("--remainder-account", help="receives rounding remainders (id or name)")
]
IssueDateOpt = Annotated[str, typer.Option("--issue-date", help="YYYY-MM-DD")]


@tx_command(app, "register")
def register(
    isin: IsinArg,
    name: Annotated[str, typer.Option("--name", help="display name")],
    cash: CashOpt,
    face: Annotated[int, typer.Option("--face", help="face value in cash base units", min=1)],
    rate_bps: Annotated[int, typer.Option("--rate-bps", help="annual coupon, basis points")],
    day_count: Annotated[str, typer.Option("--day-count", help="ACT/360, ACT/365F or 30/360")],
    issue_date: IssueDateOpt,
    maturity: Annotated[str, typer.Option("--maturity", help="YYYY-MM-DD")],
    remainder_account: RemainderOpt,
    coupon_date: Annotated[
        list[str], typer.Option("--coupon-date", help="coupon payment date (repeat, increasing)")
    ] = [],  # noqa: B006 - Typer reads the default, it is never mutated
    record_days: Annotated[
        int, typer.Option("--record-days", help="record date: days before each payment", min=0)
    ] = 1,
    *,
    tx: TxOptions,
) -> None:
    """Register bond ISIN issued by --from; its units become the bank asset ISIN."""
    remainder = tx.resolve(remainder_account)
    with tx.session() as s:
        receipt = s.send(
            sb.register_bond(
                isin,
                name,
                cash_asset=cash,
                face_value=face,
                coupon_bps=rate_bps,
                day_count=day_count,
                issue_date=issue_date,
                maturity_date=maturity,
                remainder_account=remainder,
                coupon_dates=coupon_date,
                record_days=record_days,
            )
        )
    tx.report(receipt, {"isin": isin, "issuer": s.account})


@tx_command(app, "register-equity")
def register_equity(
    isin: IsinArg,
    name: Annotated[str, typer.Option("--name", help="display name")],
    cash: CashOpt,
    nominal: Annotated[int, typer.Option("--nominal", help="nominal value per share", min=1)],
    issue_date: IssueDateOpt,
    remainder_account: RemainderOpt,
    *,
    tx: TxOptions,
) -> None:
    """Register shares ISIN issued by --from (no coupon, no maturity)."""
    remainder = tx.resolve(remainder_account)
    with tx.session() as s:
        receipt = s.send(
            sb.register_equity(
                isin,
                name,
                cash_asset=cash,
                nominal=nominal,
                issue_date=issue_date,
                remainder_account=remainder,
            )
        )
    tx.report(receipt, {"isin": isin, "issuer": s.account})


@tx_command(app, "issue")
def issue(
    isin: IsinArg,
    to: Annotated[str, typer.Argument(help="the buyer (id or name)")],
    amount: Annotated[int, typer.Argument(help="units to issue", min=1)],
    *,
    tx: TxOptions,
) -> None:
    """Issue AMOUNT units of ISIN to TO (the issuer only)."""
    recipient = tx.resolve(to)
    with tx.session() as s:
        receipt = s.send(sb.issue(isin, recipient, amount))
    tx.report(receipt, {"isin": isin, "to": recipient, "amount": str(amount)})


@tx_command(app, "call")
def call(
    isin: IsinArg,
    call_date: Annotated[str, typer.Option("--date", help="call date YYYY-MM-DD")],
    price: Annotated[int, typer.Option("--price", help="price per bond, cash base units", min=1)],
    *,
    tx: TxOptions,
) -> None:
    """Call bond ISIN early: holders of record get --price a bond plus accrued coupon."""
    with tx.session() as s:
        receipt = s.send(sb.call(isin, call_date, price))
    tx.report(receipt, {"isin": isin, "call_date": call_date, "price": str(price)})


@query_command(app, "show")
def show(isin: IsinArg, *, q: NodeOptions) -> None:
    """The security's terms and status."""
    with q.connect() as client:
        found = client.query("securities/security", {"isin": isin}).value
    q.emit(found["security"], title=f"security {isin}")


@query_command(app, "schedule")
def schedule(isin: IsinArg, *, q: NodeOptions) -> None:
    """Every payment of ISIN with its status and amounts."""
    with q.connect() as client:
        found = client.query("securities/schedule", {"isin": isin}).value
    if q.json:
        q.emit(found)
        return
    q.emit([_row(p) for p in found["payments"]], title=f"schedule of {isin}")


@query_command(app, "holders")
def holders(
    isin: IsinArg,
    payment: Annotated[int, typer.Option("--payment", help="payment index (schedule)", min=0)],
    *,
    q: NodeOptions,
) -> None:
    """The holders of record of one payment and what each is paid."""
    with q.connect() as client:
        found = client.query(
            "securities/holders_of_record", {"isin": isin, "payment": str(payment)}
        ).value
    if q.json:
        q.emit(found)
        return
    q.emit(found["holders"], title=f"holders of record, {isin} payment {payment}")


def _row(payment: dict[str, Any]) -> dict[str, Any]:
    return {
        "#": payment["index"],
        "kind": payment["kind"],
        "pay_date": payment["pay_date"],
        "status": payment["status"],
        "per_bond": payment["per_bond"],
        "total": payment["total"],
        "remainder": payment["remainder"],
    }
