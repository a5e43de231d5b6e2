"""The state store against a dict model and a from-scratch reference root."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finchain.store import Database, StateStore
from finchain.store.errors import ErrBadVersion, ErrInvalidWrite, ErrNothingPending

from .helpers import HASHES, commit, reference_root

POOL = [b"", b"a", b"ab", b"b/1", b"b/2", b"b/\xff", b"bank/bal/x"] + [
    b"k" + bytes([i]) for i in range(40)
]
PREFIXES = [b"", b"a", b"b/", b"k", b"k\x01", b"zz", b"\xff"]

keys = st.one_of(st.sampled_from(POOL), st.binary(max_size=3))
values = st.one_of(st.none(), st.binary(max_size=6))
block = st.dictionaries(keys, values, max_size=25)
blocks = st.lists(block, min_size=1, max_size=8)

slow = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _apply_model(model: dict[bytes, bytes], writes: dict[bytes, bytes | None]) -> None:
    for k, v in writes.items():
        if v is None:
            model.pop(k, None)
        else:
            model[k] = v


@slow
@given(history=blocks, hash_name=st.sampled_from(HASHES))
def test_store_matches_dict_model_at_every_version(
    history: list[dict[bytes, bytes | None]], hash_name: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "db")
        state = StateStore(db, hash_name=hash_name)
        model: dict[bytes, bytes] = {}
        snapshots: list[dict[bytes, bytes]] = []
        touched: set[bytes] = set(POOL)
        for writes in history:
            touched.update(writes)
            root = commit(db, state, writes)
            _apply_model(model, writes)
            snapshots.append(dict(model))
            assert root == reference_root(hash_name, model)
            assert state.root() == root
        assert state.version == len(history) - 1
        for version, snap in enumerate(snapshots):
            assert state.root(version) == reference_root(hash_name, snap)
            for key in touched:
                assert state.get_at(key, version) == snap.get(key), (key, version)
        for key in touched:
            assert state.get(key) == model.get(key)
        for prefix in PREFIXES:
            expected = sorted((k, v) for k, v in model.items() if k.startswith(prefix))
            assert list(state.iterate(prefix)) == expected
        db.close()


@slow
@given(history=blocks, seed=st.integers(0, 2**32), hash_name=st.sampled_from(HASHES))
def test_root_depends_only_on_contents(
    history: list[dict[bytes, bytes | None]], seed: int, hash_name: str
) -> None:
    """Same final contents, reached by another history and write order: same root."""
    model: dict[bytes, bytes] = {}
    for writes in history:
        _apply_model(model, writes)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "db")
        incremental = StateStore(db, hash_name=hash_name)
        for writes in history:
            commit(db, incremental, writes)
        db.close()
        db = Database(Path(tmp) / "db2")
        fresh = StateStore(db, hash_name=hash_name)
        # a different path: junk first, then the final contents in a shuffled order
        junk: dict[bytes, bytes | None] = {
            b"junk" + bytes([i]): b"j" for i in range(rng.randint(0, 30))
        }
        junk.update({k: b"other" for k in model})
        commit(db, fresh, junk)
        items: list[tuple[bytes, bytes | None]] = list(model.items())
        items += [(k, None) for k in junk if k not in model]
        rng.shuffle(items)
        assert commit(db, fresh, dict(items)) == incremental.root()
        db.close()


def test_apply_is_invisible_until_committed_and_replaceable(db: Database) -> None:
    state = StateStore(db, hash_name="sm3")
    commit(db, state, {b"a": b"1", b"b": b"2"})
    before = state.root()
    r1 = state.apply(1, {b"a": b"changed"})
    assert state.get(b"a") == b"1" and state.root() == before and state.version == 0
    r2 = state.apply(1, {b"c": b"3"})  # replaces the first pending result
    assert r1 != r2
    batch = db.batch()
    state.stage(batch)
    db.write(batch)
    state.mark_committed()
    assert state.get(b"a") == b"1" and state.get(b"c") == b"3"
    assert state.root() == r2 == reference_root("sm3", {b"a": b"1", b"b": b"2", b"c": b"3"})


def test_write_order_inside_a_block_does_not_matter(tmp_path: Path) -> None:
    writes = {bytes([i, j]): bytes([i ^ j]) for i in range(20) for j in range(20)}
    reversed_writes = dict(reversed(list(writes.items())))
    roots = []
    for name, w in (("a", writes), ("b", reversed_writes)):
        db = Database(tmp_path / name)
        state = StateStore(db, hash_name="sha256")
        roots.append(commit(db, state, w))
        db.close()
    assert roots[0] == roots[1] == reference_root("sha256", writes)


@pytest.mark.parametrize("hash_name", HASHES)
def test_deep_tree_grows_and_shrinks_back_to_empty(db: Database, hash_name: str) -> None:
    state = StateStore(db, hash_name=hash_name)
    empty = state.root()
    rng = random.Random(7)
    model: dict[bytes, bytes] = {}
    all_keys = [rng.randbytes(rng.randint(1, 12)) for _ in range(3000)]
    for chunk in range(3):
        writes: dict[bytes, bytes | None] = {
            k: rng.randbytes(5) for k in all_keys[chunk * 1000 : (chunk + 1) * 1000]
        }
        _apply_model(model, writes)
        assert commit(db, state, writes) == reference_root(hash_name, model)
    for chunk in range(3):
        writes = {k: None for k in all_keys[chunk * 1000 : (chunk + 1) * 1000]}
        writes.update({k: b"upd" for k in all_keys[(chunk + 1) * 1000 : (chunk + 1) * 1000 + 50]})
        _apply_model(model, writes)
        assert commit(db, state, writes) == reference_root(hash_name, model)
    assert model == {} and state.root() == empty
    assert list(state.iterate(b"")) == []


def test_small_caches_give_the_same_results(tmp_path: Path) -> None:
    rng = random.Random(3)
    history = [
        {rng.randbytes(4): (rng.randbytes(3) if rng.random() < 0.8 else None) for _ in range(300)}
        for _ in range(6)
    ]
    results = []
    for name, sizes in (("big", {}), ("tiny", {"node_cache_size": 1, "value_cache_size": 1})):
        db = Database(tmp_path / name)
        state = StateStore(db, hash_name="sm3", **sizes)
        roots = [commit(db, state, w) for w in history]
        reads = [state.get(k) for w in history for k in w]
        results.append((roots, reads))
        db.close()
    assert results[0] == results[1]


def test_no_op_writes_keep_the_root(db: Database) -> None:
    state = StateStore(db, hash_name="sm3")
    root = commit(db, state, {b"a": b"1", b"b": b"2"})
    assert commit(db, state, {}) == root
    assert commit(db, state, {b"never": None}) == root
    assert commit(db, state, {b"a": b"1"}) == root  # same value again
    assert state.version == 3
    assert state.root(1) == state.root(2) == root


def test_bytes_like_writes_are_accepted_and_others_rejected(db: Database) -> None:
    state = StateStore(db, hash_name="sm3")
    root = state.apply(0, {memoryview(b"k"): bytearray(b"v")})  # type: ignore[dict-item]
    assert root == reference_root("sm3", {b"k": b"v"})
    with pytest.raises(Exception) as info:
        state.apply(0, {"text": b"v"})  # type: ignore[dict-item]
    assert ErrInvalidWrite.matches(info.value)
    with pytest.raises(Exception) as info:
        state.apply(0, {b"k": 5})  # type: ignore[dict-item]
    assert ErrInvalidWrite.matches(info.value)


def test_version_rules(db: Database) -> None:
    state = StateStore(db, hash_name="sm3")
    assert state.version == -1
    with pytest.raises(Exception) as info:
        state.stage(db.batch())
    assert ErrNothingPending.matches(info.value)
    state.apply(5, {b"a": b"1"})  # the first version may be any (InitChain's initial height)
    with pytest.raises(Exception) as info:
        state.mark_committed()  # not staged
    assert ErrNothingPending.matches(info.value)
    batch = db.batch()
    state.stage(batch)
    db.write(batch)
    state.mark_committed()
    assert state.version == 5
    for bad in (5, 7, 4, -1):
        with pytest.raises(Exception) as info:
            state.apply(bad, {})
        assert ErrBadVersion.matches(info.value)
    commit(db, state, {b"b": b"2"})
    assert state.version == 6


DENSE_POOL = [b"d/" + i.to_bytes(2, "big") for i in range(250)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history=st.lists(
        st.dictionaries(
            st.sampled_from(DENSE_POOL),
            st.one_of(st.none(), st.none(), st.binary(max_size=4)),
            min_size=1,
            max_size=80,
        ),
        min_size=2,
        max_size=10,
    ),
    hash_name=st.sampled_from(HASHES),
)
def test_dense_histories_match_the_reference(
    history: list[dict[bytes, bytes | None]], hash_name: str
) -> None:
    """Many keys with many deletions: deep chains form, split, and collapse back up."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "db")
        state = StateStore(db, hash_name=hash_name)
        model: dict[bytes, bytes] = {}
        for writes in history:
            root = commit(db, state, writes)
            _apply_model(model, writes)
            assert root == reference_root(hash_name, model)
        db.close()


@pytest.mark.parametrize("seed", range(6))
def test_long_random_histories_match_the_reference(tmp_path: Path, seed: int) -> None:
    """Single writes deep in the tree (replace, insert, split, delete, collapse chains)."""
    rng = random.Random(seed)
    keys = [b"k/" + bytes([i]) for i in range(200)]
    db = Database(tmp_path / "db")
    state = StateStore(db, hash_name="sm3" if seed % 2 else "sha256")
    model: dict[bytes, bytes] = {}
    for _ in range(60):
        sample = rng.sample(keys, rng.choice([1, 2, 5, 40]))
        writes = {k: (None if rng.random() < 0.3 else rng.randbytes(6)) for k in sample}
        root = commit(db, state, writes)
        _apply_model(model, writes)
        assert root == reference_root(state.hash_name, model)
    db.close()


def test_unknown_hash_is_refused(db: Database) -> None:
    from finchain.store.errors import ErrUnknownHash

    with pytest.raises(Exception) as info:
        StateStore(db, hash_name="md5")
    assert ErrUnknownHash.matches(info.value)
    with pytest.raises(ValueError):
        StateStore(db, hash_name="sm3", keep_recent=-1)
