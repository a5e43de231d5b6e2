"""A block's transaction root: the RFC 6962 binary Merkle tree, as CometBFT computes it.

- leaf ``H(0x00 ‖ tx)``, inner node ``H(0x01 ‖ left ‖ right)``;
- ``n`` leaves split at the largest power of two strictly below ``n``;
- no transactions: ``H(b"")``.

This is CometBFT's ``merkle.HashFromByteSlices``. Its ``Header.DataHash`` is
that tree over the SHA-256 *of each* raw transaction, so it equals
``tx_root("sha256", [sha256(tx) for tx in txs])``, not ``tx_root("sha256", txs)``
(``finchain.engines.cometbft.light.data_hash``). A proof is CometBFT's ``merkle.Proof``:
``{"index", "total", "leaf_hash", "aunts"}`` with the aunts (sibling hashes)
from the leaf's level up to the root's children.

As in CometBFT, a proof binds the transaction to the root and its position to
the shape of the path, not the block's size: ``total`` is only checked against
the number of aunts (index 0 of 3 and of 4 transactions share a path), so a
receipt takes the transaction count from the block itself.

Like :mod:`finchain.store.proof` this file needs only the standard library, so
receipts can be checked offline by a copy of it::

    root = tx_root("sm3", txs)
    proof = tx_proof("sm3", txs, 2)
    assert verify_tx_proof("sm3", root, txs[2], proof)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["tx_proof", "tx_root", "verify_tx_proof"]

#: CometBFT's bound on a proof's aunts (more than any real block needs).
MAX_AUNTS = 100
_HASHES = ("sm3", "sha256")


def _hasher(hash_name: str) -> Callable[[bytes], bytes]:
    if hash_name == "sha256":
        sha256 = hashlib.sha256
        return lambda data: sha256(data).digest()
    if hash_name == "sm3":
        copy = hashlib.new("sm3").copy  # skips OpenSSL's name lookup on every call

        def sm3(data: bytes) -> bytes:
            ctx = copy()
            ctx.update(data)
            return ctx.digest()

        return sm3
    raise ValueError(f"unknown hash {hash_name!r}: use one of {', '.join(_HASHES)}")


def _split(n: int) -> int:
    """Largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _root_of(h: Callable[[bytes], bytes], level: list[bytes]) -> bytes:
    # Pairing neighbours bottom-up and carrying an odd last node up unchanged builds
    # exactly the RFC 6962 tree (left subtrees are complete), without recursion.
    while len(level) > 1:
        nxt = [h(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def tx_root(hash_name: str, txs: Sequence[bytes]) -> bytes:
    """Merkle root of a block's raw transactions."""
    h = _hasher(hash_name)
    if not txs:
        return h(b"")
    return _root_of(h, [h(b"\x00" + tx) for tx in txs])


def tx_proof(hash_name: str, txs: Sequence[bytes], index: int) -> dict[str, Any]:
    """Inclusion proof of ``txs[index]``: ``{"index", "total", "leaf_hash", "aunts"}``."""
    if not 0 <= index < len(txs):
        raise IndexError(f"tx index {index} outside a block of {len(txs)} transactions")
    h = _hasher(hash_name)
    leaves = [h(b"\x00" + tx) for tx in txs]
    aunts: list[bytes] = []
    lo, hi, i = 0, len(leaves), index
    # descend from the root, collecting the sibling subtree at each split
    while hi - lo > 1:
        k = _split(hi - lo)
        if i - lo < k:
            aunts.append(_root_of(h, leaves[lo + k : hi]))
            hi = lo + k
        else:
            aunts.append(_root_of(h, leaves[lo : lo + k]))
            lo = lo + k
    aunts.reverse()  # CometBFT order: the leaf's sibling first
    return {"index": index, "total": len(txs), "leaf_hash": leaves[index], "aunts": aunts}


def verify_tx_proof(hash_name: str, root: bytes, tx: bytes, proof: Any) -> bool:
    """True iff ``proof`` shows ``tx`` in the block whose tx root is ``root``; never raises
    on malformed input (ValueError only for an unknown ``hash_name``)."""
    h = _hasher(hash_name)
    try:
        if type(tx) is not bytes or type(root) is not bytes or not isinstance(proof, dict):
            return False
        index, total = proof.get("index"), proof.get("total")
        leaf, aunts = proof.get("leaf_hash"), proof.get("aunts")
        if type(index) is not int or type(total) is not int or not 0 <= index < total:
            return False
        if type(aunts) is not list or len(aunts) > MAX_AUNTS:
            return False
        size = len(root)
        if any(type(a) is not bytes or len(a) != size for a in aunts):
            return False
        if leaf != h(b"\x00" + tx):
            return False
        computed = _from_aunts(h, index, total, leaf, aunts)
        return computed is not None and computed == root
    except Exception:  # malformed input is a False, never a crash
        return False


def _from_aunts(
    h: Callable[[bytes], bytes], index: int, total: int, leaf: bytes, aunts: list[bytes]
) -> bytes | None:
    """CometBFT's computeHashFromAunts, iteratively: None if the aunt count is wrong."""
    # record the descent (which side at each split), then fold upwards
    sides: list[bool] = []  # True: our subtree is the left one
    while total > 1:
        k = _split(total)
        if index < k:
            sides.append(True)
            total = k
        else:
            sides.append(False)
            index -= k
            total -= k
    if len(sides) != len(aunts):
        return None
    current = leaf
    for left, aunt in zip(reversed(sides), aunts, strict=True):
        current = h(b"\x01" + current + aunt) if left else h(b"\x01" + aunt + current)
    return current
