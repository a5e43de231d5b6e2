"""The Jellyfish Merkle tree: a sparse, 16-ary Merkle tree over hashed keys.

This module holds the tree's rules — hashing, node encoding, the batch update
and proof extraction — over an abstract node loader; :mod:`finchain.store.state`
adds storage, caches, versions and pruning.

Shape (as in Diem/Aptos JMT)
----------------------------
A key's position is ``H(key)`` read as 64 nibbles (4-bit digits, high nibble of
each byte first). The tree is *compressed*: a subtree holding exactly one leaf
is replaced by that leaf, so a leaf sits at the shortest prefix of its key hash
that no other key shares, and an internal node exists exactly at each prefix
shared by two or more keys. The tree for a set of keys is therefore unique, and
so is its root: it depends only on the contents, never on the order or the
history of writes.

Hashes (``H`` is the chain's suite hash, ``sm3`` or ``sha256``; ``‖`` concatenates)
--------------------------------------------------------------------------------
- empty tree:   ``H(0x02)``  (a single byte; never a leaf or internal preimage)
- leaf:         ``H(0x00 ‖ H(key) ‖ H(value))``
- internal:     ``H(0x01 ‖ bitmap ‖ h_0 ‖ … ‖ h_k)`` where ``bitmap`` is two bytes,
  big-endian, bit ``i`` (value ``1 << i``) set iff child nibble ``i`` is present,
  and ``h_0 … h_k`` are the hashes of the present children in ascending nibble
  order. One hash call per internal node; an empty child contributes nothing.

A leaf's hash does not depend on its depth, so a leaf moving up or down when a
neighbour arrives or leaves keeps its hash.

Storage format (written by :mod:`finchain.store.state`)
-------------------------------------------------------
Internal nodes are stored at ``(version, nibble path)``, the version at which
the node was (re)written. A *child record* says what hangs below a slot::

    internal child: 01 ‖ version(8) ‖ hash
    leaf child:     02 ‖ version(8) ‖ H(key) ‖ H(value)   (version: when the value was written)

Leaves are embedded in their parent (they are never stored alone), so an update
never reads a leaf to find where a neighbour must go. A node is encoded as
``bitmap(2) ‖ child records in nibble order``; a leaf's hash is recomputed on
load. A version's root is stored as a child record, or ``00`` for the empty tree.
A node's *id* is ``version(8) ‖ nibble path`` (its database key without prefix).

In memory a node is a tuple ``(version(8), bitmap, leafmap, encoding, preimage)``:
its stored encoding and its hash preimage ``01 ‖ bitmap ‖ child hashes``, plus a
``leafmap`` marking which children are leaves. A child's record sits in the
encoding at ``2 + 41·(children before it) + 32·(leaves before it)``, its hash in
the preimage at ``3 + 32·(children before it)``. Updating a node splices the
changed children into these two strings; hashing it is one call over the
preimage and storing it needs no encoding step. Two flat strings per node keep memory
traffic low and cost Python's garbage collector nothing.

Proofs (checked by :func:`finchain.light.state.verify_proof`)
-------------------------------------------------------------
``{"version": v, "nodes": [[bitmap, [sibling hashes…]], …], "leaf": [H(k'), H(v')] | []}``:
the internal nodes on the key's path from the root down, each with the hashes
of its present children other than the one on the path, in nibble order; then
the leaf found at the end of the path (or ``[]`` if the path ends at an empty
slot or the tree is empty). See ``docs/state-proofs.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from finchain.store._hash import HashFn
from finchain.store.errors import ErrCorrupt

__all__ = [
    "DIGEST_SIZE",
    "EMPTY",
    "Node",
    "UpdateResult",
    "batch_update",
    "child_at",
    "decode_node",
    "decode_root",
    "empty_root",
    "encode_root",
    "nibbles",
    "proof_path",
]

#: Both suite hashes (SM3, SHA-256) give 32 bytes; the record layouts rely on it.
DIGEST_SIZE = 32
#: ``(version(8), bitmap, leafmap, encoding, preimage)``, see the module docstring.
Node = tuple[bytes, int, int, bytes, bytes]
#: ``load(version8, path) -> Node`` of a committed internal node.
Loader = Callable[[bytes, bytes], Node]
#: An empty slot's record and hash.
EMPTY = b""

INTERNAL = 1
LEAF = 2
_NIBBLES = bytes.maketrans(b"0123456789abcdef", bytes(range(16)))
_BITS = tuple(1 << i for i in range(16))


def nibbles(key_hash: bytes) -> bytes:
    """``key_hash`` as one byte (0-15) per nibble, high nibble first: the leaf's path."""
    return key_hash.hex().encode("ascii").translate(_NIBBLES)


