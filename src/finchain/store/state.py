"""Authenticated, versioned state: a Jellyfish Merkle tree over RocksDB.

One version per block. The application computes a block's root with
:meth:`StateStore.apply`, stages everything into the block's write batch with
:meth:`StateStore.stage`, writes the batch, then calls
:meth:`StateStore.mark_committed`::

    state = StateStore(db, hash_name="sm3", keep_recent=100)
    app_hash = state.apply(state.version + 1, {b"bank/bal/alice": b"\\x05", b"bank/bal/bob": None})
    batch = db.batch()
    state.stage(batch)
    blocks.stage(batch, height, block_bytes, tx_ids)
    db.write(batch)            # the one durable, atomic write of the block
    state.mark_committed()
    value, proof = state.prove(b"bank/bal/alice")

Until :meth:`mark_committed` nothing is visible to reads; a crash before
``db.write`` returns leaves the previous version intact, and a new
``StateStore`` over the same database resumes at the last written version.

Tables (see :mod:`finchain.store.keys`): tree nodes by ``(version, path)``;
each version's root; a flat *latest* table for :meth:`get` and
:meth:`iterate`; a *history* table (``H(key) ‖ ~version``) so :meth:`get_at`
is one seek; and per version the list of nodes and value versions that became
stale then, so pruning (``keep_recent=K``) deletes exactly what no retained
version can reach, inside the same batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from finchain.store import keys as K
from finchain.store._hash import hash_function
from finchain.store.db import Batch, Database
from finchain.store.errors import (
    ErrBadVersion,
    ErrConfigMismatch,
    ErrCorrupt,
    ErrInvalidWrite,
    ErrNothingPending,
    ErrUnknownVersion,
    ErrVersionPruned,
)
from finchain.store.smt import (
    DIGEST_SIZE,
    Node,
    UpdateResult,
    batch_update,
    decode_node,
    decode_root,
    empty_root,
    encode_root,
    nibbles,
    proof_path,
)

__all__ = ["StateStore"]

#: At most this many versions are pruned by one stage() (bounds a block's batch
#: when keep_recent is lowered on a node with a long history).
PRUNE_STEP = 64
_LIVE = b"\x01"
_DELETED = b"\x00"


@dataclass(slots=True)
class _Pending:
    version: int
    update: UpdateResult
    keys: list[bytes]
    values: list[bytes | None]
    key_hashes: list[bytes]
    staged_oldest: int | None = None


class StateStore:
    """The authenticated key-value state of the chain.

    Parameters:
        db: the node's shared database.
        hash_name: ``"sm3"`` or ``"sha256"``, from the chain's crypto suite; a database
            keeps the name it was created with and refuses another one.
        keep_recent: retain the last ``keep_recent`` versions (0 keeps every version).
        node_cache_size: internal nodes kept in memory (bounded; the upper levels of the
            tree are touched by every block).
        value_cache_size: latest values kept in memory for :meth:`get`.
    """

    def __init__(
        self,
        db: Database,
        *,
        hash_name: str,
        keep_recent: int = 0,
        node_cache_size: int = 250_000,
        value_cache_size: int = 100_000,
    ) -> None:
        if keep_recent < 0:
            raise ValueError(f"keep_recent must be >= 0, got {keep_recent}")
        self._db = db
        self._db_get = db.get
        self._hash = hash_function(hash_name)
        self.hash_name = hash_name
        self.keep_recent = keep_recent
        self._empty_root = empty_root(self._hash)
        self._node_cache: dict[bytes, Node] = {}
        self._node_cache_size = max(node_cache_size, 64)
        self._value_cache: dict[bytes, bytes | None] = {}
        self._value_cache_size = max(value_cache_size, 64)
        self._pending: _Pending | None = None
        self._version = -1
        self._first = -1
        self._oldest = -1
        self._root: tuple[bytes, bytes] = (b"", b"")  # (record, hash); empty tree
        meta = db.get(K.STATE_META)
        if meta is not None:
            if len(meta) < 24:
                raise ErrCorrupt("state meta record malformed")
            stored_hash = meta[24:].decode("ascii")
            if stored_hash != hash_name:
                raise ErrConfigMismatch(
                    f"this state was built with {stored_hash}, not {hash_name}: "
                    "open it with the chain's own hash",
                    stored=stored_hash,
                    given=hash_name,
                )
            self._version = int.from_bytes(meta[0:8], "big")
            self._first = int.from_bytes(meta[8:16], "big")
            self._oldest = int.from_bytes(meta[16:24], "big")
            self._root = self._load_root(self._version)

    # -- versions ----------------------------------------------------------

    @property
    def version(self) -> int:
        """Last committed version; -1 when nothing was ever committed."""
        return self._version

    @property
    def oldest_version(self) -> int:
        """Oldest version still readable (-1 when nothing committed)."""
        return self._oldest

    def _check_version(self, version: int) -> None:
        if version > self._version or version < self._first or self._version < 0:
            raise ErrUnknownVersion(
                f"version {version} was never committed (committed: "
                f"{self._first}..{self._version})",
                version=version,
            )
        if version < self._oldest:
            raise ErrVersionPruned(
                f"version {version} was pruned: versions {self._oldest}..{self._version} "
                f"are kept (keep_recent={self.keep_recent})",
                version=version,
            )

    def _root_child(self, version: int | None) -> tuple[int, tuple[bytes, bytes]]:
        if version is None or (version == self._version >= 0):
            return self._version, self._root
        self._check_version(version)
        return version, self._load_root(version)

    def root(self, version: int | None = None) -> bytes:
        """Root hash at ``version`` (default: the latest; the empty-tree root before any commit)."""
        _, (_, root_hash) = self._root_child(version)
        return root_hash or self._empty_root

    # -- reads -------------------------------------------------------------

    def get(self, key: bytes) -> bytes | None:
        """Latest committed value of ``key`` (None if absent)."""
        cache = self._value_cache
        try:
            return cache[key]
        except KeyError:
            pass
        value = self._db_get(K.LATEST + key)
        if len(cache) >= self._value_cache_size:
            _evict_half(cache)
        cache[key] = value
        return value

    def get_at(self, key: bytes, version: int) -> bytes | None:
        """Value of ``key`` as of ``version`` (ErrVersionPruned / ErrUnknownVersion)."""
        self._check_version(version)
        return self._value_at(self._hash(key), version)

    def _value_at(self, key_hash: bytes, version: int) -> bytes | None:
        prefix = K.HISTORY + key_hash
        found = self._db.seek_ceil(K.history_key(key_hash, version), prefix)
        if found is None or found[1][:1] != _LIVE:
            return None
        return found[1][1:]

    def iterate(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Latest committed ``(key, value)`` pairs under ``prefix``, in byte order of key."""
        skip = len(K.LATEST)
        for key, value in self._db.iterate(K.LATEST + prefix):
            yield key[skip:], value

    def prove(self, key: bytes, version: int | None = None) -> tuple[bytes | None, dict[str, Any]]:
        """The value of ``key`` at ``version`` (default latest) and a proof of it.

        The proof (membership, or non-membership when the value is None) checks
        against ``root(version)`` with :func:`finchain.light.state.verify_proof`.
        """
        at, (record, _) = self._root_child(version)
        key_hash = self._hash(key)
        nodes, end = proof_path(record, key_hash, self._read_node)
        value: bytes | None = None
        leaf: list[bytes] = []
        if end:
            leaf = [end[9:41], end[41:73]]
            if leaf[0] == key_hash:
                value = self._value_at(key_hash, at)
                if value is None or self._hash(value) != leaf[1]:
                    raise ErrCorrupt(f"value history of key {key.hex()} disagrees with the tree")
        return value, {"version": at, "nodes": nodes, "leaf": leaf}

    def check_root(self, version: int | None = None) -> None:
        """ErrCorrupt unless the root node of ``version`` (default latest) hashes to its record.

        A cheap start-up check: one read and one hash. ``finchain db check`` walks
        every node (:mod:`finchain.store.check`).
        """
        at, (record, root_hash) = self._root_child(version)
        if record[:1] != b"\x01":
            return  # the empty tree, or a single leaf whose hash the record itself gives
        node = self._read_node(record[1:9], b"")
        if self._hash(node[4]) != root_hash:
            raise ErrCorrupt(
                f"the root node of state version {at} does not hash to the root recorded for it",
                version=at,
            )

    # -- nodes -------------------------------------------------------------

    def _read_node(self, version8: bytes, path: bytes) -> Node:
        """A committed node of any retained version (cached only if it is the latest)."""
        node = self._node_cache.get(path)
        if node is not None and node[0] == version8:
            return node
        data = self._db_get(K.NODE + version8 + path)
        if data is None:
            raise ErrCorrupt(f"tree node ({version8.hex()}, path {path.hex()}) missing")
        return decode_node(version8, data, self._hash)

    def _load_node(self, version8: bytes, path: bytes) -> Node:
        """A node of the latest tree missing from the cache: read it and cache it."""
        node = self._read_node(version8, path)
        cache = self._node_cache
        if len(cache) >= self._node_cache_size:
            _evict_half(cache)
        cache[path] = node
        return node

    def _load_root(self, version: int) -> tuple[bytes, bytes]:
        data = self._db_get(K.root_key(version))
        if data is None:
            raise ErrCorrupt(f"root record of version {version} missing")
        return decode_root(data, self._hash)

    # -- the block cycle ---------------------------------------------------

    def apply(self, version: int, writes: Mapping[bytes, bytes | None]) -> bytes:
        """Compute the root of ``version`` from a block's ``writes`` (None deletes a key).

        ``version`` must be ``self.version + 1`` (any version >= 0 for the first
        commit). The result stays pending until :meth:`mark_committed`; calling
        ``apply`` again first discards it.
        """
        if self._version >= 0 and version != self._version + 1:
            raise ErrBadVersion(
                f"cannot apply version {version}: the last committed version is "
                f"{self._version}, so the next must be {self._version + 1}",
                version=version,
            )
        if version < 0 or version > K.U64_MAX:
            raise ErrBadVersion(f"version {version} out of range", version=version)
        self._pending = None
        h = self._hash
        raw_keys = list(writes.keys())
        raw_values = list(writes.values())
        if not all(type(k) is bytes for k in raw_keys) or not all(
            v is None or type(v) is bytes for v in raw_values
        ):
            raw_keys, raw_values = _normalize(raw_keys, raw_values)
        hashes = [h(k) for k in raw_keys]
        order = sorted(range(len(hashes)), key=hashes.__getitem__)
        key_hashes = [hashes[i] for i in order]
        keys = [raw_keys[i] for i in order]
        values = [raw_values[i] for i in order]
        paths = [nibbles(kh) for kh in key_hashes]
        leaf_tag = b"\x02" + version.to_bytes(8, "big")
        # a leaf's body is H(key) ‖ H(value); b"" marks a deletion
        bodies = [b"" if v is None else kh + h(v) for kh, v in zip(key_hashes, values, strict=True)]
        leaf_records = [leaf_tag + b if b else b"" for b in bodies]
        leaf_hashes = [h(b"\x00" + b) if b else b"" for b in bodies]
        update = batch_update(
            self._root,
            version,
            paths,
            key_hashes,
            leaf_records,
            leaf_hashes,
            self._node_cache,
            self._load_node,
            h,
        )
        self._pending = _Pending(version, update, keys, values, key_hashes)
        return update.root[1] or self._empty_root

    def discard(self) -> None:
        """Drop the pending result (the block was abandoned)."""
        self._pending = None

    def stage(self, batch: Batch) -> None:
        """Put the pending version (nodes, values, stale lists, meta, pruning) into ``batch``."""
        p = self._pending
        if p is None:
            raise ErrNothingPending("stage() needs a pending apply(): call apply() first")
        v = p.version
        vb = v.to_bytes(8, "big")
        put = batch.put
        delete = batch.delete
        update = p.update

        node_prefix = K.NODE + vb
        new_nodes = update.new_nodes
        for path in sorted(new_nodes):
            put(node_prefix + path, new_nodes[path][3])
        put(K.ROOT + vb, encode_root(update.root[0]))

        inv = (K.U64_MAX - v).to_bytes(8, "big")
        hist = K.HISTORY
        prior = update.prior
        keys = p.keys
        values = p.values
        latest_puts: list[tuple[bytes, bytes | None]] = []
        for i, kh in enumerate(p.key_hashes):
            value = values[i]
            if value is not None:
                put(hist + kh + inv, _LIVE + value)
                latest_puts.append((keys[i], value))
            elif prior[i] is not None:
                put(hist + kh + inv, _DELETED)
                latest_puts.append((keys[i], None))
        latest_puts.sort(key=_first_bytes)
        latest = K.LATEST
        for key, value in latest_puts:
            if value is None:
                delete(latest + key)
            else:
                put(latest + key, value)

        if update.stale:
            put(K.STALE_NODES + vb, _pack_nodes(update.stale))
        stale_values = _pack_values(p, vb)
        if stale_values:
            put(K.STALE_VALUES + vb, stale_values)

        first = v if self._first < 0 else self._first
        oldest = v if self._oldest < 0 else self._oldest
        if self.keep_recent > 0:
            target = min(max(first, v - self.keep_recent + 1), oldest + PRUNE_STEP)
            if target > oldest:
                self._prune(batch, p, oldest, target)
                oldest = target
        p.staged_oldest = oldest
        put(
            K.STATE_META,
            vb + first.to_bytes(8, "big") + oldest.to_bytes(8, "big") + self.hash_name.encode(),
        )

    def _prune(self, batch: Batch, p: _Pending, oldest: int, target: int) -> None:
        """Delete what only versions ``< target`` can reach.

        A node or value version that became stale at version ``s`` is reachable
        only from versions ``< s``; once the oldest kept version is ``target``,
        everything stale at ``s <= target`` goes. Stale lists of versions in
        ``(oldest, target]`` are read from the database, plus the pending ones
        when ``target`` is the version being staged (``keep_recent=1``).
        """
        delete = batch.delete
        stop = (target + 1).to_bytes(8, "big")
        for prefix, drop in (
            (K.STALE_NODES, self._drop_nodes),
            (K.STALE_VALUES, self._drop_values),
        ):
            start = prefix + (oldest + 1).to_bytes(8, "big")
            for key, blob in self._db.iterate(prefix, start=start):
                if key[len(prefix) :] >= stop:
                    break
                drop(batch, blob)
                delete(key)
        if target == p.version:
            vb = p.version.to_bytes(8, "big")
            for node_id in p.update.stale:
                batch.delete(K.NODE + node_id)
            self._drop_values(batch, _pack_values(p, vb))
            delete(K.STALE_NODES + vb)
            delete(K.STALE_VALUES + vb)
        for old in range(oldest, target):
            delete(K.root_key(old))

    def _drop_nodes(self, batch: Batch, blob: bytes) -> None:
        delete = batch.delete
        node = K.NODE
        for node_id in _unpack_nodes(blob):
            delete(node + node_id)

    def _drop_values(self, batch: Batch, blob: bytes) -> None:
        delete = batch.delete
        d = DIGEST_SIZE
        for pos in range(0, len(blob), d + 8):
            delete(K.HISTORY + blob[pos : pos + d] + _invert(blob[pos + d : pos + d + 8]))

    def mark_committed(self) -> None:
        """Promote the staged version after the caller's ``db.write(batch)`` succeeded."""
        p = self._pending
        if p is None or p.staged_oldest is None:
            raise ErrNothingPending("mark_committed() needs apply() and stage() first")
        update = p.update
        v = p.version
        cache = self._node_cache
        for path in update.removed:
            cache.pop(path, None)
        if len(cache) + len(update.new_nodes) > self._node_cache_size:
            _evict_half(cache)
        cache.update(update.new_nodes)
        values = self._value_cache
        for key, value in zip(p.keys, p.values, strict=True):
            if key in values:
                values[key] = value
        if self._first < 0:
            self._first = v
        self._oldest = p.staged_oldest
        self._version = v
        self._root = update.root
        self._pending = None

    # -- maintenance -------------------------------------------------------

    def cache_info(self) -> dict[str, int]:
        return {"nodes": len(self._node_cache), "values": len(self._value_cache)}


