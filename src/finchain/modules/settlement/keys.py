"""The settlement module's state, declared once.

Instructions by id; each authorising party's references (replay protection and
the listing by party); how many open instructions each account authorised; and
the queues ``end_block`` reads, keyed by the height or time something becomes
due, so a block touches only what is due.
"""

from finchain.core.collections import (
    STR,
    U64,
    BytesValue,
    Map,
    Pair,
    RecordValue,
    Sequence,
    StoreKey,
    U64Value,
)
from finchain.modules.settlement.types import Settlement

STORE = StoreKey("settlement", b"settlement/")

NEXT_ID = Sequence(STORE, b"next")
# How many instructions are open (not settled, cancelled, expired or failed): end_block
# reads nothing else while it is 0, so settling at once costs no queue work.
OPEN_COUNT = Sequence(STORE, b"open", start=0)
INSTRUCTIONS: Map[int, Settlement] = Map(STORE, b"i/", U64, RecordValue(Settlement.from_obj))
# (party, reference) -> id: kept forever, so a reference is used once per party.
REFS: Map[tuple[str, str], int] = Map(STORE, b"r/", Pair(STR, STR), U64Value())
# (height or time due, id): matched instructions waiting for their settlement date.
DUE_HEIGHT: Map[tuple[int, int], bytes] = Map(STORE, b"dh/", Pair(U64, U64), BytesValue())
DUE_TIME: Map[tuple[int, int], bytes] = Map(STORE, b"dt/", Pair(U64, U64), BytesValue())
# (height of the next retry, id): pending and partially settled instructions, each
# retried at a growing interval (keeper ``_schedule_retry``) until the deadline.
RETRY: Map[tuple[int, int], bytes] = Map(STORE, b"rh/", Pair(U64, U64), BytesValue())
# account -> how many open instructions it authorised (capped, MAX_OPEN_PER_ACCOUNT).
OPEN_BY_ACCOUNT: Map[str, int] = Map(STORE, b"o/", STR, U64Value())
# (deadline height or time, id): every open instruction, once.
EXPIRE_HEIGHT: Map[tuple[int, int], bytes] = Map(STORE, b"eh/", Pair(U64, U64), BytesValue())
EXPIRE_TIME: Map[tuple[int, int], bytes] = Map(STORE, b"et/", Pair(U64, U64), BytesValue())
