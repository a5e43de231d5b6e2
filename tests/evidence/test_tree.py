"""The batch tree is the block tx tree: same roots, same paths, checked by the store's verifier."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.offchain.anchoring import BatchTree
from finchain.store import tx_proof, tx_root, verify_tx_proof


def docs(n: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]


def proof(tree: BatchTree, index: int) -> dict[str, object]:
    return {
        "index": index,
        "total": tree.leaf_count,
        "leaf_hash": tree.leaf_hash(index),
        "aunts": tree.path(index),
    }


@pytest.mark.parametrize("alg", ["sha256", "sm3"])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 31, 33, 100])
def test_every_path_verifies_against_the_store_tree(alg, n):
    leaves = docs(n)
    tree = BatchTree(alg, leaves)
    assert tree.root == tx_root(alg, leaves)
    for index, leaf in enumerate(leaves):
        assert tree.path(index) == tx_proof(alg, leaves, index)["aunts"]
        assert verify_tx_proof(alg, tree.root, leaf, proof(tree, index))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(min_value=1, max_value=300), data=st.data())
def test_paths_match_tx_proof_for_any_size(n, data):
    leaves = docs(n)
    tree = BatchTree("sha256", leaves)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    assert tree.path(index) == tx_proof("sha256", leaves, index)["aunts"]
    hex_paths = list(tree.hex_paths())
    expected = ",".join(f'"{node.hex()}"' for node in tree.path(index))
    assert hex_paths[index] == expected and len(hex_paths) == n


def test_a_tampered_path_or_document_fails():
    leaves = docs(10)
    tree = BatchTree("sm3", leaves)
    good = proof(tree, 6)
    assert verify_tx_proof("sm3", tree.root, leaves[6], good)
    aunts = list(good["aunts"])  # type: ignore[call-overload]
    flipped = bytes([aunts[1][0] ^ 1]) + aunts[1][1:]
    assert not verify_tx_proof(
        "sm3", tree.root, leaves[6], {**good, "aunts": [aunts[0], flipped, *aunts[2:]]}
    )
    assert not verify_tx_proof("sm3", tree.root, leaves[6], {**good, "aunts": aunts[:-1]})
    assert not verify_tx_proof("sm3", tree.root, leaves[5], good)
    assert not verify_tx_proof("sm3", tree.root, leaves[6], {**good, "index": 7})


def test_progress_reports_every_node_hashed():
    seen: list[tuple[str, int, int]] = []
    BatchTree("sha256", docs(5), progress=lambda *args: seen.append(args))
    assert seen[-1] == ("tree", 9, 9) and all(s[0] == "tree" for s in seen)


def test_empty_tree_and_out_of_range_leaf():
    with pytest.raises(ValueError):
        BatchTree("sha256", [])
    with pytest.raises(IndexError):
        BatchTree("sha256", docs(2)).path(2)