def _pack_nodes(stale: list[bytes]) -> bytes:
    """Stale-node list: ``count(4) ‖ len(id)(1) per id ‖ ids``, id = ``version(8) ‖ path``."""
    return len(stale).to_bytes(4, "big") + bytes(map(len, stale)) + b"".join(stale)


def _unpack_nodes(blob: bytes) -> list[bytes]:
    count = int.from_bytes(blob[:4], "big")
    pos = 4 + count
    ids = []
    for n in blob[4 : 4 + count]:
        ids.append(blob[pos : pos + n])
        pos += n
    if pos != len(blob):
        raise ErrCorrupt("stale-node list malformed")
    return ids


def _pack_values(p: _Pending, vb: bytes) -> bytes:
    """Stale value versions of a pending version: ``H(key) ‖ version(8)`` each.

    A replaced or deleted value is stale at this version, and so is a deletion's
    own tombstone (once no older version is kept, "absent" needs no record).
    """
    parts: list[bytes] = []
    prior = p.update.prior
    values = p.values
    for i, kh in enumerate(p.key_hashes):
        was = prior[i]
        if was is not None:
            parts.append(kh + was)
            if values[i] is None:
                parts.append(kh + vb)
    return b"".join(parts)


def _invert(version8: bytes) -> bytes:
    return (K.U64_MAX - int.from_bytes(version8, "big")).to_bytes(8, "big")


def _normalize(keys: list[Any], values: list[Any]) -> tuple[list[bytes], list[bytes | None]]:
    """Keys and values as ``bytes`` (bytearray/memoryview accepted), else ErrInvalidWrite."""
    out_keys: list[bytes] = []
    out_values: list[bytes | None] = []
    for key, value in zip(keys, values, strict=True):
        if not isinstance(key, bytes | bytearray | memoryview) or not isinstance(
            value, bytes | bytearray | memoryview | None
        ):
            raise ErrInvalidWrite(
                f"write {key!r} -> {type(value).__name__}: keys and values must be bytes"
            )
        out_keys.append(bytes(key))
        out_values.append(None if value is None else bytes(value))
    return out_keys, out_values


def _first_bytes(item: tuple[bytes, bytes | None]) -> bytes:
    return item[0]


def _evict_half(cache: dict[Any, Any]) -> None:
    """Drop the older half of an insertion-ordered cache, in place."""
    for key in list(islice(cache, len(cache) // 2)):
        del cache[key]
