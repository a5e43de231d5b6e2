"""The aml module's state: the only place its keys are spelled.

- ``LISTS``: every sanctions list version by number (drafts, sealed, discarded),
  never deleted.
- ``ENTRIES``: ``(version, entry) -> b""``, one key per entry per version, so
  "is X on version v" is one point read whatever the list's size.
- ``ACTIVE``: the version of the active list (absent: none yet).
- ``DRAFT_VERSION``: the version of the draft being built (absent: none); at most one.
- ``NEXT_VERSION``: the number the next draft gets (versions start at 1, never
  reused, so a discarded draft leaves a gap).
- ``TRAVEL``: travel-rule records by (envelope hash, recording account), with
  indexes by the originator and the beneficiary institution (what each institution
  reads). Keyed by the account too, so a hash copied from the mempool by another
  account is that account's own record and cannot block the honest one.
"""

from __future__ import annotations

from finchain.core.collections import (
    STR,
    U64,
    BytesValue,
    FixedBytes,
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
from finchain.modules.aml.types import SanctionsList, TravelRecord

STORE = StoreKey("aml", b"aml/")

LISTS: Map[int, SanctionsList] = Map(STORE, b"list/", U64, RecordValue(SanctionsList.from_obj))
ENTRIES: Map[tuple[int, str], bytes] = Map(STORE, b"entry/", Pair(U64, STR), BytesValue())
ACTIVE: Item[int] = Item(STORE, b"active", U64Value())
DRAFT_VERSION: Item[int] = Item(STORE, b"draft", U64Value())
NEXT_VERSION = Sequence(STORE, b"next_version", start=1)
TRAVEL: IndexedMap[tuple[bytes, str], TravelRecord] = IndexedMap(
    STORE,
    b"travel/",
    Pair(FixedBytes(32), STR),
    RecordValue(TravelRecord.from_obj),
    {
        "by_originator": Index(b"t_orig/", STR, lambda _key, record: record.originator_institution),
        "by_beneficiary": Index(
            b"t_bene/", STR, lambda _key, record: record.beneficiary_institution
        ),
    },
)
