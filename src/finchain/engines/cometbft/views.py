"""Blocks and transactions of a CometBFT node as the HTTP API shows them.

Two halves meet here. The Application's block record holds what finchain
computed (raw txs, results, events); CometBFT's signed header holds what the
validators agreed on (header fields, block hash, commit signatures). Views are
honest about their engine: the header is CometBFT's own, tagged ``"engine":
"cometbft"``, with no solo ``signature``/``validator``; ``commit`` carries the
precommit signatures that ``finchain.light.cometbft.check_commit`` verifies offline.

Inclusion proofs are against the header's ``data_hash``, computed by CometBFT
with SHA-256 over leaves that are the SHA-256 of each raw tx, so they are
``finchain.light.rfc6962.tx_proof("sha256", [sha256(tx) …], i)``, in both suites. On a
``gm`` chain the tx id is still SM3 of the raw bytes (the Application's tx
index); the Merkle path to the signed header is CometBFT's SHA-256 (docs/cometbft.md §6).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from finchain.app import TxResult
from finchain.engines.cometbft.errors import ErrInternal
from finchain.engines.cometbft.light import commit_from_rpc, header_from_rpc
from finchain.light.cometbft import data_hash
from finchain.light.rfc6962 import tx_proof
from finchain.service.interface import BlockView, TxView


def block_view(
    record: Mapping[str, Any], signed: Mapping[str, Any], tx_id: Callable[[bytes], bytes]
) -> BlockView:
    """The view of a committed block from its Application record and CometBFT's ``/commit``.

    Raises ErrInternal when the two disagree on the block's transactions (this
    node's Application did not execute the block CometBFT committed).
    """
    header = header_from_rpc(signed["signed_header"]["header"])
    commit = commit_from_rpc(signed["signed_header"]["commit"])
    txs = record["txs"]
    if header["height"] != record["height"] or data_hash(txs) != header["data_hash"]:
        raise ErrInternal(
            f"block {record['height']}: the Application's record and CometBFT's header disagree"
        )
    return BlockView(
        height=record["height"],
        time_ns=record["time_ns"],
        header=header,
        block_hash=commit["block_id"]["hash"],
        signature=b"",
        validator={},
        tx_ids=tuple(tx_id(raw) for raw in txs),
        results=tuple(TxResult.from_obj(r) for r in record["results"]),
        events=tuple(record["events"]),
        commit=commit,
    )


def tx_view(block: BlockView, record: Mapping[str, Any], index: int) -> TxView:
    """Transaction ``index`` of ``block`` with its proof against ``header["data_hash"]``."""
    txs = record["txs"]
    leaves = [hashlib.sha256(raw).digest() for raw in txs]
    return TxView(
        tx_id=block.tx_ids[index],
        raw=txs[index],
        height=block.height,
        index=index,
        result=block.results[index],
        proof=tx_proof("sha256", leaves, index),
        block=block,
    )
