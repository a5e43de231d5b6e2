"""The database refuses to lie: real files, real damage, every read path.

- a torn tail of the write-ahead log (a write that never returned) is dropped;
- a flipped byte anywhere else in the log refuses the open, naming the log;
- a damaged data block fails every get, scan and seek that reads it, with the
  file named, and never ends a scan early or reads as absent;
- a directory that lost CURRENT is damage, never a fresh empty database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from finchain.errors import FinchainError
from finchain.store import Database
from finchain.store.check import scan_keys
from finchain.store.errors import ErrCorrupt, ErrDatabase

WRITER = """
import os, sys
from finchain.errors import FinchainError
from finchain.store import Database
db = Database(sys.argv[1])
for i in range(int(sys.argv[2])):
    batch = db.batch()
    for j in range(20):
        batch.put(b"k%06d-%02d" % (i, j), bytes(100))
    db.write(batch)
os._exit(0)  # like SIGKILL: no flush, no close
"""


def write_then_die(path: Path, batches: int) -> Path:
    subprocess.run([sys.executable, "-c", WRITER, str(path), str(batches)], check=True)
    (wal,) = [p for p in path.glob("*.log") if p.stat().st_size > 0]
    return wal


def count(db: Database) -> int:
    return sum(1 for _ in db.iterate(b""))


def test_torn_tail_of_the_log_drops_only_the_torn_write(tmp_path: Path) -> None:
    wal = write_then_die(tmp_path / "db", 50)
    with wal.open("r+b") as f:
        f.truncate(wal.stat().st_size - 50)  # the last record was being written
    with Database(tmp_path / "db") as db:
        assert count(db) == 49 * 20


def test_flipped_byte_in_the_log_refuses_the_open(tmp_path: Path) -> None:
    wal = write_then_die(tmp_path / "db", 50)
    data = bytearray(wal.read_bytes())
    data[len(data) // 2] ^= 1
    wal.write_bytes(bytes(data))
    with pytest.raises(FinchainError) as info:
        Database(tmp_path / "db")
    assert ErrCorrupt.matches(info.value)
    assert wal.name in info.value.message and "another node process" not in info.value.message


def test_lost_current_is_damage_not_a_new_database(tmp_path: Path) -> None:
    with Database(tmp_path / "db") as db:
        batch = db.batch()
        batch.put(b"k", b"v")
        db.write(batch)
    (tmp_path / "db" / "CURRENT").unlink()
    with pytest.raises(FinchainError) as info:
        Database(tmp_path / "db")
    assert ErrCorrupt.matches(info.value), info.value
    assert not (tmp_path / "db" / "CURRENT").exists()


def test_second_open_names_the_lock(tmp_path: Path) -> None:
    with Database(tmp_path / "db"), pytest.raises(FinchainError) as info:
        Database(tmp_path / "db")
    assert ErrDatabase.matches(info.value) and "another node process" in info.value.message


@pytest.fixture
def damaged(tmp_path: Path) -> tuple[Database, Path, list[bytes]]:
    """20,000 keys in one table file with one byte flipped a third of the way in."""
    path = tmp_path / "db"
    keys = [b"k%08d" % i for i in range(20_000)]
    with Database(path) as db:
        batch = db.batch()
        for key in keys:
            batch.put(key, os.urandom(64))
        db.write(batch)
        db.compact()
    (sst,) = path.glob("*.sst")
    data = bytearray(sst.read_bytes())
    data[len(data) // 3] ^= 1
    sst.write_bytes(bytes(data))
    db = Database(path)
    yield db, sst, keys
    db.close()


def test_get_of_a_damaged_block_fails_naming_the_file(damaged) -> None:
    db, sst, keys = damaged
    failures = 0
    for key in keys:
        try:
            assert db.get(key) is not None, f"{key!r} read as absent"
        except FinchainError as exc:
            assert ErrCorrupt.matches(exc) and sst.name in exc.message
            failures += 1
    assert failures > 0 and db.faults == failures
    with pytest.raises(FinchainError) as info:
        db.get_many(keys)
    assert ErrCorrupt.matches(info.value)


def test_scan_never_ends_early_at_a_damaged_block(damaged) -> None:
    db, sst, keys = damaged
    seen = 0
    with pytest.raises(FinchainError) as info:
        for _ in db.iterate(b"k"):
            seen += 1
    assert ErrCorrupt.matches(info.value) and sst.name in info.value.message
    assert 0 < seen < len(keys)
    with pytest.raises(FinchainError):
        for _ in db.iterate(b"k", reverse=True):
            pass


def test_seeks_into_a_damaged_block_fail(damaged) -> None:
    db, _, keys = damaged
    outcomes = set()
    for key in keys[::50]:
        for seek in (db.seek_ceil, db.seek_floor):
            try:
                found = seek(key, b"k")
                assert found is not None and found[0] == key, f"{seek.__name__} lost {key!r}"
                outcomes.add("found")
            except FinchainError as exc:
                assert ErrCorrupt.matches(exc)
                outcomes.add("refused")
    assert outcomes == {"found", "refused"}


def test_scan_keys_reports_the_file_and_reads_past_it(damaged) -> None:
    db, sst, keys = damaged
    entries, damage = scan_keys(db)
    assert [d.where for d in damage][:1] == [sst.name]
    assert entries < len(keys)
