"""The ``finchain`` command."""

from __future__ import annotations

import typer

from finchain.cli import (
    accounts,
    aml,
    assets,
    bench,
    bond,
    cbdc,
    chain,
    data,
    db,
    did,
    escrow,
    evidence,
    gov,
    index,
    intervene,
    invoice,
    keys,
    kyc,
    loan,
    netting,
    query,
    regulator,
    rules,
    settle,
    testnet,
    txs,
    users,
    vc,
    verify,
)

app = typer.Typer(
    name="finchain",
    help="finchain: a shared ledger for financial institutions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(chain.init)
app.command()(chain.node)
app.command()(chain.dev)
app.add_typer(keys.app, name="keys")
app.add_typer(accounts.app, name="account")
app.add_typer(assets.app, name="asset")
app.add_typer(txs.app, name="tx")
app.add_typer(query.app, name="query")
app.add_typer(verify.app, name="verify")
app.add_typer(testnet.app, name="testnet")
app.add_typer(users.app, name="users")
app.add_typer(did.app, name="did")
app.add_typer(vc.app, name="vc")
app.add_typer(kyc.app, name="kyc")
app.add_typer(evidence.app, name="evidence")
app.add_typer(escrow.app, name="escrow")
app.add_typer(data.app, name="data")
app.add_typer(settle.app, name="settle")
app.add_typer(bond.app, name="bond")
app.add_typer(invoice.app, name="invoice")
app.add_typer(netting.app, name="netting")
app.add_typer(loan.app, name="loan")
app.add_typer(intervene.app, name="intervene")
app.add_typer(aml.app, name="aml")
app.add_typer(cbdc.app, name="cbdc")
app.add_typer(rules.app, name="rules")
app.add_typer(gov.app, name="gov")
app.add_typer(regulator.app, name="regulator")
app.add_typer(db.app, name="db")
app.add_typer(index.app, name="index")
app.command()(bench.bench)


if __name__ == "__main__":
    app()
