"""Shared helpers of the store tests: a slow, obviously-correct reference root."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from finchain.store import BlockStore, Database, StateStore

HASHES = ("sm3", "sha256")


def H(hash_name: str, data: bytes) -> bytes:
    return hashlib.new(hash_name, data).digest()


def reference_root(hash_name: str, contents: Mapping[bytes, bytes]) -> bytes:
    """The JMT root straight from the hashing rules, by recursion over key-hash nibbles.

    A subtree with no key is absent, with one key is that key's leaf, otherwise an
    internal node over its non-empty 16 children.
    """
    leaves = sorted(
        (H(hash_name, k).hex(), H(hash_name, k), H(hash_name, v)) for k, v in contents.items()
    )

    def build(group: list[tuple[str, bytes, bytes]], depth: int) -> bytes:
        if len(group) == 1:
            _, kh, vh = group[0]
            return H(hash_name, b"\x00" + kh + vh)
        children: dict[int, list[tuple[str, bytes, bytes]]] = {}
        for leaf in group:
            children.setdefault(int(leaf[0][depth], 16), []).append(leaf)
        bitmap = sum(1 << nib for nib in children)
        hashes = b"".join(build(children[nib], depth + 1) for nib in sorted(children))
        return H(hash_name, b"\x01" + bitmap.to_bytes(2, "big") + hashes)

    if not leaves:
        return H(hash_name, b"\x02")
    return build(leaves, 0)


def commit(
    db: Database,
    state: StateStore,
    writes: Mapping[bytes, bytes | None],
    *,
    blocks: BlockStore | None = None,
    block: bytes = b"",
    tx_ids: tuple[bytes, ...] = (),
) -> bytes:
    """One block cycle exactly as the application runs it; returns the new root."""
    version = state.version + 1
    root = state.apply(version, writes)
    batch = db.batch()
    state.stage(batch)
    if blocks is not None:
        blocks.stage(batch, version, block, tx_ids)
    db.write(batch)
    state.mark_committed()
    if blocks is not None:
        blocks.mark_committed(version)
    return root
