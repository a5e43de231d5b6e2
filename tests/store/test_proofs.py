"""State proofs: membership and non-membership verify; any tampering fails; never raises."""

from __future__ import annotations

import copy
import json
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finchain.light.state import proof_from_json, proof_to_json, verify_proof
from finchain.store import Database, StateStore

from .helpers import HASHES, H, commit


def _history(rng: random.Random) -> list[dict[bytes, bytes | None]]:
    keys = [b"acct/" + bytes([i]) for i in range(120)]
    history: list[dict[bytes, bytes | None]] = []
    for _ in range(5):
        writes: dict[bytes, bytes | None] = {}
        for k in rng.sample(keys, 60):
            writes[k] = None if rng.random() < 0.25 else rng.randbytes(rng.randint(0, 9))
        history.append(writes)
    return history


@pytest.fixture(params=HASHES)
def built(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, ...]]:
    """A store with 5 versions; snapshots[v] is the content at version v."""
    hash_name: str = request.param
    db = Database(tmp_path / "db")
    state = StateStore(db, hash_name=hash_name)
    snapshots: list[dict[bytes, bytes]] = []
    model: dict[bytes, bytes] = {}
    for writes in _history(random.Random(11)):
        commit(db, state, writes)
        for k, v in writes.items():
            if v is None:
                model.pop(k, None)
            else:
                model[k] = v
        snapshots.append(dict(model))
    yield db, state, hash_name, snapshots
    db.close()


ALL_KEYS = [b"acct/" + bytes([i]) for i in range(120)] + [b"never-" + bytes([i]) for i in range(30)]


def test_every_key_proves_at_every_version(built: tuple[Any, ...]) -> None:
    _, state, hash_name, snapshots = built
    kinds = {"member": 0, "empty-slot": 0, "other-leaf": 0}
    for version, snap in enumerate(snapshots):
        root = state.root(version)
        for key in ALL_KEYS:
            value, proof = state.prove(key, version)
            assert value == snap.get(key)
            assert proof["version"] == version
            assert verify_proof(root, key, value, proof, hash_name)
            if value is not None:
                kinds["member"] += 1
                # the same proof cannot claim absence or another value
                assert not verify_proof(root, key, None, proof, hash_name)
                assert not verify_proof(root, key, value + b"x", proof, hash_name)
            else:
                kinds["empty-slot" if proof["leaf"] == [] else "other-leaf"] += 1
                assert not verify_proof(root, key, b"", proof, hash_name)
            # a proof only holds against its own version's root
            if version and snapshots[version - 1].get(key) != value:
                assert not verify_proof(state.root(version - 1), key, value, proof, hash_name)
    assert all(kinds.values()), kinds  # all three proof shapes were exercised


