"""One RocksDB (through rocksdict) shared by every subsystem of a node.

State, block store and application metadata keep their data in the same
database under distinct key prefixes (see :mod:`finchain.store.keys`), so a
block commit is a single atomic, durable :class:`Batch`::

    db = Database(home / "data")
    batch = db.batch()
    batch.put(b"k", b"v")
    db.write(batch)          # durable once it returns: survives SIGKILL and power loss
    assert db.get(b"k") == b"v"
    db.close()

Only one process (and one :class:`Database` object) may hold a path at a
time: RocksDB's lock file enforces it and a second open fails with
:data:`~finchain.store.errors.ErrDatabase`.

The database refuses to lie. Its write-ahead log is replayed in RocksDB's
``tolerate_corrupted_tail_records`` mode: only an incomplete record at the very
end of a log (a write that never returned, so no caller saw it succeed) is
dropped; damage anywhere else refuses the open, instead of RocksDB's default of
silently recovering to the point before the damage, which would roll back
blocks that clients saw committed. Checksums are verified on every read, and
every scan checks its iterator's status when it ends, so a damaged data block
is an :data:`~finchain.store.errors.ErrCorrupt` naming the file, never an
early end of a listing or a value that reads as absent. A directory holding
files but no ``CURRENT`` is damage too, never an empty database to start over.

``faults`` counts the damage reported since the open: the application compares
it around a block, so damage seen by any read of the block fails the block even
if some code caught the error.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from rocksdict import (
    BlockBasedOptions,
    Cache,
    DBCompressionType,
    DBRecoveryMode,
    Options,
    Rdict,
    ReadOptions,
    WriteBatch,
    WriteOptions,
)

from finchain.errors import FinchainError
from finchain.store.errors import ErrCorrupt, ErrDatabase

__all__ = ["Batch", "Database", "prefix_end"]

DEFAULT_BLOCK_CACHE = 128 << 20
#: Where an operator reads what to do about a damaged database.
RECOVERY_HINT = (
    "stop the node, run `finchain db check --home HOME` for a full report, then restore "
    "the home from a backup or re-sync it from peers (docs/OPERATIONS.md, 'Storage damage')"
)
_LOG_TAIL_BYTES = 64 << 10
_LOG_FILE_LINE = re.compile(r"(\S+\.(?:log|sst)): dropping .*?(Corruption: .*)$")


def prefix_end(prefix: bytes) -> bytes | None:
    """The smallest key greater than every key starting with ``prefix`` (None: no bound)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes((stripped[-1] + 1,))


class Batch:
    """Writes to apply atomically with :meth:`Database.write`; later writes to a key win.

    ``put`` and ``delete`` are the underlying RocksDB batch's own methods (no
    Python wrapper on the hot path of a block commit).
    """

    __slots__ = ("_wb", "delete", "put")

    put: Callable[[bytes, bytes], None]
    delete: Callable[[bytes], None]

    def __init__(self) -> None:
        self._wb = WriteBatch(raw_mode=True)
        self.put = self._wb.put
        self.delete = self._wb.delete

    def __len__(self) -> int:
        return int(self._wb.len())

    @property
    def size_in_bytes(self) -> int:
        return int(self._wb.size_in_bytes())


