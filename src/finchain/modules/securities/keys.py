"""The securities module's state: the only place its keys are spelled."""

from __future__ import annotations

from finchain.core.collections import (
    STR,
    U64,
    AmountValue,
    BytesValue,
    Map,
    Pair,
    RecordValue,
    StoreKey,
)
from finchain.modules.securities.types import Payment, Security

STORE = StoreKey("securities", b"securities/")

SECURITIES: Map[str, Security] = Map(STORE, b"sec/", STR, RecordValue(Security.from_obj))
"""Securities by ISIN (also their bank asset symbol)."""

PAYMENTS: Map[tuple[str, int], Payment] = Map(
    STORE, b"pay/", Pair(STR, U64), RecordValue(Payment.from_obj)
)
"""Each security's payments by index (0, 1, …), in schedule order; ``prefix=(isin,)``."""

RECORD: Map[tuple[tuple[str, int], str], int] = Map(
    STORE, b"rec/", Pair(Pair(STR, U64), STR), AmountValue()
)
"""Holders of record of a payment: ``((isin, index), account) -> bonds held at the record date``;
iterate one payment's with ``prefix=((isin, index),)``."""

DUE: Map[tuple[int, tuple[str, int]], bytes] = Map(
    STORE, b"due/", Pair(U64, Pair(STR, U64)), BytesValue()
)
"""What end_block must do, by due time: ``(time_ns, (isin, step)) -> b""`` where step
``2 × index`` takes payment ``index``'s record snapshot and ``2 × index + 1`` pays it.
Iterated from the front, so a block touches only what is due."""

RECORD_STEP = 0
PAY_STEP = 1
