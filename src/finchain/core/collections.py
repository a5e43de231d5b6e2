"""Typed collections over a module's own part of the state (the idea of Cosmos ``collections``).

A module declares its state once, in its ``keys.py``::

    STORE = StoreKey("bank", b"bank/")
    ASSETS = Map(STORE, b"asset/", STR, RecordValue(Asset))
    BALANCES = Map(STORE, b"bal/", Pair(STR, STR), HOLDING)
    NEXT_ID = Sequence(STORE, b"next")
    PARAMS = Item(STORE, b"params", RecordValue(Params))

and its keeper reads through any ``KVReader`` (a block's overlay, a query's
committed view) and writes through the handler's ``Context``::

    asset = ASSETS.get(reader, "CNY")
    BALANCES.set(ctx, ("FC…", "CNY"), (100, 0))
    for (account, symbol), holding in BALANCES.iterate(reader, prefix=("FC…",)):
        ...
    every_asset = ASSETS.values(reader)  # (keys(): the keys alone), in key order

Key encodings, iteration ranges, counters and secondary indexes are written
here once. Every key a collection touches starts with its store key's prefix,
and ``StoreKey``\\ s of one application never overlap (the composition root
checks), so a keeper cannot reach another module's keys.

Key encoding: unsigned integers are 8 bytes big-endian; a string is its UTF-8
bytes, followed by a 0x00 terminator when another part follows it (so one
string can never read as the prefix of another, and byte order is the order of
the parts); fixed-size bytes are themselves. Byte order of keys is therefore the
order of their parts, which is what ``iterate`` returns.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from finchain.codec import decode_trusted, encode
from finchain.core.context import Context
from finchain.core.kv import KVReader

K = TypeVar("K")
V = TypeVar("V")
K1 = TypeVar("K1")
K2 = TypeVar("K2")
IK = TypeVar("IK")

__all__ = [
    "BYTES",
    "STR",
    "U64",
    "AmountValue",
    "BytesKey",
    "BytesValue",
    "CborValue",
    "FixedBytes",
    "Index",
    "IndexedMap",
    "Item",
    "KeyCodec",
    "Map",
    "Pair",
    "RecordValue",
    "Sequence",
    "StoreKey",
    "StrValue",
    "U64Value",
    "ValueCodec",
    "check_disjoint",
]


@dataclass(frozen=True, slots=True)
class StoreKey:
    """A module's part of the state: every key it stores starts with ``prefix``."""

    name: str
    prefix: bytes

    def __post_init__(self) -> None:
        if not self.prefix:
            raise ValueError(f"store key {self.name!r} needs a non-empty prefix")


def check_disjoint(keys: list[StoreKey]) -> None:
    """ValueError unless no store key's prefix starts another's (two modules, one key)."""
    ordered = sorted(keys, key=lambda k: k.prefix)
    for first, second in itertools.pairwise(ordered):
        if second.prefix.startswith(first.prefix):
            raise ValueError(
                f"store keys {first.name!r} ({first.prefix!r}) and {second.name!r} "
                f"({second.prefix!r}) overlap: one module could read or write the other's state"
            )


# -- key codecs ---------------------------------------------------------------------------------


class KeyCodec(Protocol[K]):
    """How a key (or one part of a composite key) becomes bytes that sort like it."""

    def encode(self, key: K, *, last: bool) -> bytes:
        """The bytes of ``key``; ``last`` is False when another part follows."""
        ...

    def decode(self, raw: bytes, *, last: bool) -> tuple[K, int]:
        """The key at the start of ``raw`` and the bytes it took."""
        ...


class _U64:
    def encode(self, key: int, *, last: bool) -> bytes:
        return key.to_bytes(8, "big")

    def decode(self, raw: bytes, *, last: bool) -> tuple[int, int]:
        if len(raw) < 8 or (last and len(raw) != 8):
            raise ValueError("a u64 key part is 8 bytes")
        return int.from_bytes(raw[:8], "big"), 8


