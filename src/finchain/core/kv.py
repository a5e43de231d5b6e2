"""Layered key-value views: the committed store, a block's overlay, a transaction's cache.

Modules never write to the authenticated tree directly. A block's writes pile up
in an :class:`Overlay` over the last committed state; each transaction writes
into its own overlay over the block's, flushed only if every message of the
transaction succeeded. At the end of the block the authenticated store absorbs
the block overlay's writes in one batch (DESIGN: one Merkle update per block).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Protocol


class KVReader(Protocol):
    def get(self, key: bytes) -> bytes | None: ...

    def iterate(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]: ...


class Overlay:
    """Uncommitted writes over a reader; ``None`` marks a deletion."""

    __slots__ = ("_parent", "writes")

    def __init__(self, parent: KVReader) -> None:
        self._parent = parent
        self.writes: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        writes = self.writes
        if key in writes:
            return writes[key]
        return self._parent.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        self.writes[key] = value

    def delete(self, key: bytes) -> None:
        self.writes[key] = None

    def iterate(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Merge the parent's entries with ours in key order (deterministic by construction)."""
        local = sorted((k, v) for k, v in self.writes.items() if k.startswith(prefix))
        local_keys = {k for k, _ in local}
        parent = ((k, v) for k, v in self._parent.iterate(prefix) if k not in local_keys)
        for key, value in heapq.merge(parent, local, key=lambda kv: kv[0]):
            if value is not None:
                yield key, value

    def flush_into(self, target: Overlay) -> None:
        target.writes.update(self.writes)
