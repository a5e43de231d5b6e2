"""The evidence module's state: the only place its keys are spelled.

- ``RECORDS``: each record by ``(hash_alg, hash)``, what a record and a
  co-signature look it up by (one point read). Its unique index ``position``
  files it under ``seq``, its position among all records in the order written.
  Block times never go backwards, so that order is sorted by time: a time range
  is found by binary search over positions, then read position by position.
- ``COUNT``: how many records there are (the next ``seq``).
- ``BY_SUBMITTER`` / ``SUBMITTER_COUNT``: each submitter's records in the same
  order, as ``(account, k) -> seq`` and a count per account. A record's place in
  its submitter's list is not part of the record, so this is a second map, kept
  with the records by one keeper helper (``EvidenceKeeper._write_new``) and
  rebuilt from the records' order at genesis.

Every listing answers a page with point reads only (no scan from the start of a
prefix), wherever the page starts and at any height. Records are never deleted:
a proof of existence that could vanish would prove nothing.
"""

from __future__ import annotations

from finchain.core.collections import (
    STR,
    U64,
    FixedBytes,
    Index,
    IndexedMap,
    Map,
    Pair,
    RecordValue,
    Sequence,
    StoreKey,
    U64Value,
)
from finchain.modules.evidence.types import HASH_BYTES, EvidenceRecord

STORE = StoreKey("evidence", b"evidence/")

RECORDS: IndexedMap[tuple[str, bytes], EvidenceRecord] = IndexedMap(
    STORE,
    b"rec/",
    Pair(STR, FixedBytes(HASH_BYTES)),
    RecordValue(EvidenceRecord.from_obj),
    {"position": Index(b"seq/", U64, lambda _key, record: record.seq, unique=True)},
)
COUNT = Sequence(STORE, b"count", start=0)
BY_SUBMITTER: Map[tuple[str, int], int] = Map(STORE, b"sub/", Pair(STR, U64), U64Value())
SUBMITTER_COUNT: Map[str, int] = Map(STORE, b"sub_count/", STR, U64Value())
