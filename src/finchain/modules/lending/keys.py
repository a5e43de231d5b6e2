"""The lending module's state: the only place its keys are spelled.

- ``LOANS``: each loan by id (ids from ``NEXT_ID``, from 1). Indexes: ``lender``
  and ``borrower`` (every loan, for "loans of this account"), and ``pair``
  (active loans only, by ``COLLATERAL/CASH``: the loans a posted price revalues).
- ``WAKE``: ``(time, loan id)`` for each open loan's next moment the chain must act
  (a due date, a grace or margin-call deadline, an offer's lapse). ``end_block``
  reads it from the start up to the block time only: work proportional to what is due.
  The keeper keeps it in step with the loans (``LendingKeeper._save``).
- ``PRICES``: the latest price per pair; ``ORACLE``: the appointed oracle.

Default genesis writes nothing here.
"""

from __future__ import annotations

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
)
from finchain.modules.lending.types import ACTIVE, Loan, OracleConfig, Price

STORE = StoreKey("lending", b"lending/")

NEXT_ID = Sequence(STORE, b"next_id")


def _active_pair(_id: int, loan: Loan) -> str | None:
    return loan.pair if loan.status == ACTIVE else None


LOANS: IndexedMap[int, Loan] = IndexedMap(
    STORE,
    b"loan/",
    U64,
    RecordValue(Loan.from_obj),
    {
        "lender": Index(b"lender/", STR, lambda _id, loan: loan.lender),
        "borrower": Index(b"borrower/", STR, lambda _id, loan: loan.borrower),
        "pair": Index(b"pair/", STR, _active_pair),
    },
)
WAKE: Map[tuple[int, int], bytes] = Map(STORE, b"wake/", Pair(U64, U64), BytesValue())
PRICES: Map[str, Price] = Map(STORE, b"price/", STR, RecordValue(Price.from_obj))
ORACLE: Item[OracleConfig] = Item(STORE, b"oracle", RecordValue(OracleConfig.from_obj))
