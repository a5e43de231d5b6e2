"""``finchain invoice``: supply-chain financing on buyer-confirmed invoices (online, via --url).

A supplier registers an invoice (the document is hashed here, only the hash is
sent), the buyer confirms it, the holder transfers it or offers it to a bank,
the bank accepts at the offered price, and the buyer pays at maturity (the
chain collects by itself) or earlier. Amounts and prices are in the asset's
units (``1000.00``). See docs/finance/receivables.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.amounts import from_units, to_units
from finchain.cli.common import document_digest, time_option
from finchain.cli.txflags import NodeOptions, TxOptions, query_command, tx_command
from finchain.client import Client
from finchain.client import receivables_builders as rb

app = typer.Typer(
    help="Invoices: register, confirm, transfer, finance at a discount, pay (online, via --url).",
    no_args_is_help=True,
)

IdArg = Annotated[int, typer.Argument(help="the invoice id", min=1)]
FileArg = Annotated[
    Path | None, typer.Argument(help="the invoice document (hashed here; only the hash is sent)")
]
HashOpt = Annotated[
    str | None, typer.Option("--hash", help="the document's hash as 64 hex digits, instead of FILE")
]
PriceOpt = Annotated[
    str, typer.Option("--price", help="the price in the asset's units, e.g. 988.75")
]


def _invoice(client: Client, invoice_id: int) -> dict[str, Any]:
    return dict(client.query("receivables/invoice", {"id": str(invoice_id)}).value)


def _decimals(client: Client, asset: str) -> int:
    return client.asset(asset).decimals


@tx_command(app, "register")
def register(
    buyer: Annotated[str, typer.Option("--buyer", help="the account that owes (id or name)")],
    amount: Annotated[str, typer.Option("--amount", help="face amount in the asset's units")],
    maturity: Annotated[
        str, typer.Option("--maturity", help="when the buyer pays: RFC 3339 time or ns")
    ],
    reference: Annotated[str, typer.Option("--ref", help="your invoice number (unique per you)")],
    file: FileArg = None,
    hex_hash: HashOpt = None,
    asset: Annotated[str, typer.Option("--asset", help="the cash asset")] = "CNY",
    *,
    tx: TxOptions,
) -> None:
    """Register an invoice on --buyer, signed by --from (the supplier).

    The document is hashed with the chain suite's hash (sm3 on a gm chain); the same
    document can be registered once on the whole chain.
    """
    buyer_id = tx.resolve(buyer)
    maturity_ns = time_option(maturity, "--maturity")
    with tx.session() as s:
        units = to_units(amount, _decimals(s.client, asset))
        hash_alg = s.client.status().hash_name
        digest = document_digest(file, hex_hash, hash_alg)
        receipt = s.send(
            rb.register(buyer_id, asset, units, maturity_ns, hash_alg, digest, reference)
        )
    found = receipt.deliver.events if receipt.deliver is not None else ()
    ids = [e.get("id") for e in found if e.type == "invoice_registered"]
    tx.report(receipt, {"id": ids[0] if ids else None, "hash_alg": hash_alg, "hash": digest.hex()})


@tx_command(app, "confirm")
def confirm(invoice_id: IdArg, *, tx: TxOptions) -> None:
    """Confirm an invoice on you (--from is the buyer): it becomes a financeable claim."""
    with tx.session() as s:
        receipt = s.send(rb.confirm(invoice_id))
    tx.report(receipt, {"id": invoice_id})


@tx_command(app, "transfer")
def transfer(
    invoice_id: IdArg,
    to: Annotated[str, typer.Option("--to", help="the new holder (id or name)")],
    *,
    tx: TxOptions,
) -> None:
    """Assign the whole claim to --to (you must hold it)."""
    recipient = tx.resolve(to)
    with tx.session() as s:
        receipt = s.send(rb.transfer(invoice_id, recipient))
    tx.report(receipt, {"id": invoice_id, "holder": recipient})


@tx_command(app, "offer")
def offer(
    invoice_id: IdArg,
    bank: Annotated[str, typer.Option("--bank", help="the bank offered the claim (id or name)")],
    price: PriceOpt,
    *,
    tx: TxOptions,
) -> None:
    """Offer a claim you hold to --bank at --price (at most the face amount)."""
    bank_id = tx.resolve(bank)
    with tx.session() as s:
        found = _invoice(s.client, invoice_id)
        units = to_units(price, _decimals(s.client, found["asset"]), what="price")
        receipt = s.send(rb.offer(invoice_id, bank_id, units))
    tx.report(receipt, {"id": invoice_id, "bank": bank_id, "price": str(units)})


@tx_command(app, "withdraw")
def withdraw(invoice_id: IdArg, *, tx: TxOptions) -> None:
    """Withdraw your open offer."""
    with tx.session() as s:
        receipt = s.send(rb.withdraw_offer(invoice_id))
    tx.report(receipt, {"id": invoice_id})


@tx_command(app, "accept")
def accept(invoice_id: IdArg, price: PriceOpt, *, tx: TxOptions) -> None:
    """Buy the claim offered to you (--from is the bank) at --price, the offer's price.

    The price is yours to state: if the offer differs, the chain refuses (receivables:16).
    """
    with tx.session() as s:
        found = _invoice(s.client, invoice_id)
        units = to_units(price, _decimals(s.client, found["asset"]), what="price")
        receipt = s.send(rb.accept(invoice_id, found["asset"], units))
    tx.report(receipt, {"id": invoice_id, "price": str(units)})


@tx_command(app, "pay")
def pay(invoice_id: IdArg, *, tx: TxOptions) -> None:
    """Pay an invoice on you (--from is the buyer) in full to whoever holds it."""
    with tx.session() as s:
        found = _invoice(s.client, invoice_id)
        receipt = s.send(rb.pay(invoice_id, found["asset"], int(found["amount"])))
    tx.report(receipt, {"id": invoice_id, "holder": found["holder"]})


@tx_command(app, "collect")
def collect(invoice_id: IdArg, *, tx: TxOptions) -> None:
    """Retry the debit of the buyer of an overdue invoice you hold."""
    with tx.session() as s:
        receipt = s.send(rb.collect(invoice_id))
    tx.report(receipt, {"id": invoice_id})


@query_command(app, "show", names=True)
def show(
    invoice_id: Annotated[int | None, typer.Argument(help="the invoice id", min=1)] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="find the invoice of this document")
    ] = None,
    hex_hash: HashOpt = None,
    holder: Annotated[str | None, typer.Option("--holder", help="list claims held")] = None,
    buyer: Annotated[str | None, typer.Option("--buyer", help="list invoices owed")] = None,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="next_cursor of the previous page")
    ] = None,
    *,
    q: NodeOptions,
) -> None:
    """One invoice (by ID, --file or --hash) or a page of them (--holder or --buyer)."""
    with q.connect() as client:
        if holder is not None or buyer is not None:
            role, who = ("holder", holder) if holder is not None else ("buyer", buyer)
            assert who is not None
            params = {role: q.resolve(who)}
            if cursor is not None:
                params["cursor"] = cursor
            q.emit(client.query(f"receivables/by_{role}", params).value, title="invoices")
            return
        if invoice_id is not None:
            found = _invoice(client, invoice_id)
        else:
            hash_alg = client.status().hash_name
            digest = document_digest(file, hex_hash, hash_alg)
            found = dict(
                client.query(
                    "receivables/by_hash", {"hash_alg": hash_alg, "hash": digest.hex()}
                ).value
            )
        decimals = _decimals(client, found["asset"])
        found["face"] = from_units(int(found["amount"]), decimals)
        q.emit(found, title=f"invoice {found['id']}")
