"""``finchain settle``: draft, endorse, submit, match, cancel and show settlement instructions.

An instruction is a JSON file (``draft`` writes one) that every party reads
before signing. Path one, every payer in one transaction: each other payer runs
``endorse`` on the file and hands over the endorsement; the submitter the file
names (``draft --submitter``, default the first leg's sender) runs ``submit``
with them. Path two, matching: each counterparty runs ``instruct`` on
the same file; the chain matches the two sides and settles at the settlement
height or time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.common import time_option
from finchain.cli.online import signer
from finchain.cli.output import CliError, emit
from finchain.cli.txflags import (
    KeyOptions,
    NodeOptions,
    TxOptions,
    home_command,
    key_command,
    query_command,
    tx_command,
)
from finchain.client import settlement_builders as sb
from finchain.errors import FinchainError
from finchain.modules.settlement.types import Endorsement, Instruction, Leg

app = typer.Typer(
    help="Settlement: atomic DvP/PvP/DvD/FoP instructions (online, via --url).",
    no_args_is_help=True,
)

FileArg = Annotated[
    Path, typer.Argument(help="the instruction, as `finchain settle draft` wrote it")
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="write the JSON here (default: stdout)")]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None


def _instruction(path: Path) -> Instruction:
    try:
        return Instruction.from_json(_read_json(path))
    except FinchainError as exc:
        raise CliError(f"{path}: {exc.message}") from None


def _write(data: dict[str, Any], out: Path | None, opts: NodeOptions) -> None:
    """The JSON on stdout, or written to ``out`` (then the file's name is what is printed)."""
    if out is None:
        emit(data, as_json=True)
        return
    out.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    opts.emit({"file": str(out)})


TIME_HELP = "when it {}: RFC 3339 with a zone, or ns since the epoch"


@home_command(app, "draft", keystore=True)
def draft(
    reference: Annotated[str, typer.Option("--ref", help="trade reference (1-35 characters)")],
    kind: Annotated[str, typer.Option("--kind", help="dvp, pvp, dvd or fop")],
    leg: Annotated[
        list[str],
        typer.Option("--leg", help="FROM,TO,ASSET,AMOUNT in base units (names or ids; repeat)"),
    ],
    deadline_height: Annotated[int, typer.Option("--deadline-height", min=0)] = 0,
    deadline_time: Annotated[
        str | None, typer.Option("--deadline-time", help=TIME_HELP.format("expires"))
    ] = None,
    settle_height: Annotated[int, typer.Option("--settle-height", min=0)] = 0,
    settle_time: Annotated[
        str | None, typer.Option("--settle-time", help=TIME_HELP.format("settles"))
    ] = None,
    submitter: Annotated[
        str | None,
        typer.Option(
            "--submitter",
            help="the only account that may `submit` it (default: the first leg's sender)",
        ),
    ] = None,
    lots: Annotated[int, typer.Option("--lots", min=1, help="every amount divides into")] = 1,
    min_lots: Annotated[
        int, typer.Option("--min-lots", min=0, help="allow partial settlement of this many lots")
    ] = 0,
    out: OutOpt = None,
    *,
    opts: NodeOptions,
) -> None:
    """Write an instruction file (checked as the chain checks it; nothing is sent)."""
    legs = []
    for text in leg:
        parts = text.split(",")
        if len(parts) != 4 or not parts[3].isdigit():
            raise CliError(f"--leg {text!r} must be FROM,TO,ASSET,AMOUNT")
        sender, recipient, asset, amount = parts
        legs.append(Leg(opts.resolve(sender), opts.resolve(recipient), asset, int(amount)))
    try:
        for built in legs:
            built.check()
        deal = sb.instruction(
            reference,
            kind,
            legs,
            submitter=None if submitter is None else opts.resolve(submitter),
            settle_height=settle_height,
            settle_time_ns=0 if settle_time is None else time_option(settle_time, "--settle-time"),
            deadline_height=deadline_height,
            deadline_time_ns=(
                0 if deadline_time is None else time_option(deadline_time, "--deadline-time")
            ),
            lots=lots,
            min_lots=min_lots,
        )
    except FinchainError as exc:
        raise CliError(f"{exc.message} [{exc.codespace}:{exc.code}]") from None
    _write(deal.to_json(), out, opts)


@key_command(app, "endorse", online=True)
def endorse(
    file: FileArg,
    key: Annotated[
        list[str], typer.Option("--key", help="keystore key that signs (repeat for M of N)")
    ],
    account: Annotated[
        str | None, typer.Option("--account", help="the endorsing account (default: --key's)")
    ] = None,
    out: OutOpt = None,
    *,
    opts: KeyOptions,
) -> None:
    """Sign FILE for a payer on a leg; hand the output to the sender. Nothing is sent."""
    deal = _instruction(file)
    with opts.connect() as client:
        endorser = signer(
            client,
            key,
            account=account,
            home=opts.home,
            keystore=opts.keystore,
            passphrase_file=opts.passphrase_file,
        )
        endorsement = sb.endorse(endorser.chain_id, deal, endorser)
    _write(endorsement.to_json(), out, opts)


@tx_command(app, "submit")
def submit(
    file: FileArg,
    endorsement: Annotated[
        list[Path], typer.Option("--endorsement", help="another payer's endorsement (repeat)")
    ] = [],  # noqa: B006 - Typer reads the default, it is never mutated
    *,
    tx: TxOptions,
) -> None:
    """Settle FILE in one transaction sent by --from (FILE's submitter), with every other
    payer's endorsement."""
    deal = _instruction(file)
    try:
        endorsements = [Endorsement.from_json(_read_json(p)) for p in endorsement]
    except FinchainError as exc:
        raise CliError(exc.message) from None
    tx.broadcast(sb.settle(deal, endorsements), extra={"reference": deal.reference})


@tx_command(app, "instruct")
def instruct(
    file: FileArg,
    counterparty: Annotated[str, typer.Option("--counterparty", help="the other party")],
    *,
    tx: TxOptions,
) -> None:
    """Submit --from's side of FILE; it settles once the counterparty's side matches."""
    deal = _instruction(file)
    tx.broadcast(sb.instruct(deal, tx.resolve(counterparty)), extra={"reference": deal.reference})


@tx_command(app, "cancel")
def cancel(id_: Annotated[int, typer.Argument(metavar="ID", min=1)], *, tx: TxOptions) -> None:
    """Withdraw an unmatched side, or ask to cancel (every authorising party must ask)."""
    tx.broadcast(sb.cancel(id_))


@query_command(app, "show")
def show(id_: Annotated[int, typer.Argument(metavar="ID", min=1)], *, q: NodeOptions) -> None:
    """An instruction: legs, status, settled lots and the last reason it could not settle."""
    with q.connect() as client:
        found = client.query("settlement/instruction", {"id": str(id_)}).value
    q.emit(found, title=f"settlement {id_}")


@query_command(app, "list", names=True)
def list_party(
    party: Annotated[str, typer.Argument(help="account (id or name)")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=200)] = 50,
    after: Annotated[str | None, typer.Option("--after", help="`next` of the last page")] = None,
    *,
    q: NodeOptions,
) -> None:
    """Instructions PARTY authorised, by reference."""
    params = {"party": q.resolve(party), "limit": str(limit)}
    if after is not None:
        params["after"] = after
    with q.connect() as client:
        page = client.query("settlement/by_party", params).value
    if q.json:
        emit(page, as_json=True)
        return
    rows = [
        {
            "id": i["id"],
            "reference": i["instruction"]["reference"],
            "kind": i["instruction"]["kind"],
            "status": i["status"],
            "settled_lots": i.get("settled_lots", 0),
            "reason": i["reason"],
        }
        for i in page["instructions"]
    ]
    emit(rows, as_json=False, title=f"settlement instructions of {params['party']}")
