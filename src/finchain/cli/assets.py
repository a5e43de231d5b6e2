"""``finchain asset``: define, mint, burn and inspect assets.

Amounts are typed as people write money (``1250.50``) and scaled by the
asset's ``decimals`` (read from the node; set by ``--decimals`` at creation):
the chain only ever sees integers of the smallest unit.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from finchain.cli.amounts import from_units, to_units
from finchain.cli.online import HeightOpt, ProveOpt, SaveOpt, prove_answer, saved_note
from finchain.cli.output import CliError
from finchain.cli.txflags import NodeOptions, TxOptions, query_command, tx_command
from finchain.client import builders as b
from finchain.client.types import Asset

app = typer.Typer(
    help="Assets: create, mint, burn, show (online, via --url).", no_args_is_help=True
)

SymbolArg = Annotated[str, typer.Argument(help="asset symbol, e.g. CNY")]
AmountArg = Annotated[str, typer.Argument(help="amount in the asset's units, e.g. 100.00")]


_LIST_COLUMNS = ("symbol", "name", "decimals", "supply", "max_supply", "issuer")


def asset_json(asset: Asset) -> dict[str, Any]:
    return {
        "symbol": asset.symbol,
        "name": asset.name,
        "decimals": asset.decimals,
        "supply": from_units(asset.supply, asset.decimals),
        "max_supply": "unlimited"
        if asset.max_supply == 0
        else from_units(asset.max_supply, asset.decimals),
        "issuer": asset.issuer,
        "minters": list(asset.minters),
        "burners": list(asset.burners),
        "height": asset.height,
    }


@tx_command(app, "create")
def create(
    symbol: SymbolArg,
    name: Annotated[str, typer.Option("--name", help="human-readable name")],
    decimals: Annotated[int, typer.Option("--decimals", min=0, help="decimal places")] = 2,
    max_supply: Annotated[
        str, typer.Option("--max-supply", help="cap in the asset's units (0: unlimited)")
    ] = "0",
    minter: Annotated[
        list[str], typer.Option("--minter", help="account allowed to mint (default: issuer)")
    ] = [],  # noqa: B006 - Typer reads the default, it is never mutated
    burner: Annotated[
        list[str], typer.Option("--burner", help="account allowed to burn (default: issuer)")
    ] = [],  # noqa: B006
    *,
    tx: TxOptions,
) -> None:
    """Define asset SYMBOL issued by the signer's account."""
    cap = to_units(max_supply, decimals, what="--max-supply", allow_zero=True)
    message = b.create_asset(
        symbol,
        name,
        decimals,
        max_supply=cap,
        minters=[tx.resolve(m) for m in minter],
        burners=[tx.resolve(x) for x in burner],
    )
    with tx.session() as s:
        receipt = s.send(message)
    tx.report(receipt, {"asset": symbol, "issuer": s.account})


@tx_command(app, "mint")
def mint(
    symbol: SymbolArg,
    amount: AmountArg,
    to: Annotated[str, typer.Option("--to", help="receiving account (id or name)")],
    *,
    tx: TxOptions,
) -> None:
    """Create AMOUNT of SYMBOL in account --to (the signer must be a minter)."""
    receiver = tx.resolve(to)
    with tx.session() as s:
        units = to_units(amount, s.client.asset(symbol).decimals)
        receipt = s.send(b.mint(symbol, receiver, units))
    tx.report(receipt, {"asset": symbol, "to": receiver, "units": units})


@tx_command(app, "burn")
def burn(symbol: SymbolArg, amount: AmountArg, *, tx: TxOptions) -> None:
    """Destroy AMOUNT of SYMBOL held by the signer (who must be a burner)."""
    with tx.session() as s:
        units = to_units(amount, s.client.asset(symbol).decimals)
        receipt = s.send(b.burn(symbol, units))
    tx.report(receipt, {"asset": symbol, "units": units})


@query_command(app, "show")
def show(
    symbol: Annotated[str | None, typer.Argument(help="asset symbol; omit to list all")] = None,
    height: HeightOpt = None,
    prove: ProveOpt = False,
    save: SaveOpt = None,
    *,
    q: NodeOptions,
) -> None:
    """An asset's definition and supply (or every asset, without SYMBOL)."""
    with q.connect() as client:
        if symbol is None:
            if prove or save is not None:
                raise CliError("a listing cannot be proven: name one asset to --prove it")
            listed = [asset_json(a) for a in client.assets(height=height)]
            if not q.json:  # the table keeps what fits a terminal; --json has everything
                listed = [{k: a[k] for k in _LIST_COLUMNS} for a in listed]
            q.emit(listed, title="assets")
            return
        found = client.asset(symbol, height=height, prove=prove or save is not None)
        data = asset_json(found)
        query = {"path": "bank/asset", "params": {"asset": symbol}, "answer": dict(data)}
        prove_answer(client, data, found.proof, save, query)
        q.emit(data, title=f"asset {symbol}")
        if save is not None and not q.json:
            saved_note(save)
