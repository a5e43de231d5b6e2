"""The RFC 6962 Merkle tree, as CometBFT computes it: roots, paths and their checks.

Three trees of finchain have this shape: a block's transactions (the solo
header's ``tx_root``; CometBFT's ``data_hash`` is the same tree over the
SHA-256 *of each* raw transaction), an evidence batch over document hashes,
and CometBFT's own header and validator-set hashes.

- leaf ``H(0x00 ‖ item)``, inner node ``H(0x01 ‖ left ‖ right)``;
- ``n`` leaves split at the largest power of two strictly below ``n``;
- no leaves: ``H(b"")``.

This is CometBFT's ``merkle.HashFromByteSlices``. Built level by level,
pairing neighbours and carrying an odd last node up unchanged, it has exactly
that shape (its left subtrees are complete), and the sibling of node ``j`` of
a level is node ``j ^ 1`` of that level when it exists (:class:`Tree`).

A path is the sibling hashes from the leaf's level up to the root's children
(CometBFT's ``aunts``). Which side each sibling is on follows from the leaf's
``index`` and the leaf ``count`` (:func:`sides`); :func:`fold` refuses a path
whose length does not fit them, so a path can never be stretched to fit.
As in CometBFT, a path binds the item to the root and its position to the
shape of the path, not the tree's size (index 0 of 3 and of 4 share a path):
who needs the count takes it from elsewhere (a receipt's batch from its
on-chain record; a receipt's tx path carries sides instead, :func:`fold_sides`).

Two forms of the functions: the tree ones take a hash function ``h`` (any
``bytes -> 32 bytes``), the ``tx_*`` ones a hash name (``sm3`` / ``sha256``) and
CometBFT's ``merkle.Proof`` as a dict ``{"index", "total", "leaf_hash", "aunts"}``::

    root = tx_root("sm3", txs)
    proof = tx_proof("sm3", txs, 2)
    assert verify_tx_proof("sm3", root, txs[2], proof)

Standard library only (docs/state-proofs.md §2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from finchain.light.hashes import Hash, hash_function

__all__ = [
    "MAX_PATH",
    "Tree",
    "fold",
    "fold_sides",
    "leaf_hash",
    "path",
    "root",
    "sides",
    "tx_proof",
    "tx_root",
    "verify_path",
    "verify_tx_proof",
]

#: The longest path accepted (CometBFT's bound on a proof's aunts; more than any tree needs).
MAX_PATH = 100

TreeProgress = Callable[[int, int], None]
"""``progress(nodes hashed, nodes in the tree)``, told once before and once per level."""


def leaf_hash(h: Hash, item: bytes) -> bytes:
    return h(b"\x00" + item)


class Tree:
    """The tree over ``items``, kept level by level: its root and every leaf's path.

    Building costs one hash per node; a path is then a lookup per level, so a
    million paths cost no more hashing than the tree itself.

    Example::

        tree = Tree(hash_function("sha256"), [d1, d2, d3])
        assert fold(h, 1, 3, tree.leaf_hash(1), tree.path(1)) == tree.root

    Parameters:
        h: the hash function.
        items: the leaves' data, in order (may be empty: the root is then ``H(b"")``).
        progress: told ``(nodes hashed, nodes in the tree)`` before and after each level.
    """

    def __init__(
        self, h: Hash, items: Sequence[bytes], *, progress: TreeProgress | None = None
    ) -> None:
        self._h = h
        total = max(2 * len(items) - 1, 0)
        if progress is not None:
            progress(0, total)
        level = [h(b"\x00" + item) for item in items]
        self.levels: list[list[bytes]] = [level]
        done = len(level)
        if progress is not None:
            progress(done, total)
        while len(level) > 1:
            nxt = [h(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
            done += len(nxt)
            if len(level) % 2:
                nxt.append(level[-1])
            self.levels.append(nxt)
            level = nxt
            if progress is not None:
                progress(done, total)

    @property
    def root(self) -> bytes:
        return self.levels[-1][0] if self.levels[0] else self._h(b"")

    @property
    def leaf_count(self) -> int:
        return len(self.levels[0])

    def leaf_hash(self, index: int) -> bytes:
        return self.levels[0][index]

    def path(self, index: int) -> list[bytes]:
        """The sibling hashes of leaf ``index``, the leaf's own sibling first."""
        if not 0 <= index < self.leaf_count:
            raise IndexError(f"index {index} outside a tree of {self.leaf_count} leaves")
        siblings = []
        for depth, level in enumerate(self.levels[:-1]):
            sibling = (index >> depth) ^ 1
            if sibling < len(level):
                siblings.append(level[sibling])
        return siblings

    def hex_paths(self) -> Iterator[str]:
        """Every leaf's path as the inside of a JSON array of hex strings, in leaf order.

        The hot loop of writing a million proofs: each node's hex is computed
        once and shared by every path that passes it.
        """
        levels = [[node.hex() for node in level] for level in self.levels[:-1]]
        shape = [(depth, level, len(level)) for depth, level in enumerate(levels)]
        for index in range(self.leaf_count):
            parts = [
                level[sibling]
                for depth, level, size in shape
                if (sibling := (index >> depth) ^ 1) < size
            ]
            yield '"' + '","'.join(parts) + '"' if parts else ""


