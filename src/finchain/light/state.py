"""Standalone verifier of finchain state proofs (the Jellyfish tree of docs/state-proofs.md).

Standard library only, like all of ``finchain.light``: a third party checks a
value against a block's app hash offline, with no node and no database::

    from finchain.light.state import verify_proof, proof_from_json
    ok = verify_proof(app_hash, b"bank/bal/...", value, proof_from_json(obj), "sm3")

The tree and its hashes (``H`` is the chain's ``sm3`` or ``sha256``):

- a key sits at ``H(key)`` read as 64 nibbles, high nibble first; a subtree
  holding a single leaf is replaced by that leaf;
- empty tree ``H(0x02)``; leaf ``H(0x00 ‖ H(key) ‖ H(value))``; internal node
  ``H(0x01 ‖ bitmap(2 bytes, big-endian, bit i set iff child i present) ‖
  hashes of the present children in nibble order)``.

A proof is ``{"nodes": [[bitmap, [sibling, …]], …], "leaf": [key_hash, value_hash] | []}``
(extra entries such as ``"version"`` are ignored): the internal nodes on the
path of ``H(key)`` from the root down, each with the hashes of its present
children except the one on the path, and what the path ends at. It proves

- membership of ``(key, value)``: the leaf is ``[H(key), H(value)]``;
- non-membership of ``key`` (``value=None``): the path ends at an empty slot of
  the last node (``leaf == []`` and that bit clear), or at the leaf of another
  key whose hash shares the path's prefix (``leaf[0] != H(key)``), or the tree
  is empty (no nodes, no leaf, root ``H(0x02)``).
"""

from __future__ import annotations

from typing import Any

from finchain.light.hashes import Hash, hash_function

__all__ = ["proof_from_json", "proof_to_json", "verify_proof"]

_MAX_DEPTH = 64


def verify_proof(root: bytes, key: bytes, value: bytes | None, proof: Any, hash_name: str) -> bool:
    """True iff ``proof`` shows ``key`` holds ``value`` (or is absent, if None) under ``root``.

    Never raises on a malformed proof, root, key or value: it returns False.
    Raises ValueError only for a ``hash_name`` other than ``"sm3"``/``"sha256"``.
    """
    h = hash_function(hash_name)
    try:
        return _verify(h, root, key, value, proof)
    except Exception:  # a malformed proof is a False, never a crash
        return False


def _is_digest(x: object, size: int) -> bool:
    return type(x) is bytes and len(x) == size


def _verify(h: Hash, root: Any, key: Any, value: Any, proof: Any) -> bool:
    if type(key) is not bytes or (value is not None and type(value) is not bytes):
        return False
    empty = h(b"\x02")
    size = len(empty)
    if not _is_digest(root, size) or not isinstance(proof, dict):
        return False
    nodes = proof.get("nodes")
    leaf = proof.get("leaf")
    if type(nodes) is not list or type(leaf) is not list or len(nodes) > _MAX_DEPTH:
        return False
    key_hash = h(key)
    path = key_hash.hex()
    depth = len(nodes)

    # what the path ends at
    current: bytes | None
    if leaf == []:
        if value is not None:
            return False
        if depth == 0:
            return bool(root == empty)
        current = None
    else:
        if len(leaf) != 2 or not _is_digest(leaf[0], size) or not _is_digest(leaf[1], size):
            return False
        leaf_key, leaf_value = leaf
        if leaf_key.hex()[:depth] != path[:depth]:
            return False  # a leaf can only sit on a prefix of its own key hash
        if value is None:
            if leaf_key == key_hash:
                return False
        elif leaf_key != key_hash or leaf_value != h(value):
            return False
        current = h(b"\x00" + leaf_key + leaf_value)

    # fold the nodes from the bottom up
    for level in range(depth - 1, -1, -1):
        entry = nodes[level]
        if type(entry) is not list or len(entry) != 2:
            return False
        bitmap, siblings = entry
        if type(bitmap) is not int or not 0 < bitmap <= 0xFFFF or type(siblings) is not list:
            return False
        nib = int(path[level], 16)
        on_path = bool(bitmap >> nib & 1)
        if on_path != (current is not None):
            return False  # a child must be present iff the path continues through it
        present = bin(bitmap).count("1")
        if len(siblings) != present - (1 if on_path else 0):
            return False
        parts = [b"\x01", bitmap.to_bytes(2, "big")]
        it = iter(siblings)
        for i in range(16):
            if not bitmap >> i & 1:
                continue
            if i == nib:
                parts.append(current)  # type: ignore[arg-type]
                continue
            sibling = next(it)
            if not _is_digest(sibling, size):
                return False
            parts.append(sibling)
        current = h(b"".join(parts))
    return bool(current == root)


def proof_to_json(proof: Any) -> Any:
    """A proof with every ``bytes`` as a lowercase hex string (ints and lists kept)."""
    if isinstance(proof, bytes):
        return proof.hex()
    if isinstance(proof, dict):
        return {str(k): proof_to_json(v) for k, v in proof.items()}
    if isinstance(proof, list | tuple):
        return [proof_to_json(v) for v in proof]
    return proof


def proof_from_json(obj: Any) -> Any:
    """Inverse of :func:`proof_to_json`: every string value is hex and becomes ``bytes``.

    Proofs hold no text, so any string in a value position is bytes; a string
    that is not hex raises ValueError (dictionary keys stay strings).
    """
    if isinstance(obj, str):
        return bytes.fromhex(obj)
    if isinstance(obj, dict):
        return {str(k): proof_from_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [proof_from_json(v) for v in obj]
    return obj