def empty_root(h: HashFn) -> bytes:
    return h(b"\x02")


def child_at(node: Node, nib: int) -> tuple[bytes, bytes]:
    """``(record, hash)`` of the child in slot ``nib`` (``b""`` twice if empty)."""
    _, bitmap, leafmap, enc, pre = node
    bit = _BITS[nib]
    if not bitmap & bit:
        return EMPTY, EMPTY
    k = (bitmap & (bit - 1)).bit_count()
    pos = 2 + 41 * k + 32 * (leafmap & (bit - 1)).bit_count()
    end = pos + (73 if leafmap & bit else 41)
    return enc[pos:end], pre[3 + 32 * k : 35 + 32 * k]


# -- encoding ---------------------------------------------------------------


def decode_node(version8: bytes, data: bytes, h: HashFn) -> Node:
    """A stored node (``bitmap(2) ‖ child records``) as a Node; ErrCorrupt if malformed."""
    if len(data) < 3:
        raise ErrCorrupt("tree node record too short")
    bitmap = int.from_bytes(data[0:2], "big")
    leafmap = 0
    hashes: list[bytes] = [b"\x01" + data[0:2]]
    pos = 2
    size = len(data)
    for i in range(16):
        if not bitmap & _BITS[i]:
            continue
        tag = data[pos] if pos < size else 0
        if tag == INTERNAL and pos + 41 <= size:
            hashes.append(data[pos + 9 : pos + 41])
            pos += 41
        elif tag == LEAF and pos + 73 <= size:
            hashes.append(h(b"\x00" + data[pos + 9 : pos + 73]))
            leafmap |= _BITS[i]
            pos += 73
        else:
            raise ErrCorrupt("tree node record malformed")
    if pos != size or not bitmap:
        raise ErrCorrupt("tree node record malformed")
    return version8, bitmap, leafmap, data, b"".join(hashes)


def encode_root(record: bytes) -> bytes:
    """A version's root record: the root's child record, ``00`` for the empty tree."""
    return record or b"\x00"


def decode_root(data: bytes, h: HashFn) -> tuple[bytes, bytes]:
    """``(record, hash)`` of a root record (``(b"", b"")`` for the empty tree)."""
    if data == b"\x00":
        return EMPTY, EMPTY
    if len(data) == 41 and data[0] == INTERNAL:
        return data, data[9:41]
    if len(data) == 73 and data[0] == LEAF:
        return data, h(b"\x00" + data[9:73])
    raise ErrCorrupt("root record malformed")


# -- batch update -----------------------------------------------------------


@dataclass(slots=True)
class UpdateResult:
    """What one batch update produced (nothing is written yet).

    ``root`` is the new root's ``(record, hash)`` (``b""`` twice for the empty
    tree); ``new_nodes`` maps a nibble path to the node written there at the new
    version; ``stale`` lists the ids of committed nodes replaced or removed,
    ``removed`` the paths left without a node; ``prior[i]`` is the version
    (8 bytes) of the value the i-th write replaced, or None if the key was absent.
    """

    root: tuple[bytes, bytes]
    new_nodes: dict[bytes, Node] = field(default_factory=dict)
    stale: list[bytes] = field(default_factory=list)
    removed: list[bytes] = field(default_factory=list)
    prior: list[bytes | None] = field(default_factory=list)