def _flip_bit(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def _byte_fields(proof: dict[str, Any]) -> Iterator[tuple[list[Any], int]]:
    """Every (container, index) holding bytes or an int bitmap inside a proof."""
    for node in proof["nodes"]:
        yield node, 0
        for i in range(len(node[1])):
            yield node[1], i
    for i in range(len(proof["leaf"])):
        yield proof["leaf"], i


def test_any_flipped_bit_fails(built: tuple[Any, ...]) -> None:
    _, state, hash_name, snapshots = built
    rng = random.Random(5)
    version = len(snapshots) - 1
    root = state.root()
    for key in rng.sample(ALL_KEYS, 25):
        value, proof = state.prove(key)
        assert verify_proof(root, key, value, proof, hash_name)
        for i in range(0, 256, 7):
            assert not verify_proof(_flip_bit(root, i), key, value, proof, hash_name)
        if value is not None:
            for i in range(len(value) * 8):
                assert not verify_proof(root, key, _flip_bit(value, i), proof, hash_name)
            for i in range(len(key) * 8):
                assert not verify_proof(root, _flip_bit(key, i), value, proof, hash_name)
        else:
            # a non-membership proof may also cover other absent keys on the same path,
            # but never a key that is present
            for i in range(len(key) * 8):
                other = _flip_bit(key, i)
                if verify_proof(root, other, None, proof, hash_name):
                    assert other not in snapshots[version]
        for container, index in _byte_fields(proof):
            original = container[index]
            bits = 16 if isinstance(original, int) else len(original) * 8
            for bit in range(bits):
                tampered = copy.deepcopy(proof)
                target = _locate(tampered, proof, container)
                if isinstance(original, int):
                    target[index] = original ^ (1 << bit)
                else:
                    target[index] = _flip_bit(original, bit)
                assert not verify_proof(root, key, value, tampered, hash_name), (bit, index)


def _locate(tampered: dict[str, Any], proof: dict[str, Any], container: list[Any]) -> list[Any]:
    """The list in ``tampered`` at the position ``container`` has in ``proof``."""
    if container is proof["leaf"]:
        return tampered["leaf"]  # type: ignore[no-any-return]
    for i, node in enumerate(proof["nodes"]):
        if container is node:
            return tampered["nodes"][i]  # type: ignore[no-any-return]
        if container is node[1]:
            return tampered["nodes"][i][1]  # type: ignore[no-any-return]
    raise AssertionError("container not in proof")


def test_structural_mutations_fail(built: tuple[Any, ...]) -> None:
    _, state, hash_name, _ = built
    root = state.root()
    for key in (b"acct/\x01", b"acct/\x02", b"never-\x00"):
        value, proof = state.prove(key)
        mutants: list[Any] = [None, [], {}, "proof", 5, {"nodes": [], "leaf": []}]
        p = copy.deepcopy(proof)
        p["nodes"] = p["nodes"][:-1]
        mutants.append(p)
        p = copy.deepcopy(proof)
        p["nodes"].append(copy.deepcopy(p["nodes"][-1]) if p["nodes"] else [1, []])
        mutants.append(p)
        for i in range(len(proof["nodes"])):
            for replacement in (None, "x", 1.5, True, -1, 1 << 16, [1], [1, 2, 3], {"a": 1}):
                p = copy.deepcopy(proof)
                p["nodes"][i] = replacement
                mutants.append(p)
                p = copy.deepcopy(proof)
                p["nodes"][i][0] = replacement
                mutants.append(p)
                p = copy.deepcopy(proof)
                p["nodes"][i][1] = replacement
                mutants.append(p)
            p = copy.deepcopy(proof)
            p["nodes"][i][1] = p["nodes"][i][1][:-1]
            mutants.append(p)
            p = copy.deepcopy(proof)
            p["nodes"][i][1] = [*p["nodes"][i][1], b"\x00" * 32]
            mutants.append(p)
            p = copy.deepcopy(proof)
            p["nodes"][i][1] = [s[:-1] for s in p["nodes"][i][1]]
            mutants.append(p)
        for leaf in ([], [b"\x00" * 32], [b"\x00" * 32] * 3, ["a", "b"], None, [b"x", b"y"]):
            p = copy.deepcopy(proof)
            p["leaf"] = leaf
            mutants.append(p)
        for mutant in mutants:
            if mutant == proof:
                continue
            result = verify_proof(root, key, value, mutant, hash_name)
            assert result is False, mutant


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(max_size=40),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.sampled_from(["nodes", "leaf", "version", "x"]), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    proof=json_like,
    root=st.binary(max_size=40) | st.text() | st.none(),
    key=st.binary(max_size=8) | st.text() | st.none(),
    value=st.none() | st.binary(max_size=8) | st.integers(),
    hash_name=st.sampled_from(HASHES),
)
def test_verify_never_raises_on_garbage(
    proof: Any, root: Any, key: Any, value: Any, hash_name: str
) -> None:
    assert verify_proof(root, key, value, proof, hash_name) is False


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), hash_name=st.sampled_from(HASHES))
def test_verify_never_raises_on_mutated_real_proofs(data: st.DataObject, hash_name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "db")
        state = StateStore(db, hash_name=hash_name)
        commit(db, state, {bytes([i]): bytes([i]) for i in range(60)})
        key = bytes([data.draw(st.integers(0, 80))])
        value, proof = state.prove(key)
        root = state.root()
        db.close()
    # replace one random element anywhere in the proof by a random JSON-like value
    paths: list[tuple[Any, Any]] = []

    def walk(obj: Any) -> None:
        if isinstance(obj, dict):
            for k in obj:
                paths.append((obj, k))
                walk(obj[k])
        elif isinstance(obj, list):
            for i in range(len(obj)):
                paths.append((obj, i))
                walk(obj[i])

    walk(proof)
    parent, slot = data.draw(st.sampled_from(paths))
    parent[slot] = data.draw(json_like)
    assert isinstance(verify_proof(root, key, value, proof, hash_name), bool)


