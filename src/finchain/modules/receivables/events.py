"""Event types and constructors of the receivables module (attributes in a fixed order).

Every event names the invoice ``id``; money moved by the module also emits the
bank's own ``transfer`` / ``coin_spent`` / ``coin_received`` events.
"""

from __future__ import annotations

from finchain.core.events import Event

INVOICE_REGISTERED = "invoice_registered"
INVOICE_CONFIRMED = "invoice_confirmed"
INVOICE_TRANSFERRED = "invoice_transferred"
INVOICE_OFFERED = "invoice_offered"
INVOICE_OFFER_WITHDRAWN = "invoice_offer_withdrawn"
INVOICE_FINANCED = "invoice_financed"
INVOICE_PAID = "invoice_paid"
INVOICE_OVERDUE = "invoice_overdue"


def registered(
    invoice_id: int,
    supplier: str,
    buyer: str,
    asset: str,
    amount: int,
    hash_alg: str,
    digest: bytes,
) -> Event:
    return Event(
        INVOICE_REGISTERED,
        (
            ("id", str(invoice_id)),
            ("supplier", supplier),
            ("buyer", buyer),
            ("asset", asset),
            ("amount", str(amount)),
            ("hash_alg", hash_alg),
            ("hash", digest.hex()),
        ),
    )


def confirmed(invoice_id: int, buyer: str) -> Event:
    return Event(INVOICE_CONFIRMED, (("id", str(invoice_id)), ("buyer", buyer)))


def transferred(invoice_id: int, sender: str, recipient: str) -> Event:
    return Event(
        INVOICE_TRANSFERRED, (("id", str(invoice_id)), ("sender", sender), ("recipient", recipient))
    )


def offered(invoice_id: int, holder: str, bank: str, asset: str, price: int) -> Event:
    return Event(
        INVOICE_OFFERED,
        (
            ("id", str(invoice_id)),
            ("holder", holder),
            ("bank", bank),
            ("asset", asset),
            ("price", str(price)),
        ),
    )


def offer_withdrawn(invoice_id: int, holder: str, bank: str) -> Event:
    return Event(
        INVOICE_OFFER_WITHDRAWN, (("id", str(invoice_id)), ("holder", holder), ("bank", bank))
    )


def financed(invoice_id: int, seller: str, bank: str, asset: str, price: int, amount: int) -> Event:
    return Event(
        INVOICE_FINANCED,
        (
            ("id", str(invoice_id)),
            ("seller", seller),
            ("bank", bank),
            ("asset", asset),
            ("price", str(price)),
            ("discount", str(amount - price)),
        ),
    )


def paid(invoice_id: int, buyer: str, holder: str, asset: str, amount: int, how: str) -> Event:
    return Event(
        INVOICE_PAID,
        (
            ("id", str(invoice_id)),
            ("buyer", buyer),
            ("holder", holder),
            ("asset", asset),
            ("amount", str(amount)),
            ("how", how),
        ),
    )


def overdue(invoice_id: int, buyer: str, holder: str, reason: str) -> Event:
    return Event(
        INVOICE_OVERDUE,
        (("id", str(invoice_id)), ("buyer", buyer), ("holder", holder), ("reason", reason)),
    )
