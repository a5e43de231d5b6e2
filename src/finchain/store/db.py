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
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from rocksdict import (
    BlockBasedOptions,
    Cache,
    DBCompressionType,
    Options,
    Rdict,
    ReadOptions,
    WriteBatch,
    WriteOptions,
)

from finchain.store.errors import ErrDatabase

__all__ = ["Batch", "Database", "prefix_end"]

DEFAULT_BLOCK_CACHE = 128 << 20


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
        opts = Options(raw_mode=True)
        opts.create_if_missing(True)
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
        except Exception as exc:  # rocksdict raises bare Exception for I/O and lock errors
            raise ErrDatabase(
                f"cannot open the database at {self.path}: {exc} "
                "(is another node process using this home directory?)",
                path=self.path,
            ) from exc
        self._sync = WriteOptions()
        self._sync.sync = True
        self._sync.memtable_insert_hint_per_batch = True
        self._closed = False

    # -- reads -----------------------------------------------------------

    def get(self, key: bytes) -> bytes | None:
        """The value stored under ``key`` (committed writes only), or None."""
        value: bytes | None = self._db.get(key)
        return value

    def get_many(self, keys: list[bytes]) -> list[bytes | None]:
        """Values of several keys in one RocksDB multi-get, in the order asked."""
        if not keys:
            return []
        values: list[bytes | None] = self._db.get(list[Any](keys)) or []
        return values

    def iterate(
        self, prefix: bytes, *, start: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """Entries whose key starts with ``prefix``, in byte order (descending if ``reverse``).

        ``start`` (keyword) resumes a listing: forward from the first key >= start,
        or in reverse from the last key <= start.
        """
        end = prefix_end(prefix)
        opts = ReadOptions()
        if end is not None:
            opts.set_iterate_upper_bound(end)
        it = self._db.iter(opts)
        if not reverse:
            it.seek(prefix if start is None or start < prefix else start)
        elif start is not None:
            it.seek_for_prev(start)
        elif end is not None:
            it.seek_for_prev(end)
        else:
            it.seek_to_last()
        step = it.prev if reverse else it.next
        while it.valid():
            key: bytes = it.key()
            if not key.startswith(prefix):
                if reverse and key >= prefix:  # seek_for_prev(end) may land on `end` itself
                    step()
                    continue
                return
            yield key, it.value()
            step()

    def seek_ceil(self, key: bytes, prefix: bytes) -> tuple[bytes, bytes] | None:
        """The first entry with a key >= ``key`` that still starts with ``prefix``."""
        opts = ReadOptions()
        end = prefix_end(prefix)
        if end is not None:
            opts.set_iterate_upper_bound(end)
        it = self._db.iter(opts)
        it.seek(key)
        if it.valid():
            found: bytes = it.key()
            if found.startswith(prefix):
                return found, it.value()
        return None

    def seek_floor(self, key: bytes, prefix: bytes) -> tuple[bytes, bytes] | None:
        """The last entry with a key <= ``key`` that still starts with ``prefix``."""
        it = self._db.iter(ReadOptions())
        it.seek_for_prev(key)
        if it.valid():
            found: bytes = it.key()
            if found.startswith(prefix):
                return found, it.value()
        return None

    # -- writes ----------------------------------------------------------

    def batch(self) -> Batch:
        return Batch()

    def write(self, batch: Batch) -> None:
        """Apply ``batch`` atomically; the WAL is synced before this returns."""
        try:
            self._db.write(batch._wb, self._sync)
        except Exception as exc:
            raise ErrDatabase(f"write to {self.path} failed: {exc}", path=self.path) from exc

    # -- lifecycle -------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def property_int(self, name: str) -> int | None:
        """A RocksDB integer property, e.g. ``rocksdb.estimate-num-keys``."""
        value: int | None = self._db.property_int_value(name)
        return value

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
