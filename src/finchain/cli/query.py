"""``finchain query``: balances (optionally proven), blocks and node status.

``query block H --json`` prints the block exactly in the shape ``verify proof
--header`` reads, so a header fetched from a node one trusts can anchor a
proof fetched from anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from time import monotonic, sleep
from typing import Annotated, Any

import typer

from finchain.cli.amounts import from_units
from finchain.cli.common import time_option, write_json_file
from finchain.cli.online import HeightOpt, ProveOpt, SaveOpt, prove_answer, saved_note
from finchain.cli.output import CliError, CommandFailed, emit, stdout
from finchain.cli.txflags import NodeOptions, query_command
from finchain.client import Client
from finchain.client.types import Block

WAIT_POLL = 0.25  # seconds between status reads while waiting

app = typer.Typer(help="Read chain state: balance, block, status (online).", no_args_is_help=True)


@query_command(app, "balance", names=True)
def balance(
    account: Annotated[str, typer.Argument(help="account id (FC…) or a name")],
    asset: Annotated[str | None, typer.Argument(help="asset symbol; omit for all")] = None,
    height: HeightOpt = None,
    prove: ProveOpt = False,
    save: SaveOpt = None,
    *,
    q: NodeOptions,
) -> None:
    """ACCOUNT's balance of ASSET (with --prove: Merkle-proven), or all its balances."""
    account_id = q.resolve(account)
    with q.connect() as client:
        if asset is None:
            if prove or save is not None:
                raise CliError("name one ASSET to prove: a listing cannot be proven")
            _all_balances(client, account_id, height, q.json)
            return
        found = client.balance(account_id, asset, height=height, prove=prove or bool(save))
        decimals = client.asset(asset, height=height).decimals
        data: dict[str, Any] = {
            "account": found.account,
            "asset": found.asset,
            "amount": from_units(found.amount, decimals),
            "spendable": from_units(found.spendable, decimals),
            "frozen": from_units(found.frozen, decimals),
            "units": str(found.amount),
            "height": found.height,
        }
        query = {
            "path": "bank/balance",
            "params": {"account": account_id, "asset": asset},
            "answer": {"amount": str(found.amount), "frozen": str(found.frozen)},
        }
        prove_answer(client, data, found.proof, save, query)
        q.emit(data, title=f"{asset} balance")
        if save is not None and not q.json:
            saved_note(save)


def _all_balances(client: Client, account_id: str, height: int | None, json_out: bool) -> None:
    found = client.balances(account_id, height=height)
    decimals = {a.symbol: a.decimals for a in client.assets(height=height)}
    rows = [
        {
            "asset": symbol,
            "amount": from_units(units, decimals.get(symbol, 0)),
            "units": str(units),
        }
        for symbol, units in sorted(found.amounts.items())
    ]
    if json_out:
        emit({"account": found.account, "height": found.height, "balances": rows}, as_json=True)
    elif rows:
        emit(rows, as_json=False, title=f"balances of {found.account} at height {found.height}")
    else:
        emit(f"{found.account} holds nothing at height {found.height}", as_json=False)


def block_json(block: Block) -> dict[str, Any]:
    """The API's block shape (what ``verify proof --header`` reads)."""
    return {
        "height": block.height,
        "time_ns": block.time_ns,
        "header": block.header,
        "block_hash": block.block_hash,
        "signature": block.signature,
        "validator": block.validator,
        "tx_ids": list(block.tx_ids),
        "results": [r.to_obj() for r in block.results],
        "events": [e.to_obj() for e in block.events],
        "commit": block.commit,
    }


@query_command(app, "block")
def block(
    height: Annotated[str, typer.Argument(help="block height, or latest")] = "latest",
    save: Annotated[
        Path | None, typer.Option("--save", help="write the block JSON (a trusted header file)")
    ] = None,
    *,
    q: NodeOptions,
) -> None:
    """A committed block: its signed header, transactions and their result codes."""
    at: int | None = None
    if height != "latest":
        if not height.isdigit() or int(height) < 1:
            raise CliError(f"height must be an integer >= 1 or 'latest', not {height!r}")
        at = int(height)
    with q.connect() as client:
        found = client.block(at)
        data = block_json(found)
        if save is not None:
            write_json_file(save, data)
        if q.json:
            emit(data, as_json=True)
            return
        header = dict(found.header)
        if found.commit is not None:  # CometBFT: committed by validators' signatures
            signed = [s for s in found.commit["signatures"] if s["block_id_flag"] == 2]
            vouched = {"commit": f"{len(signed)} validator signatures"}
        else:
            vouched = {
                "signature": found.signature,
                "validator": f"{found.validator.get('scheme')}:{found.validator.get('public_key')}",
            }
        emit(
            {
                "height": found.height,
                "time_ns": found.time_ns,
                "block_hash": found.block_hash,
                **{k: v for k, v in header.items() if k not in ("height", "time_ns")},
                **vouched,
                "txs": len(found.tx_ids),
            },
            as_json=False,
            title=f"block {found.height}",
        )
        if found.tx_ids:
            emit(
                [
                    {"tx_id": tx_id, "code": r.code, "codespace": r.codespace}
                    for tx_id, r in zip(found.tx_ids, found.results, strict=True)
                ],
                as_json=False,
                title="transactions",
            )
        if save is not None:
            stdout.print(f"block saved to {save}")


@query_command(app, "wait")
def wait(
    height: Annotated[
        int | None, typer.Option("--height", help="wait until this height is committed", min=1)
    ] = None,
    time: Annotated[
        str | None,
        typer.Option(
            "--time", help="wait until a block at or after this RFC 3339 time is committed"
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="give up after this many seconds", min=0.1)
    ] = 120.0,
    *,
    q: NodeOptions,
) -> None:
    """Wait until the chain reaches a height or a block time (scripts: a coupon date, a maturity).

    Exits 1 if the deadline passes first, naming where the chain is.
    """
    if (height is None) == (time is None):
        raise CliError("give exactly one of --height and --time")
    target_ns = 0 if time is None else time_option(time, "--time")
    deadline = monotonic() + timeout
    with q.connect() as client:
        while True:
            found = client.status()
            if (height is not None and found.height >= height) or (
                time is not None and found.latest_block_time_ns >= target_ns
            ):
                break
            if monotonic() > deadline:
                raise CommandFailed(
                    f"the chain is at height {found.height}, block time "
                    f"{_utc(found.latest_block_time_ns)}, after {timeout:g} s: raise --timeout, "
                    "or check that the node produces blocks (finchain query status)"
                )
            sleep(WAIT_POLL)
        q.emit(
            {"height": found.height, "block_time": _utc(found.latest_block_time_ns)},
            title="reached",
        )


def _utc(time_ns: int) -> str:
    moment = datetime.fromtimestamp(time_ns // 10**9, tz=UTC)
    return moment.isoformat().replace("+00:00", "Z")


@query_command(app, "status")
def status(*, q: NodeOptions) -> None:
    """The node: chain id and genesis hash, suite, height, app hash, validators, engine."""
    with q.connect() as client:
        found = client.status()
        data = {
            "chain_id": found.chain_id,
            "genesis_hash": found.genesis_hash,
            "suite": found.suite,
            "hash": found.hash_name,
            "height": found.height,
            "app_hash": found.app_hash,
            "latest_block_time_ns": found.latest_block_time_ns,
            "engine": found.engine,
            "catching_up": found.catching_up,
            "mempool_size": found.mempool_size,
            "validators": list(found.validators),
            "version": found.version,
            "url": client.url,
        }
        q.emit(data, title="node status")