class Database:
    """A RocksDB opened read-write for this process.

    Parameters:
        path: directory of the database; created if missing.
        block_cache_bytes: RocksDB block cache (keyword-only).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, block_cache_bytes: int = DEFAULT_BLOCK_CACHE
    ) -> None:
        self.path = os.fspath(path)
        self.faults = 0
        self.last_fault: FinchainError | None = None
        opts = Options(raw_mode=True)
        opts.create_if_missing(_is_new(self.path))
        opts.set_wal_recovery_mode(DBRecoveryMode.tolerate_corrupted_tail_records())
        opts.set_paranoid_checks(True)
        opts.set_compression_type(DBCompressionType.lz4())
        opts.set_max_background_jobs(2)
        opts.set_keep_log_file_num(4)
        table = BlockBasedOptions()
        table.set_bloom_filter(10, False)
        table.set_block_cache(Cache(block_cache_bytes))
        table.set_cache_index_and_filter_blocks(True)
        table.set_pin_l0_filter_and_index_blocks_in_cache(True)
        opts.set_block_based_table_factory(table)
        try:
            self._db = Rdict(self.path, opts)
        except Exception as exc:  # rocksdict raises bare Exception for every RocksDB status
            raise _open_error(self.path, exc) from None
        reads = ReadOptions()
        reads.set_verify_checksums(True)
        self._db.set_read_options(reads)
        self._sync = WriteOptions()
        self._sync.sync = True
        self._sync.memtable_insert_hint_per_batch = True
        self._closed = False

    def _fault(self, exc: Exception, action: str) -> FinchainError:
        """The stable error for a RocksDB failure while ``action``; counted in ``faults``."""
        self.faults += 1
        text = str(exc).strip()
        if "Corruption" in text:
            fault = ErrCorrupt(
                f"the database at {self.path} is damaged ({action}): {text}; {RECOVERY_HINT}",
                path=self.path,
            )
        else:
            fault = ErrDatabase(
                f"the database at {self.path} failed ({action}): {text}; check the disk "
                f"and the node's permissions, then {RECOVERY_HINT}",
                path=self.path,
            )
        self.last_fault = fault
        return fault

    # -- reads -----------------------------------------------------------

    def get(self, key: bytes) -> bytes | None:
        """The value stored under ``key`` (committed writes only), or None."""
        try:
            value: bytes | None = self._db.get(key)
        except Exception as exc:
            raise self._fault(exc, "reading a key") from None
        return value

    def get_many(self, keys: list[bytes]) -> list[bytes | None]:
        """Values of several keys in one RocksDB multi-get, in the order asked."""
        if not keys:
            return []
        try:
            values: list[bytes | None] = self._db.get(list[Any](keys)) or []
        except Exception as exc:
            raise self._fault(exc, "reading keys") from None
        return values

    def iterate(
        self, prefix: bytes, *, start: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """Entries whose key starts with ``prefix``, in byte order (descending if ``reverse``).

        ``start`` (keyword) resumes a listing: forward from the first key >= start,
        or in reverse from the last key <= start.
        """
        end = prefix_end(prefix)
        opts = _read_options(end)
        it = self._db.iter(opts)
        step = it.prev if reverse else it.next
        try:
            if not reverse:
                it.seek(prefix if start is None or start < prefix else start)
            elif start is not None:
                it.seek_for_prev(start)
            elif end is not None:
                it.seek_for_prev(end)
            else:
                it.seek_to_last()
            while it.valid():
                key: bytes = it.key()
                if not key.startswith(prefix):
                    if reverse and key >= prefix:  # seek_for_prev(end) may land on `end` itself
                        step()
                        continue
                    return
                value: bytes = it.value()
                yield key, value
                step()
            it.status()
        except Exception as exc:
            fault = self._fault(exc, f"scanning keys under {prefix[:16]!r}")
        else:
            return
        del it, step  # an iterator left alive in a traceback keeps the database locked
        raise fault

    def seek_ceil(self, key: bytes, prefix: bytes) -> tuple[bytes, bytes] | None:
        """The first entry with a key >= ``key`` that still starts with ``prefix``."""
        return self._seek(key, prefix, floor=False)

    def seek_floor(self, key: bytes, prefix: bytes) -> tuple[bytes, bytes] | None:
        """The last entry with a key <= ``key`` that still starts with ``prefix``."""
        return self._seek(key, prefix, floor=True)

    def _seek(self, key: bytes, prefix: bytes, *, floor: bool) -> tuple[bytes, bytes] | None:
        # RocksDB reads the upper bound through a pointer for the iterator's whole life: the
        # options (and the bytes they hold) must outlive it, so a local holds them (a
        # temporary was freed at once, and a seek then read past its bound at random).
        opts = _read_options(None if floor else prefix_end(prefix))
        it = self._db.iter(opts)
        try:
            (it.seek_for_prev if floor else it.seek)(key)
            if it.valid():
                found: bytes = it.key()
                if found.startswith(prefix):
                    return found, it.value()
            it.status()
        except Exception as exc:
            fault = self._fault(exc, "seeking a key")
        else:
            return None
        del it
        raise fault

    # -- writes ----------------------------------------------------------

    def batch(self) -> Batch:
        return Batch()

    def write(self, batch: Batch) -> None:
        """Apply ``batch`` atomically; the WAL is synced before this returns."""
        try:
            self._db.write(batch._wb, self._sync)
        except Exception as exc:
            raise self._fault(exc, "writing a batch") from None

    # -- lifecycle -------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def property_int(self, name: str) -> int | None:
        """A RocksDB integer property, e.g. ``rocksdb.estimate-num-keys``."""
        value: int | None = self._db.property_int_value(name)
        return value

    def live_files(self) -> list[dict[str, Any]]:
        """RocksDB's table files: ``name``, ``level``, ``start_key``, ``end_key``, ``size``…"""
        files: list[dict[str, Any]] = self._db.live_files()
        return files

    def compact(self) -> None:
        """Compact the whole key space (drops deleted entries from disk)."""
        self._db.compact_range(None, None)

    def close(self) -> None:
        """Flush and release the database (idempotent)."""
        if not self._closed:
            self._closed = True
            self._db.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _read_options(upper_bound: bytes | None) -> ReadOptions:
    opts = ReadOptions()
    opts.set_verify_checksums(True)
    if upper_bound is not None:
        opts.set_iterate_upper_bound(upper_bound)
    return opts


