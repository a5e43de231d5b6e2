"""The interventions module's state: the only place its keys are spelled.

- ``OFFICERS``: the officer set and threshold governance last set (absent: none).
- ``INTERVENTIONS``: every intervention by id, never deleted, with indexes
  ``by_account`` (the affected account), ``by_recipient`` (the recipient of a
  forced transfer) and ``by_status``.
- ``DUE_BY_HEIGHT`` / ``DUE_BY_TIME``: the expiries of freezes and pauses in
  effect, as ``(deadline, id)``; ``LAPSE_BY_HEIGHT``: the approval deadlines of
  proposals, as ``(height, id)``. ``end_block`` reads each from the start and
  stops at the first deadline still ahead: its work is what is due.
- ``HELD``: per ``(account, asset)``, the sum of what amount freezes in effect
  hold (the part of the bank's frozen amount that interventions own).
- ``ACCOUNT_FROZEN_BY`` / ``ASSET_PAUSED_BY``: the freeze or pause in effect on an
  account or an asset (at most one each).
- ``NEXT_ID``: the next id (ids start at 1, never reused).

The bank keeps the paused assets itself (``bank/paused/``) so that a transfer
checks them with one read; this module decides when an asset is paused.
"""

from __future__ import annotations

from finchain.core.collections import (
    STR,
    U64,
    AmountValue,
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
from finchain.modules.interventions.types import Intervention, Officers

STORE = StoreKey("interventions", b"interventions/")

OFFICERS: Item[Officers] = Item(STORE, b"officers", RecordValue(Officers.from_obj))
INTERVENTIONS: IndexedMap[int, Intervention] = IndexedMap(
    STORE,
    b"i/",
    U64,
    RecordValue(Intervention.from_obj),
    {
        "by_account": Index(b"acct/", STR, lambda _id, i: i.account or None),
        "by_recipient": Index(b"to/", STR, lambda _id, i: i.to or None),
        "by_status": Index(b"status/", STR, lambda _id, i: i.status),
    },
)
DUE_BY_HEIGHT: Map[tuple[int, int], bytes] = Map(STORE, b"due_h/", Pair(U64, U64), BytesValue())
DUE_BY_TIME: Map[tuple[int, int], bytes] = Map(STORE, b"due_t/", Pair(U64, U64), BytesValue())
LAPSE_BY_HEIGHT: Map[tuple[int, int], bytes] = Map(STORE, b"lapse/", Pair(U64, U64), BytesValue())
HELD: Map[tuple[str, str], int] = Map(STORE, b"held/", Pair(STR, STR), AmountValue())
ACCOUNT_FROZEN_BY: Map[str, int] = Map(STORE, b"frozen_acct/", STR, U64Value())
ASSET_PAUSED_BY: Map[str, int] = Map(STORE, b"paused/", STR, U64Value())
NEXT_ID = Sequence(STORE, b"next_id", start=1)
