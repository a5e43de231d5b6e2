"""``finchain netting``: open clearing cycles, submit payment obligations, show the settlement.

Amounts are written in the asset's units (``12.50``) and sent as integers of its
smallest unit. ``submit`` takes obligations from ``--pay PAYEE=AMOUNT`` (repeat)
and/or ``--file`` (CSV lines ``payee,amount``; ``#`` starts a comment) and sends
them 1,000 to a transaction, in order. See docs/finance/netting.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from finchain.cli.amounts import to_units
from finchain.cli.common import time_option
from finchain.cli.output import CliError, emit
from finchain.cli.txflags import NodeOptions, TxOptions, query_command, tx_command
from finchain.client import SubmitReceipt
from finchain.client import netting_builders as nb
from finchain.modules.netting.types import MAX_OBLIGATIONS_PER_MSG

app = typer.Typer(
    help="Multilateral netting: open a clearing cycle, submit obligations, show the result.",
    no_args_is_help=True,
)

CycleArg = Annotated[int, typer.Argument(help="the cycle id", min=1)]


def _cycle_of(receipt: SubmitReceipt) -> int | None:
    """The id the chain gave the cycle (None until the transaction is in a block)."""
    for event in () if receipt.deliver is None else receipt.deliver.events:
        if event.type == "netting_cycle_opened":
            return int(dict(event.attributes)["cycle"])
    return None


@tx_command(app, "open")
def open_cycle(
    asset: Annotated[str, typer.Argument(help="the settlement asset, e.g. CNY")],
    member: Annotated[
        list[str], typer.Option("--member", help="a member account (id or name; repeat, 2+)")
    ],
    close_height: Annotated[
        int | None, typer.Option("--close-height", help="cut-off height", min=1)
    ] = None,
    close_after: Annotated[
        int | None,
        typer.Option("--close-after", help="cut-off this many blocks after the current", min=2),
    ] = None,
    close_time: Annotated[
        str | None, typer.Option("--close-time", help="cut-off block time, RFC 3339")
    ] = None,
    *,
    tx: TxOptions,
) -> None:
    """Open a clearing cycle among the --member accounts; --from becomes its operator.

    Give one cut-off: obligations are taken in blocks before it, and the cycle
    settles at the first block at or after it.
    """
    if sum(x is not None for x in (close_height, close_after, close_time)) != 1:
        raise CliError("give exactly one of --close-height, --close-after and --close-time")
    members = sorted({tx.resolve(m) for m in member})
    with tx.session() as s:
        height = close_height or 0
        if close_after is not None:
            height = s.client.status().height + close_after
        time_ns = time_option(close_time, "--close-time") if close_time is not None else 0
        receipt = s.send(nb.open_cycle(asset, members, close_height=height, close_time_ns=time_ns))
    extra = {"cycle": _cycle_of(receipt), "operator": s.account, "members": members}
    tx.report(receipt, extra)


def _read_pairs(file: Path) -> list[tuple[str, str]]:
    try:
        lines = file.read_text().splitlines()
    except OSError as exc:
        raise CliError(f"cannot read {file}: {exc.strerror}") from None
    pairs = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        payee, sep, amount = text.partition(",")
        if not sep or not payee.strip() or not amount.strip():
            raise CliError(f"{file}:{number}: expected 'payee,amount', got {line!r}")
        pairs.append((payee.strip(), amount.strip()))
    return pairs


@tx_command(app, "submit")
def submit(
    cycle: CycleArg,
    asset: Annotated[str, typer.Argument(help="the cycle's settlement asset")],
    pay: Annotated[
        list[str], typer.Option("--pay", help="PAYEE=AMOUNT the signer owes (repeat)")
    ] = [],  # noqa: B006 - Typer reads the default, it is never mutated
    file: Annotated[
        Path | None, typer.Option("--file", help="CSV of 'payee,amount' lines", dir_okay=False)
    ] = None,
    *,
    tx: TxOptions,
) -> None:
    """Submit the signer's obligations to CYCLE, 1,000 to a transaction, in order.

    Each transaction is all or nothing; a refused one stops the command (the ones
    before it stay submitted: the output lists their ids).
    """
    given: list[tuple[str, str]] = []
    for item in pay:
        payee, sep, amount = item.partition("=")
        if not sep:
            raise CliError(f"--pay {item!r} must be PAYEE=AMOUNT")
        given.append((payee, amount))
    if file is not None:
        given += _read_pairs(file)
    if not given:
        raise CliError("no obligations: give --pay PAYEE=AMOUNT or --file")
    tx_ids: list[str] = []
    with tx.session() as s:
        decimals = s.client.asset(asset).decimals
        obligations = [
            (tx.resolve(payee), to_units(amount, decimals, what=f"amount to {payee}"))
            for payee, amount in given
        ]
        receipt = None
        for at in range(0, len(obligations), MAX_OBLIGATIONS_PER_MSG):
            chunk = obligations[at : at + MAX_OBLIGATIONS_PER_MSG]
            receipt = s.send(nb.submit(cycle, asset, chunk))
            if not receipt.ok:
                break
            tx_ids.append(receipt.tx_id)
    assert receipt is not None
    extra = {"cycle": cycle, "obligations": len(obligations), "submitted_tx_ids": tx_ids}
    tx.report(receipt, extra)


@query_command(app, "show")
def show(cycle: CycleArg, *, q: NodeOptions) -> None:
    """The cycle: members, cut-off, what was submitted; once settled its report and nets."""
    with q.connect() as client:
        answer = client.query("netting/cycle", {"cycle": str(cycle)}).value
    if q.json:
        emit(answer, as_json=True)
        return
    report = answer.pop("report", None)
    positions = answer.pop("positions", None)
    answer["members"] = ", ".join(answer["members"])
    emit(answer, as_json=False, title=f"clearing cycle {cycle}")
    if report is not None:
        emit(report, as_json=False, title="settlement")
    if positions is not None:
        rows = [{"member": m, "net": n} for m, n in positions.items()]
        emit(rows, as_json=False, title="net positions (received - paid)")


@query_command(app, "unsettled")
def unsettled(
    cycle: CycleArg,
    cursor: Annotated[str | None, typer.Option("--cursor")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 100,
    *,
    q: NodeOptions,
) -> None:
    """The obligations the cycle's close left unsettled, in removal order, with the reason."""
    params = {"cycle": str(cycle), "limit": str(limit)}
    if cursor is not None:
        params["cursor"] = cursor
    with q.connect() as client:
        page = client.query("netting/unsettled", params).value
    if q.json:
        emit(page, as_json=True)
    elif page["obligations"]:
        emit(page["obligations"], as_json=False, title=f"cycle {cycle}: unsettled")
        if page["next_cursor"] is not None:
            emit(f"more: --cursor {page['next_cursor']}", as_json=False)
    else:
        emit(f"cycle {cycle}: no unsettled obligation", as_json=False)
