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

Proofs check offline with :func:`verify_proof` (state) and
:func:`verify_tx_proof` (transactions); both modules import only the standard
library. Formats: ``docs/state-proofs.md``.
"""

from finchain.store.blocks import BlockStore
from finchain.store.db import Batch, Database
from finchain.store.merkle import tx_proof, tx_root, verify_tx_proof
from finchain.store.proof import proof_from_json, proof_to_json, verify_proof
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
