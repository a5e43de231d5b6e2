"""Transaction roots: RFC 6962 / CometBFT-compatible, with inclusion proofs."""

from __future__ import annotations

import copy
import hashlib
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.store import tx_proof, tx_root, verify_tx_proof

from .helpers import HASHES


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
