"""JSON forms of the node's records: the API's conventions in one place.

Conventions (also in docs/api.md): hashes, ids, keys and proof nodes are
lowercase hex; raw transactions are standard padded base64; amounts are
decimal strings (the modules already produce them); heights are integers.
Nothing here touches the node: these are pure functions of the records.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from typing import Any

from finchain.app.abci import QueryResponse, TxResult
from finchain.core.events import Event
from finchain.service.interface import BlockView, NodeStatus, StreamItem, SubmitResult, TxView
from finchain.store import proof_to_json


def to_json(value: Any) -> Any:
    """``value`` with bytes as lowercase hex, tuples as lists and events as objects.

    Raises TypeError for anything else that JSON cannot carry, so an unexpected
    type is an internal error at the edge rather than a silently wrong answer.
    """
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float) and math.isfinite(value):  # durations in error details
        return value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, Event | TxResult):
        return value.to_obj()
    raise TypeError(f"cannot put a {type(value).__name__} into a JSON response")


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def submit_json(result: SubmitResult) -> dict[str, Any]:
    """One submitted transaction: ``height``/``index``/``deliver`` are null until included.

    ``check`` and ``deliver`` stay ``TxResult`` dataclasses: the response encoder
    (orjson, responses.py) writes them field by field in C, exactly as
    ``TxResult.to_obj()`` would, without building ~9 Python objects per
    transaction; building them was most of a 500-transaction answer's cost.
    """
    included = result.height > 0
    return {
        "tx_id": result.tx_id.hex(),
        "check": result.check,
        "height": result.height if included else None,
        "index": result.index if included else None,
        "deliver": result.deliver,
        "timed_out": result.timed_out,
    }


def block_json(block: BlockView) -> dict[str, Any]:
    return {
        "height": block.height,
        "time_ns": block.time_ns,
        "header": to_json(block.header),
        "block_hash": block.block_hash.hex(),
        "signature": block.signature.hex(),
        "validator": to_json(block.validator),
        "tx_ids": [tx_id.hex() for tx_id in block.tx_ids],
        "results": [r.to_obj() for r in block.results],
        "events": to_json(block.events),
        "commit": to_json(block.commit),
    }


def tx_json(view: TxView) -> dict[str, Any]:
    """A committed tx with everything an offline verifier needs: raw, proof, signed header."""
    block = view.block
    return {
        "tx_id": view.tx_id.hex(),
        "raw": b64(view.raw),
        "height": view.height,
        "index": view.index,
        "result": view.result.to_obj(),
        "events": [e.to_obj() for e in view.result.events],
        "proof": proof_to_json(view.proof),
        "header": to_json(block.header),
        "block_hash": block.block_hash.hex(),
        "signature": block.signature.hex(),
        "validator": to_json(block.validator),
        "commit": to_json(block.commit),
    }


def status_json(status: NodeStatus) -> dict[str, Any]:
    return {
        "chain_id": status.chain_id,
        "suite": status.suite,
        "height": status.height,
        "app_hash": status.app_hash.hex(),
        "latest_block_time_ns": status.latest_block_time_ns,
        "validators": to_json(status.validators),
        "catching_up": status.catching_up,
        "mempool_size": status.mempool_size,
        "engine": status.engine,
        "version": status.version,
        "genesis_hash": status.genesis_hash.hex(),
        "halted": status.halted,
    }


def query_json(response: QueryResponse, *, prove: bool) -> dict[str, Any]:
    """A query answer; with ``prove``, the root it is proven against and one proof per key."""
    return {
        "height": response.height,
        "value": to_json(response.value),
        "root": response.root.hex() if prove else None,
        "proofs": [
            {
                "key": p.key.hex(),
                "value": None if p.value is None else p.value.hex(),
                "proof": proof_to_json(p.proof),
            }
            for p in response.proofs
        ]
        if prove
        else None,
    }


def stream_json(item: StreamItem) -> dict[str, Any]:
    return {"kind": item.kind, "height": item.height, "data": to_json(item.data)}
