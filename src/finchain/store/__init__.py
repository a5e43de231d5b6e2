"""Authenticated versioned state, the block store and Merkle roots over one RocksDB.

Usage, once per block::

    db = Database(home / "data")
    state = StateStore(db, hash_name="sm3", keep_recent=0)
    blocks = BlockStore(db)

    app_hash = state.apply(height, block_writes)       # one batch Merkle update
    batch = db.batch()
    state.stage(batch)
    blocks.stage(batch, height, block_bytes, tx_ids)
    db.write(batch)                                     # atomic and durable
    state.mark_committed()
    blocks.mark_committed(height)

The store makes proofs; they check offline with :func:`verify_proof` (state)
and :func:`verify_tx_proof` (transactions), which live in the standard-library
only :mod:`finchain.light` and are re-exported here with the tx root and tx
proof functions. Formats: ``docs/state-proofs.md``.
"""

from finchain.light.rfc6962 import tx_proof, tx_root, verify_tx_proof
from finchain.light.state import proof_from_json, proof_to_json, verify_proof
from finchain.store.blocks import BlockStore
from finchain.store.db import Batch, Database
from finchain.store.state import StateStore

__all__ = [
    "Batch",
    "BlockStore",
    "Database",
    "StateStore",
    "proof_from_json",
    "proof_to_json",
    "tx_proof",
    "tx_root",
    "verify_proof",
    "verify_tx_proof",
]
