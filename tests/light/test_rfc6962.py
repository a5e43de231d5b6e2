"""RFC 6962 trees (tx roots, batch trees): CometBFT-compatible roots, paths and proofs."""

from __future__ import annotations

import copy
import hashlib
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.light import rfc6962 as tree
from finchain.light.hashes import hash_function
from finchain.light.rfc6962 import tx_proof, tx_root, verify_tx_proof

HASHES = ("sm3", "sha256")


def rfc6962(hash_name: str, txs: list[bytes]) -> bytes:
    """MTH from RFC 6962 §2.1, written from the RFC, recursively."""

    def h(data: bytes) -> bytes:
        return hashlib.new(hash_name, data).digest()

    if not txs:
        return h(b"")
    if len(txs) == 1:
        return h(b"\x00" + txs[0])
    k = 1
    while k * 2 < len(txs):
        k *= 2
    return h(b"\x01" + rfc6962(hash_name, txs[:k]) + rfc6962(hash_name, txs[k:]))


# CometBFT crypto/merkle/tree_test.go TestHashFromByteSlices
COMETBFT_VECTORS = [
    ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ([b"\x01\x02\x03"], "054edec1d0211f624fed0cbca9d4f9400b0e491c43742af2c5b0abebf0c990d8"),
    ([b""], "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    (
        [b"\x01\x02\x03", b"\x04\x05\x06"],
        "82e6cfce00453804379b53962939eaa7906b39904be0813fcadd31b100773c4b",
    ),
    (
        [b"\x01\x02", b"\x03\x04", b"\x05\x06", b"\x07\x08", b"\t\n"],
        "f326493eceab4f2d9ffbc78c59432a0a005d6ea98392045c74df5d14a113be18",
    ),
]


@pytest.mark.parametrize(("txs", "expected"), COMETBFT_VECTORS)
def test_sha256_root_equals_cometbft(txs: list[bytes], expected: str) -> None:
    assert tx_root("sha256", txs).hex() == expected


@pytest.mark.parametrize("hash_name", HASHES)
@pytest.mark.parametrize("n", [*range(0, 34), 63, 64, 65, 100, 1000])
def test_root_equals_rfc6962(hash_name: str, n: int) -> None:
    rng = random.Random(n)
    txs = [rng.randbytes(rng.randint(0, 40)) for _ in range(n)]
    assert tx_root(hash_name, txs) == rfc6962(hash_name, txs)


def test_sm3_and_sha256_differ() -> None:
    assert tx_root("sm3", [b"tx"]) != tx_root("sha256", [b"tx"])
    assert tx_root("sm3", []) == hashlib.new("sm3", b"").digest()


