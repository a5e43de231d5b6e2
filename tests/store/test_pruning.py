"""Pruning with keep_recent=K: old versions go, retained ones stay whole, the DB stays bounded."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finchain.store import Database, StateStore, verify_proof
from finchain.store import keys as K
from finchain.store.errors import ErrUnknownVersion, ErrVersionPruned
from finchain.store.state import PRUNE_STEP

from .helpers import commit, reference_root

KEYS = [b"p/" + bytes([i]) for i in range(30)]


def _entries(db: Database) -> int:
    """Live entries of the state store (all its tables)."""
    return sum(1 for _ in db.iterate(b"s"))


def _raises(error: object, fn: object, *args: object) -> None:
    with pytest.raises(Exception) as info:
        fn(*args)  # type: ignore[operator]
    assert error.matches(info.value)  # type: ignore[attr-defined]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    keep=st.integers(1, 4),
    history=st.lists(
        st.dictionaries(st.sampled_from(KEYS), st.none() | st.binary(max_size=3), max_size=12),
        min_size=1,
        max_size=12,
    ),
)
def test_retained_versions_stay_complete(
    keep: int, history: list[dict[bytes, bytes | None]]
) -> None:
    """After every commit, every retained version still reads and proves every key."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "db")
        state = StateStore(db, hash_name="sm3", keep_recent=keep, node_cache_size=1)
        model: dict[bytes, bytes] = {}
        snapshots: list[dict[bytes, bytes]] = []
        for writes in history:
            commit(db, state, writes)
            for k, v in writes.items():
                if v is None:
                    model.pop(k, None)
                else:
                    model[k] = v
            snapshots.append(dict(model))
            v = state.version
            assert state.oldest_version == max(0, v - keep + 1)
            for old in range(0, state.oldest_version):
                _raises(ErrVersionPruned, state.root, old)
                _raises(ErrVersionPruned, state.get_at, KEYS[0], old)
                _raises(ErrVersionPruned, state.prove, KEYS[0], old)
            for kept in range(state.oldest_version, v + 1):
                root = state.root(kept)
                assert root == reference_root("sm3", snapshots[kept])
                for key in KEYS:
                    assert state.get_at(key, kept) == snapshots[kept].get(key)
                    value, proof = state.prove(key, kept)
                    assert value == snapshots[kept].get(key)
                    assert verify_proof(root, key, value, proof, "sm3")
        _raises(ErrUnknownVersion, state.root, state.version + 1)
        db.close()


@pytest.mark.parametrize("keep", [1, 3])
def test_database_size_is_bounded(tmp_path: Path, keep: int) -> None:
    rng = random.Random(keep)
    db = Database(tmp_path / "db")
    state = StateStore(db, hash_name="sha256", keep_recent=keep)
    sizes = {}
    for version in range(300):
        writes: dict[bytes, bytes | None] = {
            k: (None if rng.random() < 0.1 else rng.randbytes(4)) for k in rng.sample(KEYS, 10)
        }
        commit(db, state, writes)
        if version in (99, 299):
            sizes[version] = _entries(db)
    # with the same live keys, 200 more versions add (almost) nothing
    assert sizes[299] <= sizes[99] * 1.3 + 20, sizes
    # whereas an archive node keeps everything
    archive = Database(tmp_path / "archive")
    full = StateStore(archive, hash_name="sha256")
    rng = random.Random(keep)
    for _ in range(300):
        writes = {
            k: (None if rng.random() < 0.1 else rng.randbytes(4)) for k in rng.sample(KEYS, 10)
        }
        commit(archive, full, writes)
    assert _entries(archive) > 4 * sizes[299]
    assert full.root() == state.root()
    db.close()
    archive.close()


def test_enabling_pruning_later_catches_up_in_steps(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    state = StateStore(db, hash_name="sm3")
    rng = random.Random(1)
    for _ in range(150):
        commit(db, state, {k: rng.randbytes(3) for k in rng.sample(KEYS, 5)})
    archive_size = _entries(db)
    db.close()

    db = Database(tmp_path / "db")
    state = StateStore(db, hash_name="sm3", keep_recent=5)
    assert state.oldest_version == 0
    commit(db, state, {KEYS[0]: b"x"})
    assert state.oldest_version == PRUNE_STEP  # one bounded step per block
    while state.oldest_version < state.version - 4:
        commit(db, state, {KEYS[1]: rng.randbytes(3)})
    assert state.oldest_version == state.version - 4
    assert _entries(db) < archive_size / 4
    for kept in range(state.oldest_version, state.version + 1):
        for key in KEYS:
            value, proof = state.prove(key, kept)
            assert verify_proof(state.root(kept), key, value, proof, "sm3")
    db.close()

    db = Database(tmp_path / "db")  # the oldest kept version survives a restart
    state = StateStore(db, hash_name="sm3", keep_recent=5)
    assert state.oldest_version == state.version - 4
    _raises(ErrVersionPruned, state.root, state.oldest_version - 1)
    db.close()


def test_history_table_entries_are_dropped(tmp_path: Path) -> None:
    """Replaced values and tombstones of pruned versions leave the history table."""
    db = Database(tmp_path / "db")
    state = StateStore(db, hash_name="sm3", keep_recent=2)
    for i in range(20):
        commit(db, state, {b"hot": bytes([i]), b"gone": (None if i % 2 else b"x")})
    history = list(db.iterate(K.HISTORY))
    # at most: the versions visible from the 2 kept versions, per key
    assert len(history) <= 4, history
    assert state.get_at(b"hot", state.version - 1) == bytes([18])
    assert state.get_at(b"gone", state.version) is None
    db.close()