class _Str:
    def encode(self, key: str, *, last: bool) -> bytes:
        raw = key.encode()
        if last:
            return raw
        if b"\x00" in raw:
            raise ValueError(f"a string key part may not hold NUL: {key!r}")
        return raw + b"\x00"

    def decode(self, raw: bytes, *, last: bool) -> tuple[str, int]:
        if last:
            return raw.decode(), len(raw)
        end = raw.index(b"\x00")
        return raw[:end].decode(), end + 1


class BytesKey:
    """Variable-length bytes: only as the last part of a key."""

    def encode(self, key: bytes, *, last: bool) -> bytes:
        if not last:
            raise ValueError("variable-length bytes can only be a key's last part")
        return key

    def decode(self, raw: bytes, *, last: bool) -> tuple[bytes, int]:
        return raw, len(raw)


@dataclass(frozen=True, slots=True)
class FixedBytes:
    """Bytes of one size, in any part of a key."""

    size: int

    def encode(self, key: bytes, *, last: bool) -> bytes:
        if len(key) != self.size:
            raise ValueError(f"key part must be {self.size} bytes, got {len(key)}")
        return key

    def decode(self, raw: bytes, *, last: bool) -> tuple[bytes, int]:
        if len(raw) < self.size:
            raise ValueError(f"key part must be {self.size} bytes")
        return raw[: self.size], self.size


U64: KeyCodec[int] = _U64()
STR: KeyCodec[str] = _Str()
BYTES: KeyCodec[bytes] = BytesKey()


@dataclass(frozen=True, slots=True)
class Pair(Generic[K1, K2]):
    """A two-part key ``(first, second)``; iterate by ``first`` alone with ``prefix=(first,)``."""

    first: KeyCodec[K1]
    second: KeyCodec[K2]

    def encode(self, key: tuple[K1, K2], *, last: bool) -> bytes:
        return self.first.encode(key[0], last=False) + self.second.encode(key[1], last=last)

    def decode(self, raw: bytes, *, last: bool) -> tuple[tuple[K1, K2], int]:
        a, used = self.first.decode(raw, last=False)
        b, more = self.second.decode(raw[used:], last=last)
        return (a, b), used + more

    def encode_prefix(self, parts: tuple[Any, ...]) -> bytes:
        if len(parts) != 1:
            raise ValueError("a pair key is iterated by its first part only")
        return self.first.encode(parts[0], last=False)


# -- value codecs -------------------------------------------------------------------------------


class ValueCodec(Protocol[V]):
    def encode(self, value: V) -> bytes: ...

    def decode(self, raw: bytes) -> V: ...


class U64Value:
    def encode(self, value: int) -> bytes:
        return value.to_bytes(8, "big")

    def decode(self, raw: bytes) -> int:
        return int.from_bytes(raw, "big")


class AmountValue:
    """An amount up to 2^128 - 1 as 16 big-endian bytes."""

    def encode(self, value: int) -> bytes:
        return value.to_bytes(16, "big")

    def decode(self, raw: bytes) -> int:
        return int.from_bytes(raw, "big")


class BytesValue:
    def encode(self, value: bytes) -> bytes:
        return value

    def decode(self, raw: bytes) -> bytes:
        return raw


class StrValue:
    def encode(self, value: str) -> bytes:
        return value.encode()

    def decode(self, raw: bytes) -> str:
        return raw.decode()


class CborValue:
    """Any value DAG-CBOR encodes (dicts of str, ints, bytes, lists…)."""

    def encode(self, value: Any) -> bytes:
        return encode(value)

    def decode(self, raw: bytes) -> Any:
        return decode_trusted(raw)


class _Record(Protocol):
    def to_obj(self) -> Any: ...


R = TypeVar("R", bound=_Record)


class RecordValue(Generic[R]):
    """A record type with ``to_obj()`` and ``from_obj()``, stored as DAG-CBOR.

    Decoded records are memoised by their bytes (records are immutable, and the
    same account or asset is read by every block), up to ``cache`` entries.
    """

    def __init__(self, from_obj: Callable[[Any], R], *, cache: int = 4096) -> None:
        self._from_obj = from_obj
        self._cache = cache
        self._memo: dict[bytes, R] = {}

    def encode(self, value: R) -> bytes:
        return encode(value.to_obj())

    def decode(self, raw: bytes) -> R:
        found = self._memo.get(raw)
        if found is None:
            found = self._from_obj(decode_trusted(raw))
            if len(self._memo) >= self._cache:
                self._memo.clear()
            self._memo[raw] = found
        return found