@pytest.mark.parametrize("hash_name", HASHES)
@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 64, 100])
def test_every_tx_proves_and_tampering_fails(hash_name: str, n: int) -> None:
    rng = random.Random(n)
    txs = [rng.randbytes(20) for _ in range(n)]
    root = tx_root(hash_name, txs)
    for i, tx in enumerate(txs):
        proof = tx_proof(hash_name, txs, i)
        assert proof["index"] == i and proof["total"] == n
        assert verify_tx_proof(hash_name, root, tx, proof)
        assert not verify_tx_proof(hash_name, root, tx + b"x", proof)
        assert not verify_tx_proof(hash_name, bytes(32), tx, proof)
        other = txs[(i + 1) % n]
        if other != tx:
            assert not verify_tx_proof(hash_name, root, other, proof)
        mutants: list[Any] = []
        # (another total is not caught when the path keeps its shape: RFC 6962 / CometBFT
        # proofs do not bind the block's size, which comes from the block itself)
        for field, bad in (("index", (i + 1) % n if n > 1 else 1), ("index", -1), ("total", i)):
            p = copy.deepcopy(proof)
            p[field] = bad
            mutants.append(p)
        for a in range(len(proof["aunts"])):
            for bit in (0, 77, 255):
                p = copy.deepcopy(proof)
                aunt = bytearray(p["aunts"][a])
                aunt[bit // 8] ^= 1 << (bit % 8)
                p["aunts"][a] = bytes(aunt)
                mutants.append(p)
        p = copy.deepcopy(proof)
        p["aunts"] = p["aunts"] + [bytes(32)]
        mutants.append(p)
        if proof["aunts"]:
            p = copy.deepcopy(proof)
            p["aunts"] = p["aunts"][:-1]
            mutants.append(p)
        for mutant in mutants:
            assert verify_tx_proof(hash_name, root, tx, mutant) is False


def test_proof_index_out_of_range() -> None:
    with pytest.raises(IndexError):
        tx_proof("sha256", [b"a"], 1)
    with pytest.raises(IndexError):
        tx_proof("sha256", [], 0)


garbage = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.binary(max_size=40) | st.floats(),
    lambda c: (
        st.lists(c, max_size=4)
        | st.dictionaries(st.sampled_from(["index", "total", "leaf_hash", "aunts"]), c, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    proof=garbage, root=st.binary(max_size=40) | st.none(), tx=st.binary(max_size=10) | st.text()
)
def test_verify_tx_proof_never_raises(proof: Any, root: Any, tx: Any) -> None:
    assert verify_tx_proof("sha256", root, tx, proof) is False


def reference_path(hash_name: str, txs: list[bytes], index: int) -> list[bytes]:
    """The aunts of ``txs[index]`` from RFC 6962's recursive split, leaf's sibling first."""
    if len(txs) == 1:
        return []
    k = 1
    while k * 2 < len(txs):
        k *= 2
    if index < k:
        return [*reference_path(hash_name, txs[:k], index), rfc6962(hash_name, txs[k:])]
    return [*reference_path(hash_name, txs[k:], index - k), rfc6962(hash_name, txs[:k])]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=70), st.data())
def test_level_built_paths_are_the_recursive_ones(txs: list[bytes], data: Any) -> None:
    """The tree kept level by level gives RFC 6962's paths (its odd nodes carried up)."""
    index = data.draw(st.integers(0, len(txs) - 1))
    for name in HASHES:
        h = hash_function(name)
        built = tree.Tree(h, txs)
        assert built.root == rfc6962(name, txs) == tree.root(h, txs)
        assert built.path(index) == reference_path(name, txs, index) == tree.path(h, txs, index)
        leaf = tree.leaf_hash(h, txs[index])
        assert tree.fold(h, index, len(txs), leaf, built.path(index)) == built.root
        assert tree.verify_path(h, built.root, index, len(txs), leaf, built.path(index))
        sided = list(zip(tree.sides(index, len(txs)) or [], built.path(index), strict=True))
        assert tree.fold_sides(h, leaf, sided) == built.root


def test_a_path_of_another_shape_or_size_does_not_fold() -> None:
    h = hash_function("sha256")
    items = [bytes([i]) for i in range(5)]
    path = tree.path(h, items, 4)  # one sibling: the root of the first four
    leaf = tree.leaf_hash(h, items[4])
    assert tree.fold(h, 4, 5, leaf, path) == tree.root(h, items)
    assert tree.fold(h, 4, 6, leaf, path) is None  # index 4 of 6 has two levels
    assert tree.fold(h, 5, 5, leaf, path) is None  # outside the tree
    assert not tree.verify_path(h, tree.root(h, items), 4, 5, leaf, [path[0][:31]])
    assert not tree.verify_path(h, tree.root(h, items), 4, 5, leaf, [bytes(32)] * 101)
    assert tree.sides(0, 0) is None and tree.sides(2, 3) == [True]


def test_the_tree_reports_its_progress_per_level() -> None:
    seen: list[tuple[int, int]] = []
    built = tree.Tree(hash_function("sm3"), [b"a", b"b", b"c"], progress=lambda *a: seen.append(a))
    assert seen == [(0, 5), (3, 5), (4, 5), (5, 5)] and built.leaf_count == 3
    assert tree.Tree(hash_function("sm3"), []).root == hashlib.new("sm3", b"").digest()
    paths = list(built.hex_paths())
    assert paths == ['"' + '","'.join(p.hex() for p in built.path(i)) + '"' for i in range(3)]
