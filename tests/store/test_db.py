"""The RocksDB wrapper: prefix iteration in byte order, seeks, atomic batches."""

from __future__ import annotations

import pytest

from finchain.store import Database
from finchain.store.db import prefix_end
from finchain.store.errors import ErrDatabase

KEYS = [b"a", b"ab", b"ab\x00", b"ab\xff", b"ab\xff\xff", b"ac", b"b", b"\xff", b"\xff\xff"]


@pytest.fixture
def filled(db: Database) -> Database:
    batch = db.batch()
    for k in reversed(KEYS):
        batch.put(k, k.upper())
    db.write(batch)
    return db


def test_prefix_end() -> None:
    assert prefix_end(b"ab") == b"ac"
    assert prefix_end(b"a\xff") == b"b"
    assert prefix_end(b"\xff\xff") is None
    assert prefix_end(b"") is None


@pytest.mark.parametrize("prefix", [b"", b"a", b"ab", b"ab\xff", b"\xff", b"zz"])
def test_iterate_prefix_both_ways(filled: Database, prefix: bytes) -> None:
    expected = sorted(k for k in KEYS if k.startswith(prefix))
    assert [k for k, _ in filled.iterate(prefix)] == expected
    assert [k for k, _ in filled.iterate(prefix, reverse=True)] == expected[::-1]
    assert all(v == k.upper() for k, v in filled.iterate(prefix))


def test_iterate_from_start(filled: Database) -> None:
    assert [k for k, _ in filled.iterate(b"ab", start=b"ab\x01")] == [b"ab\xff", b"ab\xff\xff"]
    assert [k for k, _ in filled.iterate(b"ab", start=b"a")] == [
        b"ab",
        b"ab\x00",
        b"ab\xff",
        b"ab\xff\xff",
    ]
    assert [k for k, _ in filled.iterate(b"ab", start=b"ab\x01", reverse=True)] == [
        b"ab\x00",
        b"ab",
    ]


def test_seeks(filled: Database) -> None:
    assert filled.seek_ceil(b"ab\x01", b"ab") == (b"ab\xff", b"AB\xff")
    assert filled.seek_ceil(b"ab\xff\xff\x00", b"ab") is None
    assert filled.seek_floor(b"ab\x01", b"ab") == (b"ab\x00", b"AB\x00")
    assert filled.seek_floor(b"aa", b"ab") is None


def test_batch_is_atomic_and_ordered(db: Database) -> None:
    batch = db.batch()
    batch.put(b"k", b"1")
    batch.delete(b"k")
    batch.put(b"j", b"2")
    assert len(batch) == 3
    db.write(batch)
    assert db.get(b"k") is None and db.get(b"j") == b"2"
    assert db.get_many([b"j", b"k"]) == [b"2", None]
    assert db.get_many([]) == []


def test_close_is_idempotent_and_reads_fail_after(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "db"
    with Database(path) as db:
        db.write(db.batch())
    assert db.closed
    db.close()
    with pytest.raises(Exception):  # noqa: B017 - rocksdict's own "closed" error
        db.get(b"x")
    with pytest.raises(Exception) as info:
        db.write(db.batch())
    assert ErrDatabase.matches(info.value)


def test_writes_are_synced(db: Database) -> None:
    """Durability across power loss rests on a synced WAL for every batch."""
    assert db._sync.sync is True
