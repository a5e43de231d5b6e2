"""The Merkle tree of a batch of document hashes, with every leaf's path at once.

Same tree as a block's transaction root (RFC 6962 as CometBFT computes it,
:mod:`finchain.light.rfc6962`): leaf ``H(0x00 ‖ document hash)``, inner node
``H(0x01 ‖ left ‖ right)``, split at the largest power of two below the size.
A path is CometBFT's ``aunts``: sibling hashes from the leaf's level upwards,
so ``finchain.light.rfc6962.verify_tx_proof`` checks it with the document hash
in the place of a transaction. The tree is built once, level by level, so a
million documents cost one hash per node and each path is a lookup per level.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from finchain.crypto import hasher
from finchain.light.rfc6962 import Tree

ProgressFn = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stages ``hash`` (bytes), ``tree`` (nodes), ``anchor``
(the transaction: 0 of 1, then 1 of 1) and ``write`` (proofs)."""


class BatchTree(Tree):
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
        self.hash_alg = hash_alg

        def tree_progress(done: int, total: int) -> None:
            if progress is not None:
                progress("tree", done, total)

        super().__init__(hasher(hash_alg), leaves, progress=tree_progress)
