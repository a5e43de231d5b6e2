"""The Merkle tree of a batch of document hashes, with every leaf's path at once.

Same tree as a block's transaction root (``finchain.store.merkle``, RFC 6962 as
CometBFT computes it): leaf ``H(0x00 ‖ document hash)``, inner node
``H(0x01 ‖ left ‖ right)``, split at the largest power of two below the size.
A path is CometBFT's ``aunts``: sibling hashes from the leaf's level upwards,
so ``finchain.store.verify_tx_proof`` checks it with the document hash in the
place of a transaction.

``tx_proof`` rebuilds subtrees for each proof, fine for a block's few
thousand transactions but quadratic for a million documents. Here the tree
is built once, level by level, carrying an odd last node up unchanged (which
gives exactly the RFC 6962 shape), and the sibling of node ``j`` of a level is
node ``j ^ 1`` of that level when it exists: each path is a lookup per level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from finchain.crypto import hasher

ProgressFn = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stages ``hash`` (bytes), ``tree`` (nodes), ``anchor``
(the transaction: 0 of 1, then 1 of 1) and ``write`` (proofs)."""


class BatchTree:
    """The tree over ``leaves`` (document hashes, in order); ``root`` and per-leaf paths.

    Example::

        tree = BatchTree("sha256", [h1, h2, h3])
        assert verify_tx_proof("sha256", tree.root, h2,
            {"index": 1, "total": 3, "leaf_hash": tree.leaf_hash(1), "aunts": tree.path(1)})

    Parameters:
        hash_alg: ``sm3`` or ``sha256``; the tree uses the hash of the documents.
        leaves: at least one document hash.
        progress: told ``("tree", nodes hashed, nodes in the tree)`` once per level.
    """

    def __init__(
        self, hash_alg: str, leaves: Sequence[bytes], *, progress: ProgressFn | None = None
    ) -> None:
        if not leaves:
            raise ValueError("a batch tree needs at least one leaf")
        h = hasher(hash_alg)
        self.hash_alg = hash_alg
        total = 2 * len(leaves) - 1
        if progress is not None:
            progress("tree", 0, total)
        level = [h(b"\x00" + leaf) for leaf in leaves]
        self.levels: list[list[bytes]] = [level]
        done = len(level)
        if progress is not None:
            progress("tree", done, total)
        while len(level) > 1:
            nxt = [h(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
            done += len(nxt)
            if len(level) % 2:
                nxt.append(level[-1])
            self.levels.append(nxt)
            level = nxt
            if progress is not None:
                progress("tree", done, total)

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    @property
    def leaf_count(self) -> int:
        return len(self.levels[0])

    def leaf_hash(self, index: int) -> bytes:
        return self.levels[0][index]

    def path(self, index: int) -> list[bytes]:
        """The aunts of leaf ``index``, the leaf's sibling first."""
        if not 0 <= index < self.leaf_count:
            raise IndexError(f"leaf {index} outside a batch of {self.leaf_count}")
        path = []
        for depth, level in enumerate(self.levels[:-1]):
            sibling = (index >> depth) ^ 1
            if sibling < len(level):
                path.append(level[sibling])
        return path

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