def root(h: Hash, items: Sequence[bytes]) -> bytes:
    """The root over ``items`` (``H(b"")`` for none)."""
    return Tree(h, items).root


def path(h: Hash, items: Sequence[bytes], index: int) -> list[bytes]:
    """The sibling hashes of ``items[index]`` from its own level up to the root's children."""
    return Tree(h, items).path(index)


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def sides(index: int, count: int) -> list[bool] | None:
    """For leaf ``index`` of ``count``, per level from the leaf up: is the sibling on the left?

    None if ``index`` is outside the tree.
    """
    if not 0 <= index < count:
        return None
    down: list[bool] = []  # from the root down: True when our subtree is the right one
    while count > 1:
        k = _split(count)
        if index < k:
            down.append(False)
            count = k
        else:
            down.append(True)
            index -= k
            count -= k
    down.reverse()
    return down


def fold_sides(h: Hash, leaf: bytes, path: Sequence[tuple[bool, bytes]]) -> bytes:
    """The root reached from ``leaf`` through (sibling is on the left, sibling hash) pairs."""
    current = leaf
    for left, sibling in path:
        current = h(b"\x01" + sibling + current) if left else h(b"\x01" + current + sibling)
    return current


def fold(h: Hash, index: int, count: int, leaf: bytes, siblings: Sequence[bytes]) -> bytes | None:
    """The root that ``leaf`` at ``index`` of ``count`` leaves reaches through ``siblings``.

    None when the number of siblings does not fit the tree's shape (a path
    from another position or size), so a path can never be stretched to fit.
    """
    shape = sides(index, count)
    if shape is None or len(siblings) > MAX_PATH or len(shape) != len(siblings):
        return None
    return fold_sides(h, leaf, list(zip(shape, siblings, strict=True)))


def verify_path(
    h: Hash, root: bytes, index: int, count: int, leaf: bytes, siblings: Sequence[bytes]
) -> bool:
    """True iff the leaf hash ``leaf`` at ``index`` of ``count`` reaches ``root`` through
    ``siblings``, each a hash of the root's size. Never raises on malformed input."""
    try:
        if type(root) is not bytes or type(index) is not int or type(count) is not int:
            return False
        if any(type(s) is not bytes or len(s) != len(root) for s in siblings):
            return False
        reached = fold(h, index, count, leaf, siblings)
        return reached is not None and reached == root
    except Exception:  # malformed input is a False, never a crash
        return False


# -- the named-hash form: a block's transactions and CometBFT's merkle.Proof --------------------


def tx_root(hash_name: str, txs: Sequence[bytes]) -> bytes:
    """Merkle root of a block's raw transactions."""
    return root(hash_function(hash_name), txs)


def tx_proof(hash_name: str, txs: Sequence[bytes], index: int) -> dict[str, Any]:
    """Inclusion proof of ``txs[index]``: ``{"index", "total", "leaf_hash", "aunts"}``."""
    if not 0 <= index < len(txs):
        raise IndexError(f"tx index {index} outside a block of {len(txs)} transactions")
    tree = Tree(hash_function(hash_name), txs)
    return {
        "index": index,
        "total": len(txs),
        "leaf_hash": tree.leaf_hash(index),
        "aunts": tree.path(index),
    }


def verify_tx_proof(hash_name: str, root: bytes, tx: bytes, proof: Any) -> bool:
    """True iff ``proof`` shows ``tx`` in the block whose tx root is ``root``; never raises
    on malformed input (ValueError only for an unknown ``hash_name``)."""
    h = hash_function(hash_name)
    try:
        if type(tx) is not bytes or not isinstance(proof, dict):
            return False
        leaf, aunts = proof.get("leaf_hash"), proof.get("aunts")
        if type(aunts) is not list or leaf != h(b"\x00" + tx):
            return False
        index, total = proof.get("index"), proof.get("total")
        if type(index) is not int or type(total) is not int:
            return False
        return verify_path(h, root, index, total, leaf, aunts)
    except Exception:  # malformed input is a False, never a crash
        return False