def batch_update(
    root: tuple[bytes, bytes],
    version: int,
    paths: list[bytes],
    key_hashes: list[bytes],
    leaf_records: list[bytes],
    leaf_hashes: list[bytes],
    cache: dict[bytes, Node],
    load: Loader,
    h: HashFn,
) -> UpdateResult:
    """Apply a block's writes to the tree whose root is ``root`` in one pass.

    The writes are parallel lists sorted by key hash (hence by path), one entry
    per distinct key: the new leaf's record and hash, or ``b""`` twice to delete
    the key. Each internal node on a touched path is read once (``cache``, a map
    path -> latest node, else ``load``) and hashed once.
    """
    result = UpdateResult(root, prior=[None] * len(paths))
    new_nodes = result.new_nodes
    stale = result.stale
    removed = result.removed
    prior = result.prior
    vb = version.to_bytes(8, "big")
    internal_tag = b"\x01" + vb
    cache_get = cache.get
    bits = _BITS

    def subtree(group: list[tuple[bytes, bytes, bytes]], depth: int) -> tuple[bytes, bytes]:
        """A fresh subtree holding >= 2 leaves ``(path, record, hash)``, sorted by path."""
        records: list[bytes] = []
        hashes: list[bytes] = []
        bitmap = leafmap = 0
        n = len(group)
        i = 0
        while i < n:
            nib = group[i][0][depth]
            j = i + 1
            while j < n and group[j][0][depth] == nib:
                j += 1
            if j - i == 1:
                records.append(group[i][1])
                hashes.append(group[i][2])
                leafmap |= bits[nib]
            else:
                record, hash_ = subtree(group[i:j], depth + 1)
                records.append(record)
                hashes.append(hash_)
            bitmap |= bits[nib]
            i = j
        bm = bitmap.to_bytes(2, "big")
        pre = b"".join((b"\x01", bm, *hashes))
        node_hash = h(pre)
        new_nodes[group[0][0][:depth]] = (vb, bitmap, leafmap, bm + b"".join(records), pre)
        return internal_tag + node_hash, node_hash

    def at_leaf(
        existing: bytes, existing_hash: bytes, depth: int, lo: int, hi: int
    ) -> tuple[bytes, bytes] | None:
        """Writes ``lo:hi`` landing on an empty slot or a leaf; None if nothing changes."""
        group: list[tuple[bytes, bytes, bytes]] = []
        changed = False
        kept = bool(existing)
        for i in range(lo, hi):
            if kept and existing.startswith(key_hashes[i], 9):
                prior[i] = existing[1:9]
                kept = False
                changed = True
            if leaf_records[i]:
                group.append((paths[i], leaf_records[i], leaf_hashes[i]))
                changed = True
        if not changed:
            return None
        if kept:
            group.append((nibbles(existing[9:41]), existing, existing_hash))
            group.sort(key=_first)
        if not group:
            return EMPTY, EMPTY
        if len(group) == 1:
            return group[0][1], group[0][2]
        return subtree(group, depth)

    def single(record: bytes, depth: int, i: int) -> tuple[bytes, bytes] | None:
        """The one write ``i`` below the internal node ``record``: the common case deep
        in the tree, walked down and back up without the grouping of :func:`at_node`."""
        p = paths[i]
        new_record = leaf_records[i]
        new_hash = leaf_hashes[i]
        trail: list[tuple[bytes, Node, int, int, int, int]] = []
        while True:
            path = p[:depth]
            ver8 = record[1:9]
            node = cache_get(path)
            if node is None or node[0] != ver8:
                node = load(ver8, path)
            bitmap = node[1]
            leafmap = node[2]
            bit = bits[p[depth]]
            k = (bitmap & (bit - 1)).bit_count()
            rpos = 2 + 41 * k + 32 * (leafmap & (bit - 1)).bit_count()
            if not bitmap & bit:  # an empty slot: insert (or a no-op delete)
                if not new_record:
                    return None
                trail.append((path, node, bit, k, rpos, 0))
                changed = new_record, new_hash
                break
            enc = node[3]
            if leafmap & bit:
                trail.append((path, node, bit, k, rpos, 73))
                if enc.startswith(key_hashes[i], rpos + 9):  # the key itself
                    prior[i] = enc[rpos + 1 : rpos + 9]
                    changed = new_record, new_hash
                elif not new_record:
                    return None  # deleting an absent key
                else:  # another key's leaf: both go one level down
                    other = enc[rpos : rpos + 73]
                    other_hash = node[4][3 + 32 * k : 35 + 32 * k]
                    other_path = nibbles(other[9:41])
                    pair = [(p, new_record, new_hash), (other_path, other, other_hash)]
                    if other_path < p:
                        pair.reverse()
                    changed = subtree(pair, depth + 1)
                break
            trail.append((path, node, bit, k, rpos, 41))
            record = enc[rpos : rpos + 41]
            depth += 1
        for path, node, bit, k, rpos, old_len in reversed(trail):
            ver8, bitmap, leafmap, enc, pre = node
            new_record, new_hash = changed
            stale.append(ver8 + path)
            hpos = 3 + 32 * k
            if old_len == len(new_record):  # same kind of child replaced: same bitmaps
                enc = b"".join((enc[:rpos], new_record, enc[rpos + old_len :]))
                pre = b"".join((pre[:hpos], new_hash, pre[hpos + 32 :]))
                node_hash = h(pre)
                new_nodes[path] = (vb, bitmap, leafmap, enc, pre)
                changed = internal_tag + node_hash, node_hash
                continue
            hend = hpos + 32 if old_len else hpos
            if new_record:
                bitmap |= bit
                if new_record[0] == LEAF:
                    if bitmap == bit:  # our only child became a leaf: it moves up
                        removed.append(path)
                        continue
                    leafmap |= bit
                else:
                    leafmap &= ~bit
                bm = bitmap.to_bytes(2, "big")
                enc = b"".join((bm, enc[2:rpos], new_record, enc[rpos + old_len :]))
                pre = b"".join((b"\x01", bm, pre[3:hpos], new_hash, pre[hend:]))
            else:
                bitmap &= ~bit
                leafmap &= ~bit
                if bitmap & (bitmap - 1) == 0 and (not bitmap or leafmap):
                    removed.append(path)  # nothing left, or a lone leaf that moves up
                    changed = enc[2:rpos] + enc[rpos + old_len :], pre[3:hpos] + pre[hend:]
                    continue
                bm = bitmap.to_bytes(2, "big")
                enc = b"".join((bm, enc[2:rpos], enc[rpos + old_len :]))
                pre = b"".join((b"\x01", bm, pre[3:hpos], pre[hend:]))
            node_hash = h(pre)
            new_nodes[path] = (vb, bitmap, leafmap, enc, pre)
            changed = internal_tag + node_hash, node_hash
        return changed

    def at_node(record: bytes, depth: int, lo: int, hi: int) -> tuple[bytes, bytes] | None:
        """Writes ``lo:hi`` landing on the internal node ``record`` at ``paths[lo][:depth]``."""
        path = paths[lo][:depth]
        ver8 = record[1:9]
        node = cache_get(path)
        if node is None or node[0] != ver8:
            node = load(ver8, path)
        _, bitmap, leafmap, enc, pre = node
        new_bitmap = bitmap
        new_leafmap = leafmap
        rparts: list[bytes] = []  # the new encoding (after the bitmap), in pieces
        hparts: list[bytes] = []  # the new hash string, in pieces
        rprev = 2
        hprev = 3
        below = depth + 1
        i = lo
        while i < hi:
            nib = paths[i][depth]
            j = i + 1
            while j < hi and paths[j][depth] == nib:
                j += 1
            bit = bits[nib]
            mask = bit - 1
            k = (bitmap & mask).bit_count()
            rpos = 2 + 41 * k + 32 * (leafmap & mask).bit_count()
            hpos = 3 + 32 * k
            changed: tuple[bytes, bytes] | None
            if not bitmap & bit:  # an empty slot
                old = EMPTY
                if j - i == 1:  # a new key (or a no-op delete)
                    changed = (leaf_records[i], leaf_hashes[i]) if leaf_records[i] else None
                else:
                    changed = at_leaf(EMPTY, EMPTY, below, i, j)
            elif leafmap & bit:  # a leaf
                old = enc[rpos : rpos + 73]
                if j - i == 1 and old.startswith(key_hashes[i], 9):
                    prior[i] = old[1:9]  # the common case: a key's value replaced or deleted
                    changed = leaf_records[i], leaf_hashes[i]
                else:
                    changed = at_leaf(old, pre[hpos : hpos + 32], below, i, j)
            else:  # an internal node
                old = enc[rpos : rpos + 41]
                changed = at_node(old, below, i, j) if j - i > 1 else single(old, below, i)
            if changed is not None:
                rparts.append(enc[rprev:rpos])
                hparts.append(pre[hprev:hpos])
                if old:
                    rprev = rpos + len(old)
                    hprev = hpos + 32
                else:
                    rprev = rpos
                    hprev = hpos
                new_record, new_hash = changed
                if new_record:
                    rparts.append(new_record)
                    hparts.append(new_hash)
                    new_bitmap |= bit
                    if new_record[0] == LEAF:
                        new_leafmap |= bit
                    else:
                        new_leafmap &= ~bit
                else:
                    new_bitmap &= ~bit
                    new_leafmap &= ~bit
            i = j
        if not rparts:
            return None
        stale.append(ver8 + path)
        rparts.append(enc[rprev:])
        hparts.append(pre[hprev:])
        if new_bitmap & (new_bitmap - 1) == 0:  # one child left, or none
            if not new_bitmap:
                removed.append(path)
                return EMPTY, EMPTY
            if new_leafmap:
                removed.append(path)
                return b"".join(rparts), b"".join(hparts)  # a lone leaf moves up
        bm = new_bitmap.to_bytes(2, "big")
        new_pre = b"".join((b"\x01", bm, *hparts))
        node_hash = h(new_pre)
        new_nodes[path] = (vb, new_bitmap, new_leafmap, b"".join((bm, *rparts)), new_pre)
        return internal_tag + node_hash, node_hash

    if paths:
        record, hash_ = root
        if record and record[0] == INTERNAL:
            n = len(paths)
            changed = single(record, 0, 0) if n == 1 else at_node(record, 0, 0, n)
        else:
            changed = at_leaf(record, hash_, 0, 0, len(paths))
        if changed is not None:
            result.root = changed
    return result


def _first(item: tuple[bytes, bytes, bytes]) -> bytes:
    return item[0]


# -- proofs -----------------------------------------------------------------


def proof_path(root_record: bytes, key_hash: bytes, load: Loader) -> tuple[list[list[Any]], bytes]:
    """Walk ``key_hash``'s path: the proof's node list and the record found at its end."""
    path = nibbles(key_hash)
    nodes: list[list[Any]] = []
    record = root_record
    depth = 0
    while record and record[0] == INTERNAL:
        node = load(record[1:9], path[:depth])
        nib = path[depth]
        bitmap = node[1]
        pre = node[4]
        skip = 3 + 32 * (bitmap & (_BITS[nib] - 1)).bit_count() if bitmap & _BITS[nib] else -1
        siblings = [pre[p : p + 32] for p in range(3, len(pre), 32) if p != skip]
        nodes.append([bitmap, siblings])
        record = child_at(node, nib)[0]
        depth += 1
    return nodes, record
