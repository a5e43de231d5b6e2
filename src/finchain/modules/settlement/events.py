"""Event types and constructors of the settlement module (attributes in a fixed order).

Legs emit the bank's own ``transfer`` / ``coin_spent`` / ``coin_received``; these
are the instruction's lifecycle around them. ``settlement_submitted`` with status
``unmatched`` doubles as the allegement to the counterparty (ISO 20022 sese.028).
"""

from __future__ import annotations

from finchain.core.events import Event

SUBMITTED = "settlement_submitted"
MATCHED = "settlement_matched"
SETTLED = "settlement_settled"
PARTIALLY_SETTLED = "settlement_partially_settled"
PENDING = "settlement_pending"
CANCEL_REQUESTED = "settlement_cancel_requested"
CANCELLED = "settlement_cancelled"
EXPIRED = "settlement_expired"
FAILED = "settlement_failed"


def submitted(id_: int, reference: str, submitter: str, kind: str, status: str) -> Event:
    return Event(
        SUBMITTED,
        (
            ("id", str(id_)),
            ("reference", reference),
            ("submitter", submitter),
            ("kind", kind),
            ("status", status),
        ),
    )


def matched(id_: int, reference: str, parties: tuple[str, ...]) -> Event:
    return Event(
        MATCHED, (("id", str(id_)), ("reference", reference), ("parties", ",".join(parties)))
    )


def settled(id_: int, reference: str, lots: int) -> Event:
    return Event(SETTLED, (("id", str(id_)), ("reference", reference), ("lots", str(lots))))


def partially_settled(id_: int, reference: str, lots: int, settled_lots: int, total: int) -> Event:
    return Event(
        PARTIALLY_SETTLED,
        (
            ("id", str(id_)),
            ("reference", reference),
            ("lots", str(lots)),
            ("settled_lots", str(settled_lots)),
            ("total_lots", str(total)),
        ),
    )


def pending(id_: int, reference: str, reason: str) -> Event:
    return Event(PENDING, (("id", str(id_)), ("reference", reference), ("reason", reason)))


def cancel_requested(id_: int, reference: str, party: str, outstanding: int) -> Event:
    return Event(
        CANCEL_REQUESTED,
        (
            ("id", str(id_)),
            ("reference", reference),
            ("party", party),
            ("outstanding", str(outstanding)),
        ),
    )


def closed(kind: str, id_: int, reference: str, reason: str = "") -> Event:
    """``settlement_cancelled``, ``settlement_expired`` or ``settlement_failed``."""
    return Event(kind, (("id", str(id_)), ("reference", reference), ("reason", reason)))
