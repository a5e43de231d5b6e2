"""Typed collections: keys sort like their parts, indexes follow their map, prefixes stay apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finchain.core.collections import (
    STR,
    U64,
    AmountValue,
    CborValue,
    FixedBytes,
    Index,
    IndexedMap,
    Item,
    Map,
    Pair,
    RecordValue,
    Sequence,
    StoreKey,
    check_disjoint,
)
from finchain.core.context import Context, ExecMode
from finchain.core.gas import GasMeter, MeteredStore
from finchain.core.kv import Overlay
from finchain.core.params import ChainParams

STORE = StoreKey("test", b"test/")


class Empty:
    def get(self, key: bytes) -> bytes | None:
        return None

    def iterate(self, prefix: bytes) -> Any:
        return iter(())


def context() -> Context:
    overlay = Overlay(Empty())
    store = MeteredStore(overlay, GasMeter(10**12))
    return Context(store, 1, 0, "c", "intl", ChainParams(), ExecMode.FINALIZE)


def test_every_write_stays_under_the_store_prefix() -> None:
    ctx = context()
    Map(STORE, b"m/", STR, AmountValue()).set(ctx, "a", 5)
    Item(STORE, b"i", CborValue()).set(ctx, {"x": 1})
    Sequence(STORE, b"seq").next(ctx)
    writes = ctx.store._overlay.writes
    assert len(writes) == 3 and all(key.startswith(b"test/") for key in writes)


@given(
    st.lists(
        st.tuples(
            st.text(min_size=0, max_size=6).filter(lambda s: "\x00" not in s),
            st.integers(0, 2**64 - 1),
        ),
        unique=True,
        max_size=30,
    )
)
def test_pair_keys_iterate_in_the_order_of_their_parts(keys: list[tuple[str, int]]) -> None:
    ctx = context()
    table = Map(STORE, b"p/", Pair(STR, U64), CborValue())
    for i, key in enumerate(keys):
        table.set(ctx, key, i)
    found = [k for k, _ in table.iterate(ctx.store)]
    assert found == sorted(keys, key=lambda k: (k[0].encode(), k[1]))
    for first in {k[0] for k in keys}:
        under = [k for k, _ in table.iterate(ctx.store, prefix=(first,))]
        assert under == sorted((k for k in keys if k[0] == first), key=lambda k: k[1])
        assert list(table.keys(ctx.store, prefix=(first,))) == under
        assert list(table.values(ctx.store, prefix=(first,))) == [keys.index(k) for k in under]
    assert list(table.values(ctx.store)) == [keys.index(k) for k in found]


def test_a_string_part_cannot_hold_the_terminator() -> None:
    with pytest.raises(ValueError):
        Map(STORE, b"p/", Pair(STR, U64), CborValue()).set(context(), ("a\x00b", 1), 1)


def test_sequence_counts_from_its_start() -> None:
    ctx = context()
    seq = Sequence(STORE, b"n", start=7)
    assert seq.peek(ctx.store) == 7
    assert [seq.next(ctx), seq.next(ctx)] == [7, 8] and seq.peek(ctx.store) == 9


@dataclass(frozen=True)
class Thing:
    owner: str
    size: int

    def to_obj(self) -> dict[str, Any]:
        return {"owner": self.owner, "size": self.size}

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Thing:
        return cls(obj["owner"], obj["size"])


def things() -> IndexedMap[int, Thing]:
    return IndexedMap(
        STORE,
        b"t/",
        U64,
        RecordValue(Thing.from_obj),
        {"owner": Index(b"by_owner/", STR, lambda _id, t: t.owner or None)},
    )


def test_index_follows_every_set_and_remove() -> None:
    ctx = context()
    table = things()
    table.set(ctx, 1, Thing("alice", 1))
    table.set(ctx, 2, Thing("bob", 2))
    table.set(ctx, 3, Thing("alice", 3))
    assert list(table.by("owner", ctx.store, "alice")) == [1, 3]
    table.set(ctx, 1, Thing("bob", 1))  # moves from alice to bob
    assert list(table.by("owner", ctx.store, "alice")) == [3]
    assert list(table.by("owner", ctx.store, "bob")) == [1, 2]
    table.remove(ctx, 2)
    table.set(ctx, 3, Thing("", 3))  # no longer indexed
    assert list(table.by("owner", ctx.store, "bob")) == [1]
    assert list(table.by("owner", ctx.store, "alice")) == []
    assert table.get(ctx.store, 2) is None and table.get(ctx.store, 3) == Thing("", 3)


def test_a_given_previous_value_replaces_the_read_and_an_index_can_be_added_later() -> None:
    ctx = context()
    table = things()
    table.set(ctx, 1, Thing("alice", 1), previous=None)
    table.set(ctx, 1, Thing("bob", 1), previous=Thing("alice", 1))  # moves, told not read
    assert list(table.by("owner", ctx.store, "alice")) == []
    assert list(table.by("owner", ctx.store, "bob")) == [1]
    table.remove(ctx, 1, previous=Thing("bob", 1))
    assert list(table.by("owner", ctx.store, "bob")) == [] and table.get(ctx.store, 1) is None
    # records stored without their index (an older layout) are filed by index_existing
    unindexed = Map(STORE, b"t/", U64, RecordValue(Thing.from_obj))
    unindexed.set(ctx, 7, Thing("carol", 7))
    assert list(table.by("owner", ctx.store, "carol")) == []
    table.index_existing(ctx, 7, Thing("carol", 7))
    assert list(table.by("owner", ctx.store, "carol")) == [7]


def test_fixed_bytes_keys_refuse_other_sizes() -> None:
    table = Map(STORE, b"f/", FixedBytes(4), CborValue())
    with pytest.raises(ValueError):
        table.set(context(), b"abc", 1)


def test_overlapping_store_keys_are_refused() -> None:
    check_disjoint([StoreKey("a", b"bank/"), StoreKey("b", b"gov/")])
    with pytest.raises(ValueError, match="overlap"):
        check_disjoint([StoreKey("a", b"bank/"), StoreKey("b", b"bank/x/"), StoreKey("c", b"c/")])


def test_unique_index_is_one_point_read_and_follows_its_map() -> None:
    ctx = context()
    table: IndexedMap[int, Thing] = IndexedMap(
        STORE,
        b"u/",
        U64,
        RecordValue(Thing.from_obj),
        {"owner": Index(b"u_owner/", STR, lambda _id, t: t.owner or None, unique=True)},
    )
    table.set(ctx, 1, Thing("alice", 1))
    table.set(ctx, 2, Thing("bob", 2))
    assert table.get_by("owner", ctx.store, "alice") == 1
    assert list(table.by("owner", ctx.store, "bob")) == [2]
    with pytest.raises(ValueError, match="taken"):
        table.set(ctx, 3, Thing("alice", 3))
    table.set(ctx, 1, Thing("carol", 1))  # moves: alice is free again
    assert table.get_by("owner", ctx.store, "alice") is None
    table.set(ctx, 3, Thing("alice", 3))
    table.remove(ctx, 2)
    assert table.get_by("owner", ctx.store, "bob") is None
    assert [table.get_by("owner", ctx.store, n) for n in ("alice", "carol")] == [3, 1]
    with pytest.raises(ValueError, match="not unique"):
        things().get_by("owner", ctx.store, "alice")
