"""The escrow module's state: the only place its keys are spelled.

- ``ESCROWS``: every escrow by id (open and closed: the history stays
  queryable), with indexes ``by_payer`` and ``by_payee`` listing an account's
  escrows in id order.
- ``DUE_BY_HEIGHT`` / ``DUE_BY_TIME``: the open escrows' expiries as
  ``(deadline, id)``, in deadline order. ``end_block`` reads them from the start
  and stops at the first deadline still ahead, so its work is the number of
  escrows due (plus one read), never the number of escrows. An escrow leaves
  both queues when it closes, however it closes.
- ``LOCKED``: per ``(payer, asset)``, the sum of the open escrows' amounts: the
  part of the bank's frozen amount that escrow holds (absent: 0).
- ``NEXT_ID``: the next escrow id (ids start at 1 and are never reused).
"""

from __future__ import annotations

from finchain.core.collections import (
    STR,
    U64,
    AmountValue,
    BytesValue,
    Index,
    IndexedMap,
    Map,
    Pair,
    RecordValue,
    Sequence,
    StoreKey,
)
from finchain.modules.escrow.types import Escrow

STORE = StoreKey("escrow", b"escrow/")

ESCROWS: IndexedMap[int, Escrow] = IndexedMap(
    STORE,
    b"e/",
    U64,
    RecordValue(Escrow.from_obj),
    {
        "by_payer": Index(b"payer/", STR, lambda _id, escrow: escrow.payer),
        "by_payee": Index(b"payee/", STR, lambda _id, escrow: escrow.payee),
    },
)
DUE_BY_HEIGHT: Map[tuple[int, int], bytes] = Map(STORE, b"due_h/", Pair(U64, U64), BytesValue())
DUE_BY_TIME: Map[tuple[int, int], bytes] = Map(STORE, b"due_t/", Pair(U64, U64), BytesValue())
LOCKED: Map[tuple[str, str], int] = Map(STORE, b"locked/", Pair(STR, STR), AmountValue())
NEXT_ID = Sequence(STORE, b"next_id", start=1)