def test_proof_json_round_trip(built: tuple[Any, ...]) -> None:
    _, state, hash_name, _ = built
    root = state.root()
    for key in (b"acct/\x03", b"never-\x01"):
        value, proof = state.prove(key)
        text = json.dumps(proof_to_json(proof))
        loaded = proof_from_json(json.loads(text))
        assert loaded == proof
        assert verify_proof(root, key, value, loaded, hash_name)
    with pytest.raises(ValueError):
        proof_from_json({"nodes": [[1, ["not hex"]]]})


@pytest.mark.parametrize("hash_name", HASHES)
def test_empty_and_single_leaf_trees(tmp_path: Path, hash_name: str) -> None:
    db = Database(tmp_path / "db")
    state = StateStore(db, hash_name=hash_name)
    value, proof = state.prove(b"x")  # nothing committed: the empty tree
    assert value is None and proof == {"version": -1, "nodes": [], "leaf": []}
    assert state.root() == H(hash_name, b"\x02")
    assert verify_proof(state.root(), b"x", None, proof, hash_name)
    commit(db, state, {b"only": b"1"})
    root = state.root()
    assert root == H(hash_name, b"\x00" + H(hash_name, b"only") + H(hash_name, b"1"))
    value, proof = state.prove(b"only")
    assert (
        value == b"1"
        and proof["nodes"] == []
        and verify_proof(root, b"only", b"1", proof, hash_name)
    )
    value, proof = state.prove(b"other")
    assert value is None and proof["nodes"] == [] and proof["leaf"]
    assert verify_proof(root, b"other", None, proof, hash_name)
    assert not verify_proof(root, b"only", None, proof, hash_name)
    commit(db, state, {b"only": None})
    value, proof = state.prove(b"only")
    assert value is None and verify_proof(state.root(), b"only", None, proof, hash_name)
    assert state.root() == H(hash_name, b"\x02")
    # an empty-tree proof does not verify against a non-empty root
    assert not verify_proof(root, b"x", None, {"nodes": [], "leaf": []}, hash_name)
    db.close()


def test_verify_rejects_unknown_hash_name() -> None:
    with pytest.raises(ValueError):
        verify_proof(b"\x00" * 32, b"k", None, {"nodes": [], "leaf": []}, "md5")


def test_a_misplaced_leaf_is_rejected() -> None:
    """A leaf can only end a path that its own key hash starts with (no non-canonical trees)."""
    h = "sha256"
    kh, vh = H(h, b"k"), H(h, b"v")
    leaf = H(h, b"\x00" + kh + vh)
    for nib in range(16):
        root = H(h, b"\x01" + (1 << nib).to_bytes(2, "big") + leaf)
        proof = {"nodes": [[1 << nib, []]], "leaf": [kh, vh]}
        honest = int(kh.hex()[0], 16) == nib
        assert verify_proof(root, b"k", b"v", proof, h) is honest
        for i in range(300):  # any other key routed through slot `nib`
            other = b"o" + i.to_bytes(2, "big")
            if int(H(h, other).hex()[0], 16) == nib:
                assert verify_proof(root, other, None, proof, h) is honest