def _is_new(path: str) -> bool:
    """True when ``path`` is missing or empty: only then may RocksDB create a database.

    A directory that holds files but lost ``CURRENT`` is a damaged database; letting
    RocksDB create a fresh one there would start the chain over from genesis.
    """
    try:
        return not any(os.scandir(path))
    except FileNotFoundError:
        return True


def _open_error(path: str, exc: Exception) -> FinchainError:
    """Why the database at ``path`` did not open, naming the damaged file when RocksDB does."""
    text = str(exc).strip()
    if "lock" in text.lower() and "Corruption" not in text:
        return ErrDatabase(
            f"cannot open the database at {path}: another process holds its lock "
            f"(is another node process using this home directory?): {text}",
            path=path,
        )
    if "Corruption" in text or "CURRENT" in text:
        named = _damaged_files_in_log(path, suspects=path not in text)
        where = f" (RocksDB's LOG: {'; '.join(named)})" if named else ""
        return ErrCorrupt(
            f"the database at {path} is damaged and was not opened: {text}{where}; {RECOVERY_HINT}",
            path=path,
            files=[line.split(":", 1)[0] for line in named],
        )
    return ErrDatabase(f"cannot open the database at {path}: {text}", path=path)


def _damaged_files_in_log(path: str, *, suspects: bool) -> list[str]:
    """The files RocksDB's own LOG blamed during the failed open (write-ahead log damage).

    RocksDB's error for a damaged log record says only "checksum mismatch"; the
    file and the bytes it would have dropped are in the LOG it writes beside the
    data. Without such a line, and when the error itself names no file
    (``suspects``), the write-ahead logs present are named as the suspects.
    """
    found: list[str] = []
    try:
        with open(os.path.join(path, "LOG"), "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - _LOG_TAIL_BYTES))
            lines = log.read().decode("utf-8", "replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        match = _LOG_FILE_LINE.search(line)
        if match and "Corruption" in line:
            entry = f"{match.group(1)}: {match.group(2)}"
            if entry not in found:
                found.append(entry)
    if not found and suspects:
        with contextlib.suppress(OSError):
            logs = sorted(e.name for e in os.scandir(path) if e.name.endswith(".log"))
            found = [f"{os.path.join(path, name)}: a write-ahead log present" for name in logs]
    return found
