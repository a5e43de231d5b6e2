"""The block store: committed blocks by height and a transaction index.

Blocks are opaque canonical bytes encoded by the application; the store keeps
them under ``bb ‖ height`` and indexes each transaction id to
``(height, index)``. Staging goes into the block's shared write batch, so a
block and its state commit together::

    blocks = BlockStore(db)
    batch = db.batch()
    blocks.stage(batch, blocks.height + 1, block_bytes, tx_ids)
    db.write(batch)
    blocks.mark_committed(blocks.height + 1)
    blocks.tx_location(tx_ids[0])       # -> (height, 0)

Heights are consecutive: the first stored height may be any height >= 1
(a chain's ``initial_height``), each next one is the previous plus one. A
transaction id seen before keeps its first location (a later copy of the same
bytes can only have failed as a replay).
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.store import keys as K
from finchain.store.db import Batch, Database
from finchain.store.errors import ErrBadHeight, ErrCorrupt, ErrNothingPending

__all__ = ["BlockStore"]


class BlockStore:
    """Committed blocks and where each transaction landed."""

    def __init__(self, db: Database) -> None:
        self._db = db
        meta = db.get(K.BLOCK_META)
        if meta is not None and len(meta) != 8:
            raise ErrCorrupt("block store meta record malformed")
        self._height = 0 if meta is None else int.from_bytes(meta, "big")
        self._pending: int | None = None

    @property
    def height(self) -> int:
        """Last committed height; 0 when no block is stored."""
        return self._height

    def stage(self, batch: Batch, height: int, block: bytes, tx_ids: Sequence[bytes]) -> None:
        """Put block ``height`` and its transaction index into ``batch``."""
        if self._height > 0 and height != self._height + 1:
            raise ErrBadHeight(
                f"cannot store block {height}: the last stored block is {self._height}, "
                f"so the next must be {self._height + 1}",
                height=height,
            )
        if height < 1 or height > K.U64_MAX:
            raise ErrBadHeight(f"block height {height} out of range (>= 1)", height=height)
        if type(block) is not bytes:
            raise TypeError("block must be bytes (the application's canonical encoding)")
        hb = height.to_bytes(8, "big")
        batch.put(K.BLOCK + hb, block)
        index_keys = [K.TX_INDEX + tx_id for tx_id in tx_ids]
        existing = self._db.get_many(index_keys)
        seen: set[bytes] = set()
        for i, (key, found) in enumerate(zip(index_keys, existing, strict=True)):
            if found is None and key not in seen:
                seen.add(key)
                batch.put(key, hb + i.to_bytes(4, "big"))
        batch.put(K.BLOCK_META, hb)
        self._pending = height

    def mark_committed(self, height: int) -> None:
        """Record that the batch holding block ``height`` was written."""
        if self._pending != height:
            raise ErrNothingPending(
                f"block {height} was not staged (staged: {self._pending})", height=height
            )
        self._height = height
        self._pending = None

    def get(self, height: int) -> bytes | None:
        """Block bytes at ``height``, or None if not stored."""
        if not 1 <= height <= self._height:
            return None
        return self._db.get(K.block_key(height))

    def tx_location(self, tx_id: bytes) -> tuple[int, int] | None:
        """``(height, index)`` of a committed transaction, or None."""
        data = self._db.get(K.tx_index_key(tx_id))
        if data is None:
            return None
        return int.from_bytes(data[:8], "big"), int.from_bytes(data[8:12], "big")
