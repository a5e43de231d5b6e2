"""The receivables module's state: the only place its keys are spelled.

- ``INVOICES``: each invoice by id, with four indexes kept in step by the map:
  ``document`` (unique, ``(hash_alg, hash)``: the double-financing guard, never
  released), ``reference`` (unique, ``(supplier, reference)``), ``holder`` and
  ``buyer`` (listings).
- ``DUE``: ``(maturity_ns, id)`` of every confirmed, unpaid invoice not yet
  found overdue: what ``end_block`` collects, read from the front up to the
  block time, so its work is proportional to what falls due.
- ``NEXT_ID``: the id the next invoice gets (ids start at 1, never reused).
"""

from __future__ import annotations

from finchain.core.collections import (
    STR,
    U64,
    BytesValue,
    FixedBytes,
    Index,
    IndexedMap,
    Map,
    Pair,
    RecordValue,
    Sequence,
    StoreKey,
)
from finchain.modules.receivables.types import Invoice

STORE = StoreKey("receivables", b"receivables/")

INVOICES: IndexedMap[int, Invoice] = IndexedMap(
    STORE,
    b"inv/",
    U64,
    RecordValue(Invoice.from_obj),
    {
        "document": Index(
            b"doc/", Pair(STR, FixedBytes(32)), lambda _id, inv: inv.doc_key, unique=True
        ),
        "reference": Index(
            b"ref/", Pair(STR, STR), lambda _id, inv: (inv.supplier, inv.reference), unique=True
        ),
        "holder": Index(b"holder/", STR, lambda _id, inv: inv.holder),
        "buyer": Index(b"buyer/", STR, lambda _id, inv: inv.buyer),
    },
)
DUE: Map[tuple[int, int], bytes] = Map(STORE, b"due/", Pair(U64, U64), BytesValue())
NEXT_ID = Sequence(STORE, b"next_id", start=1)
