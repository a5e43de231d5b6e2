"""The RFC 6962 Merkle tree: roots and paths, for any 32-byte hash, with no finchain imports.

Three trees of a receipt have this shape (leaf ``H(0x00 ‖ d)``, inner node
``H(0x01 ‖ left ‖ right)``, ``n`` leaves split at the largest power of two
below ``n``): the evidence batch over document hashes, a block's transactions,
and CometBFT's header fields. It is ``finchain.store.merkle``'s tree (and
CometBFT's ``merkle.HashFromByteSlices``); this copy exists because importing
the store package opens the door to the database library, which an offline
verifier must not need.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Hash = Callable[[bytes], bytes]

#: The deepest path accepted (CometBFT's bound on a proof's aunts).
MAX_PATH = 100


def leaf_hash(h: Hash, data: bytes) -> bytes:
    return h(b"\x00" + data)


def root(h: Hash, items: Sequence[bytes]) -> bytes:
    """The root over ``items`` (``H(b"")`` for none)."""
    if not items:
        return h(b"")
    level = [h(b"\x00" + item) for item in items]
    # Pairing neighbours bottom-up and carrying an odd last node up unchanged builds
    # exactly the RFC 6962 tree (its left subtrees are complete).
    while len(level) > 1:
        nxt = [h(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def path(h: Hash, items: Sequence[bytes], index: int) -> list[bytes]:
    """The sibling hashes of ``items[index]`` from its own level up to the root's children."""
    if not 0 <= index < len(items):
        raise IndexError(f"index {index} outside a tree of {len(items)} leaves")
    siblings: list[bytes] = []
    lo, hi = 0, len(items)
    while hi - lo > 1:
        k = _split(hi - lo)
        if index - lo < k:
            siblings.append(root(h, items[lo + k : hi]))
            hi = lo + k
        else:
            siblings.append(root(h, items[lo : lo + k]))
            lo += k
    siblings.reverse()
    return siblings


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


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)
