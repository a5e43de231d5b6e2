"""Offline integrity checks of a node's database: every byte, every retained tree.

RocksDB checks a block's checksum when it reads it, so damage is found only where
something reads. These checks read everything, for ``finchain db check``:

- :func:`scan_keys` reads every entry with checksums verified; where a data block
  is damaged it names the file and goes on after that file's last key;
- :func:`check_trees` walks the state tree of every retained version from its
  root, recomputing each node's hash from its children, checking each leaf against
  the value history, and checks the latest table against the latest tree.

Each returns the damage it found as :class:`Damage` items instead of stopping at
the first one, so an operator sees the extent of the damage in one run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from finchain.errors import FinchainError
from finchain.store import keys as K
from finchain.store._hash import HashFn, hash_function
from finchain.store.db import Database
from finchain.store.smt import INTERNAL, LEAF, decode_node, decode_root

__all__ = ["Damage", "TreeStats", "check_trees", "scan_keys"]

_SST_FILE = re.compile(r"(\S+\.sst)")
_LIVE = b"\x01"


@dataclass(frozen=True, slots=True)
class Damage:
    """One damaged thing: ``area`` (rocksdb, state, blocks, tx-index, meta, signing)."""

    area: str
    where: str
    problem: str


@dataclass(slots=True)
class TreeStats:
    versions: int = 0
    nodes: int = 0
    leaves: int = 0
    latest_keys: int = 0
    damage: list[Damage] = field(default_factory=list)


def scan_keys(db: Database) -> tuple[int, list[Damage]]:
    """Read every entry; ``(entries read, damage)``. Damaged files are named, then skipped."""
    files = {f["name"].lstrip("/"): f for f in db.live_files()}
    damage: list[Damage] = []
    count = 0
    start: bytes | None = None
    while True:
        try:
            for _key, _value in db.iterate(b"", start=start):
                count += 1
            return count, damage
        except FinchainError as exc:
            found = _SST_FILE.search(exc.message)
            name = found.group(1).rsplit("/", 1)[-1] if found else ""
            damage.append(Damage("rocksdb", name or db.path, exc.message))
            info = files.pop(name, None)
            if info is None:
                damage.append(
                    Damage("rocksdb", db.path, "scan stopped: the damaged range has no known end")
                )
                return count, damage
            start = bytes(info["end_key"]) + b"\x00"


class _TreeWalk:
    """Walks versions' trees; each node and leaf version is checked once across versions."""

    def __init__(self, db: Database, h: HashFn, stats: TreeStats) -> None:
        self.db = db
        self.h = h
        self.stats = stats
        self.seen_nodes: dict[bytes, bytes] = {}  # node id -> its hash
        self.seen_leaves: set[bytes] = set()

    def damage(self, where: str, problem: str) -> None:
        self.stats.damage.append(Damage("state", where, problem))

    def walk(self, version: int, collect: dict[bytes, bytes] | None) -> None:
        """Check version ``version``; ``collect`` gathers its leaves (H(key) -> H(value))."""
        raw = self.db.get(K.root_key(version))
        if raw is None:
            self.damage(f"version {version}", "root record missing")
            return
        try:
            record, root_hash = decode_root(raw, self.h)
        except FinchainError as exc:
            self.damage(f"version {version}", exc.message)
            return
        if record:
            self.child(record, root_hash, b"", f"version {version}", collect)

    def child(
        self,
        record: bytes,
        expected: bytes,
        path: bytes,
        where: str,
        collect: dict[bytes, bytes] | None,
    ) -> None:
        if record[0] == LEAF:
            self.leaf(record, where, collect)
            return
        if record[0] != INTERNAL:
            self.damage(where, f"child record at path {path.hex()} has tag {record[0]}")
            return
        version8 = record[1:9]
        node_id = version8 + path
        known = self.seen_nodes.get(node_id)
        if known is not None and collect is None:
            if known != expected:
                self.damage(where, f"tree node ({version8.hex()}, {path.hex()}) hash mismatch")
            return
        raw = self.db.get(K.NODE + node_id)
        if raw is None:
            self.damage(where, f"tree node ({version8.hex()}, {path.hex()}) missing")
            return
        try:
            node = decode_node(version8, raw, self.h)
        except FinchainError as exc:
            self.damage(where, f"tree node ({version8.hex()}, {path.hex()}): {exc.message}")
            return
        actual = self.h(node[4])
        if actual != expected:
            self.damage(
                where, f"tree node ({version8.hex()}, {path.hex()}) does not hash to its parent"
            )
        if known is None:
            self.stats.nodes += 1
            self.seen_nodes[node_id] = actual
        _, bitmap, leafmap, enc, pre = node
        pos = 2
        k = 0
        for nib in range(16):
            if not bitmap & (1 << nib):
                continue
            size = 73 if leafmap & (1 << nib) else 41
            child_hash = pre[3 + 32 * k : 35 + 32 * k]
            self.child(enc[pos : pos + size], child_hash, path + bytes((nib,)), where, collect)
            pos += size
            k += 1

    def leaf(self, record: bytes, where: str, collect: dict[bytes, bytes] | None) -> None:
        version8, key_hash, value_hash = record[1:9], record[9:41], record[41:73]
        if collect is not None:
            collect[key_hash] = value_hash
        leaf_id = key_hash + version8
        if leaf_id in self.seen_leaves:
            return
        self.seen_leaves.add(leaf_id)
        self.stats.leaves += 1
        inverted = (K.U64_MAX - int.from_bytes(version8, "big")).to_bytes(8, "big")
        stored = self.db.get(K.HISTORY + key_hash + inverted)
        if stored is None or stored[:1] != _LIVE:
            self.damage(where, f"value of key hash {key_hash.hex()} at its version is missing")
        elif self.h(stored[1:]) != value_hash:
            self.damage(where, f"value of key hash {key_hash.hex()} does not match the tree")


def check_trees(
    db: Database, hash_name: str, *, progress: Callable[[int], None] | None = None
) -> TreeStats:
    """Walk the tree of every retained version and check the latest table against the latest."""
    stats = TreeStats()
    meta = db.get(K.STATE_META)
    if meta is None:
        return stats
    if len(meta) < 24:
        stats.damage.append(Damage("meta", "state meta", "record malformed"))
        return stats
    h = hash_function(hash_name)
    latest = int.from_bytes(meta[0:8], "big")
    oldest = int.from_bytes(meta[16:24], "big")
    walker = _TreeWalk(db, h, stats)
    latest_leaves: dict[bytes, bytes] = {}
    for version in range(oldest, latest + 1):
        try:
            walker.walk(version, latest_leaves if version == latest else None)
        except FinchainError as exc:  # a damaged data block under the tree: scan_keys names it
            walker.damage(f"version {version}", exc.message)
        stats.versions += 1
        if progress is not None:
            progress(version)
    skip = len(K.LATEST)
    try:
        for key, value in db.iterate(K.LATEST):
            stats.latest_keys += 1
            key_hash = h(key[skip:])
            if latest_leaves.pop(key_hash, None) != h(value):
                walker.damage(
                    "latest table", f"key {key[skip:][:64]!r} disagrees with the latest tree"
                )
    except FinchainError as exc:
        walker.damage("latest table", exc.message)
    for key_hash in latest_leaves:
        walker.damage("latest table", f"key hash {key_hash.hex()} is in the tree but not the table")
    return stats
