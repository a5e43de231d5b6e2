"""The netting module's state: the only place its keys are spelled.

- ``CYCLES``: each cycle by id; ``NEXT_ID`` hands out ids from 1.
- ``BATCHES``: ``(cycle, batch) -> Batch``, one entry per accepted submit message
  (``batch`` numbered from 0 in the order included), holding all its obligations
  compactly: the payer and payees as indexes into the cycle's sorted member list.
  One write per message, not per obligation, and the close reads a cycle's
  obligations with one ordered scan of its batches.
- ``DUE_HEIGHT`` / ``DUE_TIME``: ``(cut-off, cycle) -> b""`` for each open cycle,
  so ``end_block`` reads only the cycles that are due (a prefix scan stopped at
  the first entry in the future).
- ``REPORTS``: a settled cycle's report; ``POSITIONS``: ``(cycle, member) -> net``
  settled (received - paid, signed, as a decimal string); ``UNSETTLED``:
  ``(cycle, chunk) -> the removed obligations chunk * UNSETTLED_CHUNK ..`` (in
  removal order, ``UNSETTLED_CHUNK`` a key, so a close that removes 100,000
  obligations writes 100 keys, not 100,000).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finchain.codec import decode_trusted, encode
from finchain.core.collections import (
    STR,
    U64,
    BytesValue,
    CborValue,
    Map,
    Pair,
    RecordValue,
    Sequence,
    StoreKey,
)
from finchain.modules.netting.types import Cycle, Report

STORE = StoreKey("netting", b"netting/")

_CBOR_UINT_MAX = 2**64 - 1


@dataclass(frozen=True, slots=True)
class Batch:
    """The obligations of one submit message: ``payer`` owes ``payees[i]`` ``amounts[i]``
    (payer and payees as indexes into the cycle's member list)."""

    payer: int
    payees: tuple[int, ...]
    amounts: tuple[int, ...]


class BatchValue:
    """A batch as DAG-CBOR ``[payer, [payee, amount, payee, amount, ...]]``; an amount above
    2^64 - 1 (outside DAG-CBOR integers) is written as its decimal string."""

    def encode(self, value: Batch) -> bytes:
        flat: list[Any] = []
        for payee, amount in zip(value.payees, value.amounts, strict=True):
            flat.append(payee)
            flat.append(amount if amount <= _CBOR_UINT_MAX else str(amount))
        return encode([value.payer, flat])

    def decode(self, raw: bytes) -> Batch:
        payer, flat = decode_trusted(raw)
        amounts = tuple(a if type(a) is int else int(a) for a in flat[1::2])
        return Batch(payer, tuple(flat[0::2]), amounts)


CYCLES: Map[int, Cycle] = Map(STORE, b"cycle/", U64, RecordValue(Cycle.from_obj))
NEXT_ID = Sequence(STORE, b"next", start=1)
BATCHES: Map[tuple[int, int], Batch] = Map(STORE, b"batch/", Pair(U64, U64), BatchValue())
DUE_HEIGHT: Map[tuple[int, int], bytes] = Map(STORE, b"due_h/", Pair(U64, U64), BytesValue())
DUE_TIME: Map[tuple[int, int], bytes] = Map(STORE, b"due_t/", Pair(U64, U64), BytesValue())
REPORTS: Map[int, Report] = Map(STORE, b"report/", U64, RecordValue(Report.from_obj))
POSITIONS: Map[tuple[int, str], Any] = Map(STORE, b"pos/", Pair(U64, STR), CborValue())
UNSETTLED_CHUNK = 1_000
UNSETTLED: Map[tuple[int, int], Any] = Map(STORE, b"unsettled/", Pair(U64, U64), CborValue())
"""A list of ``[batch, index, payer, payee, amount (decimal string), reason]``."""