# -- collections --------------------------------------------------------------------------------


class Item(Generic[V]):
    """One value under one key (parameters, a counter's companion, a singleton)."""

    def __init__(self, store: StoreKey, key: bytes, value: ValueCodec[V]) -> None:
        self.key = store.prefix + key
        self._value = value

    def get(self, reader: KVReader) -> V | None:
        raw = reader.get(self.key)
        return None if raw is None else self._value.decode(raw)

    def set(self, ctx: Context, value: V) -> None:
        ctx.store.set(self.key, self._value.encode(value))

    def remove(self, ctx: Context) -> None:
        ctx.store.delete(self.key)


class Sequence:
    """A counter handing out ``start``, ``start + 1``, …; the stored value is the next one."""

    def __init__(self, store: StoreKey, key: bytes, *, start: int = 1) -> None:
        self.key = store.prefix + key
        self._start = start

    def peek(self, reader: KVReader) -> int:
        """The value ``next`` would hand out."""
        raw = reader.get(self.key)
        return self._start if raw is None else int.from_bytes(raw, "big")

    def next(self, ctx: Context) -> int:
        value = self.peek(ctx.store)
        ctx.store.set(self.key, (value + 1).to_bytes(8, "big"))
        return value

    def set(self, ctx: Context, value: int) -> None:
        """Set the next value (genesis import, migrations)."""
        ctx.store.set(self.key, value.to_bytes(8, "big"))


class Map(Generic[K, V]):
    """Values by key, iterable in key order (optionally under a key prefix)."""

    def __init__(
        self, store: StoreKey, prefix: bytes, key: KeyCodec[K], value: ValueCodec[V]
    ) -> None:
        self.prefix = store.prefix + prefix
        self._key = key
        self._value = value

    def key_bytes(self, key: K) -> bytes:
        return self.prefix + self._key.encode(key, last=True)

    def get(self, reader: KVReader, key: K) -> V | None:
        raw = reader.get(self.prefix + self._key.encode(key, last=True))
        return None if raw is None else self._value.decode(raw)

    def has(self, reader: KVReader, key: K) -> bool:
        return reader.get(self.prefix + self._key.encode(key, last=True)) is not None

    def set(self, ctx: Context, key: K, value: V) -> None:
        ctx.store.set(self.prefix + self._key.encode(key, last=True), self._value.encode(value))

    def remove(self, ctx: Context, key: K) -> None:
        ctx.store.delete(self.prefix + self._key.encode(key, last=True))

    def iterate(self, reader: KVReader, *, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[K, V]]:
        """``(key, value)`` in key order; ``prefix`` fixes a composite key's first part."""
        start = self.prefix
        if prefix:
            encode_prefix = getattr(self._key, "encode_prefix", None)
            if encode_prefix is None:
                raise ValueError("only a composite key can be iterated under a prefix")
            start += encode_prefix(prefix)
        skip = len(self.prefix)
        decode_key = self._key.decode
        decode_value = self._value.decode
        for raw_key, raw in reader.iterate(start):
            key, _ = decode_key(raw_key[skip:], last=True)
            yield key, decode_value(raw)

    def keys(self, reader: KVReader, *, prefix: tuple[Any, ...] = ()) -> Iterator[K]:
        for key, _ in self.iterate(reader, prefix=prefix):
            yield key

    def values(self, reader: KVReader, *, prefix: tuple[Any, ...] = ()) -> Iterator[V]:
        for _, value in self.iterate(reader, prefix=prefix):
            yield value


class Unread:
    """The type of ``UNREAD``: no previous value was given (None means "nothing stored")."""


UNREAD = Unread()


