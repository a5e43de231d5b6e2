"""``finchain tx``: transfer, submit already-signed bytes, and look a transaction up.

``transfer --sign-only`` and ``send-raw`` split signing from sending: sign
where the keys are, carry the bytes (hex) to a machine that reaches a node.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.amounts import to_units
from finchain.cli.common import write_json_file
from finchain.cli.online import (
    COMETBFT_NO_SAVE,
    SaveOpt,
    TimeoutOpt,
    WaitOpt,
    report,
    saved_note,
)
from finchain.cli.output import CliError, emit
from finchain.cli.prooffile import tx_document
from finchain.cli.txflags import NodeOptions, TxOptions, query_command, tx_command
from finchain.client import builders as b
from finchain.client.sending import submit
from finchain.client.types import TxInfo
from finchain.codec import decode_tx
from finchain.crypto import hash_bytes
from finchain.errors import FinchainError

app = typer.Typer(
    help="Transactions: transfer, send-raw, show (online, via --url).", no_args_is_help=True
)

_HEX = re.compile(r"(?:0x)?((?:[0-9a-fA-F]{2})+)")
MAX_TX_BYTES = 1 << 20


@tx_command(app, "transfer")
def transfer(
    to: Annotated[str, typer.Argument(help="receiving account (id or name)")],
    amount: Annotated[str, typer.Argument(help="amount in the asset's units, e.g. 25.00")],
    asset: Annotated[str, typer.Argument(help="asset symbol, e.g. CNY")],
    memo: Annotated[str, typer.Option("--memo", help="free text carried in the tx")] = "",
    sign_only: Annotated[
        bool, typer.Option("--sign-only", help="print the signed tx (hex) instead of sending it")
    ] = False,
    *,
    tx: TxOptions,
) -> None:
    """Pay AMOUNT of ASSET to TO from the signer's account."""
    receiver = tx.resolve(to)
    with tx.session() as s:
        units = to_units(amount, s.client.asset(asset).decimals)
        message = b.transfer((receiver, asset, units))
        if sign_only:
            raw = s.signer.sign(message, memo=memo)
            tx_id = hash_bytes(s.client.status().hash_name, raw).hex()
            nonce = s.signer.nonce - 1
            tx.emit({"tx": raw.hex(), "tx_id": tx_id, "account": s.account, "nonce": nonce})
            return
        receipt = s.send(message, memo=memo)
    extra = {"from": s.account, "to": receiver, "asset": asset, "units": units}
    tx.report(receipt, extra)


@query_command(app, "send-raw")
def send_raw(
    source: Annotated[
        Path, typer.Argument(help="file holding a signed tx in hex or base64; - for stdin")
    ],
    wait: WaitOpt = True,
    timeout: TimeoutOpt = 10.0,
    *,
    q: NodeOptions,
) -> None:
    """Submit an already-signed transaction (e.g. from `tx transfer --sign-only`)."""
    raw = _read_tx(source)
    with q.connect() as client:
        receipt = submit(client, raw, wait=wait, timeout=timeout)
    report(receipt, as_json=q.json)


def _read_tx(source: Path) -> bytes:
    try:
        text = (
            typer.get_text_stream("stdin").read()
            if str(source) == "-"
            else source.expanduser().read_text(encoding="ascii")
        )
    except FileNotFoundError:
        raise CliError(f"{source} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {source}: {exc}") from None
    text = text.strip()
    match = _HEX.fullmatch(text)
    if match is not None:
        return bytes.fromhex(match.group(1))
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise CliError(f"{source} holds neither hex nor base64") from None
    if not raw:
        raise CliError(f"{source} is empty")
    return raw


@query_command(app, "show")
def show(
    tx_id: Annotated[str, typer.Argument(help="transaction id (hex)")],
    save: SaveOpt = None,
    *,
    q: NodeOptions,
) -> None:
    """A committed transaction: block, result, events, decoded body; --save its proof."""
    with q.connect() as client:
        info = client.tx(tx_id)
        status = client.status()
        verified = info.verify_inclusion(status.hash_name)
        data = tx_json(info, inclusion="verified" if verified else "INVALID")
        if save is not None:
            if not verified:
                raise CliError("the node's inclusion proof does not check: not saved")
            if info.engine != "solo":
                raise CliError(COMETBFT_NO_SAVE)
            write_json_file(
                save, tx_document(chain_id=status.chain_id, suite=status.suite, tx=info)
            )
            data["saved"] = str(save)
        if q.json:
            emit(data, as_json=True)
            return
        events, body = data.pop("events"), data.pop("body")
        emit(data, as_json=False, title=f"tx {info.tx_id[:16]}…")
        if body is not None:
            emit(body, as_json=False, title="body")
        if events:
            emit(
                [{"event": e["type"], "attributes": _attributes(e)} for e in events], as_json=False
            )
        if save is not None:
            saved_note(save)


def tx_json(info: TxInfo, *, inclusion: str) -> dict[str, Any]:
    result = info.result
    return {
        "tx_id": info.tx_id,
        "height": info.height,
        "index": info.index,
        "code": result.code,
        "codespace": result.codespace,
        "log": result.log,
        "info": result.info,
        "cost": result.cost,
        "time_ns": info.header.get("time_ns"),
        "inclusion": inclusion,
        "body": _body(info.raw),
        "events": [e.to_obj() for e in result.events],
    }


def _body(raw: bytes) -> dict[str, Any] | None:
    """The decoded body, for people: who signed what (None if it does not decode)."""
    try:
        tx = decode_tx(raw, max_size=MAX_TX_BYTES)
    except FinchainError:
        return None
    body = tx.body
    return {
        "chain_id": body.chain_id,
        "account": body.account,
        "nonce": body.nonce,
        "memo": body.memo,
        "expiry": body.expiry,
        "msgs": [_jsonable(m.to_obj()) for m in body.msgs],
        "signed_by": [s.key_id for s in tx.signatures],
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _attributes(event: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in event["attributes"])
