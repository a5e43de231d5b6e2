"""The compliance module's state: the only place its keys are spelled.

- ``RULESETS``: every published rule set by version (never deleted); ``NEXT_VERSION``.
- ``ACTIVE``: the version of the active set (absent: none, version 0).
- ``SCHEDULE``: ``(activation height, version)`` of sets governance approved;
  ``begin_block`` at that height makes the set active.
- ``PARAMS``: zone offset and window (absent: the defaults).
- ``REGULATED``: assets governance marked as regulated (present: regulated).
- ``PROFILES``: jurisdiction and natural/legal person per account.
- ``AGGREGATES``: per ``(direction, account, asset)``, direction ``o`` (outgoing) or
  ``i`` (incoming): day, year and window sums of executed movements.
- ``HELD_TXS`` (index ``by_status``) and ``HELD_DEADLINES`` ``(deadline height, id)``;
  ``NEXT_HELD``.
"""

from __future__ import annotations

import struct

from finchain.core.collections import (
    STR,
    U64,
    BytesValue,
    Index,
    IndexedMap,
    Item,
    Map,
    Pair,
    RecordValue,
    Sequence,
    StoreKey,
    U64Value,
)
from finchain.modules.compliance.types import HeldTx, Params, Profile, RuleSet


class PackedInts:
    """A tuple of signed 64-bit ints, packed little-endian (``struct`` ``<q`` each).

    The aggregates are read and written on every movement: packing them is several
    times cheaper than CBOR and a record (measured), and every value fits (totals and
    counts saturate at 2^63 - 1; days, years and bucket indexes are small).
    """

    def encode(self, value: tuple[int, ...]) -> bytes:
        return struct.pack(f"<{len(value)}q", *value)

    def decode(self, raw: bytes) -> tuple[int, ...]:
        return struct.unpack(f"<{len(raw) // 8}q", raw)


STORE = StoreKey("compliance", b"compliance/")

RULESETS: Map[int, RuleSet] = Map(STORE, b"set/", U64, RecordValue(RuleSet.from_obj, cache=64))
NEXT_VERSION = Sequence(STORE, b"next_version", start=1)
ACTIVE: Item[int] = Item(STORE, b"active", U64Value())
SCHEDULE: Map[tuple[int, int], bytes] = Map(STORE, b"schedule/", Pair(U64, U64), BytesValue())
PARAMS: Item[Params] = Item(STORE, b"params", RecordValue(Params.from_obj))
REGULATED: Map[str, bytes] = Map(STORE, b"regulated/", STR, BytesValue())
PROFILES: Map[str, Profile] = Map(STORE, b"profile/", STR, RecordValue(Profile.from_obj))
AGGREGATES: Map[tuple[str, tuple[str, str]], tuple[int, ...]] = Map(
    STORE, b"agg/", Pair(STR, Pair(STR, STR)), PackedInts()
)
"""Flat: ``(day, day_total, day_count, year, year_total, year_count)`` then ``(index,
total, count)`` per window bucket (``types.Aggregate.flat`` / ``from_flat``)."""
HELD_TXS: IndexedMap[int, HeldTx] = IndexedMap(
    STORE,
    b"held/",
    U64,
    RecordValue(HeldTx.from_obj),
    {"by_status": Index(b"held_status/", STR, lambda _id, h: h.status)},
)
HELD_DEADLINES: Map[tuple[int, int], bytes] = Map(STORE, b"held_due/", Pair(U64, U64), BytesValue())
NEXT_HELD = Sequence(STORE, b"next_held", start=1)
