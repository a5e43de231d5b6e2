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

from finchain.codec import decode_trusted, encode
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
from finchain.modules.compliance.types import (
    Aggregate,
    Bucket,
    HeldTx,
    Params,
    Profile,
    RuleSet,
)


class AggregateValue:
    """An aggregate as one flat CBOR list of ints: ``[day, day_total, day_count, year,
    year_total, year_count, then index, total, count per bucket]``. Read and written on
    every movement, so it skips the record machinery (a third of the cost, measured);
    decoded values are memoised by their bytes (the ante decorator and the post handler
    read the same entry)."""

    def __init__(self, *, cache: int = 8192) -> None:
        self._cache = cache
        self._memo: dict[bytes, Aggregate] = {}

    def encode(self, value: Aggregate) -> bytes:
        flat = [
            value.day,
            value.day_total,
            value.day_count,
            value.year,
            value.year_total,
            value.year_count,
        ]
        for bucket in value.buckets:
            flat += (bucket.index, bucket.total, bucket.count)
        return encode(flat)

    def decode(self, raw: bytes) -> Aggregate:
        found = self._memo.get(raw)
        if found is None:
            found = self._decode(raw)
            if len(self._memo) >= self._cache:
                self._memo.clear()
            self._memo[raw] = found
        return found

    @staticmethod
    def _decode(raw: bytes) -> Aggregate:
        flat = decode_trusted(raw)
        buckets = tuple(Bucket(*flat[i : i + 3]) for i in range(6, len(flat), 3))
        day, day_total, day_count, year, year_total, year_count = flat[:6]
        return Aggregate(day, day_total, day_count, year, year_total, year_count, buckets)


STORE = StoreKey("compliance", b"compliance/")

RULESETS: Map[int, RuleSet] = Map(STORE, b"set/", U64, RecordValue(RuleSet.from_obj, cache=64))
NEXT_VERSION = Sequence(STORE, b"next_version", start=1)
ACTIVE: Item[int] = Item(STORE, b"active", U64Value())
SCHEDULE: Map[tuple[int, int], bytes] = Map(STORE, b"schedule/", Pair(U64, U64), BytesValue())
PARAMS: Item[Params] = Item(STORE, b"params", RecordValue(Params.from_obj))
REGULATED: Map[str, bytes] = Map(STORE, b"regulated/", STR, BytesValue())
PROFILES: Map[str, Profile] = Map(STORE, b"profile/", STR, RecordValue(Profile.from_obj))
AGGREGATES: Map[tuple[str, tuple[str, str]], Aggregate] = Map(
    STORE, b"agg/", Pair(STR, Pair(STR, STR)), AggregateValue()
)
HELD_TXS: IndexedMap[int, HeldTx] = IndexedMap(
    STORE,
    b"held/",
    U64,
    RecordValue(HeldTx.from_obj),
    {"by_status": Index(b"held_status/", STR, lambda _id, h: h.status)},
)
HELD_DEADLINES: Map[tuple[int, int], bytes] = Map(STORE, b"held_due/", Pair(U64, U64), BytesValue())
NEXT_HELD = Sequence(STORE, b"next_held", start=1)
