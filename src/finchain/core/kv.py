"""Layered key-value views: the committed store, a block's overlay, a transaction's cache.

Modules never write to the authenticated tree directly. A block's writes pile up
in an :class:`Overlay` over the last committed state; each transaction writes
into its own overlay over the block's, flushed only if every message of the
transaction succeeded. At the end of the block the authenticated store absorbs
the block overlay's writes in one batch (DESIGN: one Merkle update per block).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Iterator
from typing import Protocol


class KVReader(Protocol):
    def get(self, key: bytes) -> bytes | None: ...

    def iterate(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]: ...


class Overlay:
    """Uncommitted writes over a reader; ``None`` marks a deletion.

    ``iterate`` reads the writes under a prefix from a sorted list of the written keys,
    built at the first ``iterate``; a write that adds a key afterwards only appends it to
    ``_added``, sorted in at the next ``iterate`` (by bisection, or for many by one sort,
    which merges the two runs). A block's overlay holds thousands of writes: a filter
    over all of them on every prefix scan (a KYC claim lookup per party) cost hundreds
    of µs (measured: 414 µs with 5,000 writes; 5-7 µs this way). An overlay never
    iterated (most transactions' ones) pays nothing for it.
    """

    __slots__ = ("_added", "_parent", "_sorted", "writes")

    def __init__(self, parent: KVReader) -> None:
        self._parent = parent
        self.writes: dict[bytes, bytes | None] = {}
        self._sorted: list[bytes] | None = None
        self._added: list[bytes] = []

    def get(self, key: bytes) -> bytes | None:
        writes = self.writes
        if key in writes:
            return writes[key]
        return self._parent.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        if self._sorted is not None and key not in self.writes:
            self._added.append(key)
        self.writes[key] = value

    def delete(self, key: bytes) -> None:
        if self._sorted is not None and key not in self.writes:
            self._added.append(key)
        self.writes[key] = None

    def iterate(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Merge the parent's entries with ours in key order (deterministic by construction)."""
        keys = self._sorted
        if keys is None:
            keys = self._sorted = sorted(self.writes)
        elif self._added:
            if len(self._added) <= 16:  # a few keys: a bisection each beats a full pass
                for key in self._added:
                    insort(keys, key)
            else:
                keys += self._added
                keys.sort()
            self._added.clear()
        writes = self.writes
        local = []
        for i in range(bisect_left(keys, prefix), len(keys)):
            key = keys[i]
            if not key.startswith(prefix):
                break
            local.append((key, writes[key]))
        local_keys = {k for k, _ in local}
        parent = ((k, v) for k, v in self._parent.iterate(prefix) if k not in local_keys)
        for key, value in heapq.merge(parent, local, key=lambda kv: kv[0]):
            if value is not None:
                yield key, value

    def flush_into(self, target: Overlay) -> None:
        if target._sorted is not None:
            known = target.writes
            target._added += [key for key in self.writes if key not in known]
        target.writes.update(self.writes)