@dataclass(frozen=True, slots=True)
class Index(Generic[IK, K, V]):
    """A secondary index of an ``IndexedMap``: ``index key -> primary keys``.

    ``of(primary, value)`` names the index key a record files under (None: not
    indexed). Stored as ``prefix ‖ index key ‖ primary key`` with an empty value,
    so it can be listed in order of index key, then primary key.

    ``unique``: at most one record per index key (Cosmos ``UniqueIndex``), stored
    as ``prefix ‖ index key -> primary key``, so ``IndexedMap.get_by`` finds it
    with one point read (no iteration: provable, and served at any height).
    Filing a second record under a taken index key raises ValueError: the keeper
    must refuse it first.
    """

    prefix: bytes
    key: KeyCodec[IK]
    of: Callable[[K, V], IK | None]
    unique: bool = False


class IndexedMap(Map[K, V]):
    """A Map whose secondary indexes are kept in step with it on every set and remove."""

    def __init__(
        self,
        store: StoreKey,
        prefix: bytes,
        key: KeyCodec[K],
        value: ValueCodec[V],
        indexes: dict[str, Index[Any, K, V]],
    ) -> None:
        super().__init__(store, prefix, key, value)
        self._indexes = {
            name: (store.prefix + index.prefix, index) for name, index in indexes.items()
        }

    def set(self, ctx: Context, key: K, value: V, *, previous: V | Unread | None = UNREAD) -> None:
        """Store ``value`` and move its index entries.

        ``previous`` is what the caller has just read under ``key`` (None: nothing),
        given to save reading and decoding it again on a hot path; when the
        indexes then file the record under the same keys, only the value is written.
        """
        old = self.get(ctx.store, key) if isinstance(previous, Unread) else previous
        for full, index in self._indexes.values():
            before = None if old is None else index.of(key, old)
            after = index.of(key, value)
            if before != after:
                if before is not None:
                    ctx.store.delete(self._entry(full, index, before, key))
                if after is not None:
                    self._file(ctx, full, index, after, key)
        super().set(ctx, key, value)

    def index_existing(self, ctx: Context, key: K, value: V) -> None:
        """Write the index entries of a record already stored (a migration adding an index)."""
        for full, index in self._indexes.values():
            found = index.of(key, value)
            if found is not None:
                self._file(ctx, full, index, found, key)

    def remove(self, ctx: Context, key: K, *, previous: V | Unread | None = UNREAD) -> None:
        """Delete the record and its index entries (``previous`` as for ``set``)."""
        old = self.get(ctx.store, key) if isinstance(previous, Unread) else previous
        if old is not None:
            for full, index in self._indexes.values():
                found = index.of(key, old)
                if found is not None:
                    ctx.store.delete(self._entry(full, index, found, key))
        super().remove(ctx, key)

    def _file(self, ctx: Context, full: bytes, index: Index[Any, K, V], found: Any, key: K) -> None:
        entry = self._entry(full, index, found, key)
        if index.unique:
            if ctx.store.get(entry) is not None:
                raise ValueError(f"unique index entry {entry!r} is taken")
            ctx.store.set(entry, self._key.encode(key, last=True))
        else:
            ctx.store.set(entry, b"")

    def by(self, name: str, reader: KVReader, index_key: Any) -> Iterator[K]:
        """Primary keys filed under ``index_key`` in the index ``name``, in key order."""
        full, index = self._indexes[name]
        if index.unique:
            found = self.get_by(name, reader, index_key)
            if found is not None:
                yield found
            return
        start = full + index.key.encode(index_key, last=False)
        skip = len(start)
        for raw_key, _ in reader.iterate(start):
            primary, _ = self._key.decode(raw_key[skip:], last=True)
            yield primary

    def get_by(self, name: str, reader: KVReader, index_key: Any) -> K | None:
        """The primary key filed under ``index_key`` in the unique index ``name`` (one read)."""
        full, index = self._indexes[name]
        if not index.unique:
            raise ValueError(f"index {name!r} is not unique: list it with by()")
        raw = reader.get(full + index.key.encode(index_key, last=True))
        return None if raw is None else self._key.decode(raw, last=True)[0]

    def _entry(self, full: bytes, index: Index[Any, K, V], index_key: Any, key: K) -> bytes:
        if index.unique:
            return full + index.key.encode(index_key, last=True)
        return full + index.key.encode(index_key, last=False) + self._key.encode(key, last=True)
