"""Events of the securities module (snake_case types, attributes in a fixed order)."""

from __future__ import annotations

from finchain.core.events import Event

SECURITY_REGISTERED = "security_registered"
SECURITY_ISSUED = "security_issued"
SECURITY_CALLED = "security_called"
HOLDERS_RECORDED = "holders_recorded"
PAYMENT_MADE = "payment_made"
PAYMENT_DEFAULTED = "payment_defaulted"
PAYMENT_UNDELIVERED = "payment_undelivered"
SECURITY_RETIRED = "security_retired"

# why a payment defaulted (attribute ``reason`` of payment_defaulted)
SHORT_OF_CASH = "issuer_short"
ISSUER_FROZEN = "issuer_frozen"
TOO_LARGE = "amount_too_large"
REFUSED = "transfer_refused"
# why a share stayed with the issuer (attribute ``reason`` of payment_undelivered)
HOLDER_CLOSED = "holder_closed"
HOLDER_OVERFLOW = "balance_overflow"


def registered(isin: str, kind: str, issuer: str, payments: int) -> Event:
    return Event(
        SECURITY_REGISTERED,
        (("isin", isin), ("kind", kind), ("issuer", issuer), ("payments", str(payments))),
    )


def issued(isin: str, to: str, amount: int) -> Event:
    return Event(SECURITY_ISSUED, (("isin", isin), ("to", to), ("amount", str(amount))))


def called(isin: str, call_date: str, price: int, index: int) -> Event:
    return Event(
        SECURITY_CALLED,
        (("isin", isin), ("call_date", call_date), ("price", str(price)), ("payment", str(index))),
    )


def recorded(isin: str, index: int, holders: int, outstanding: int) -> Event:
    return Event(
        HOLDERS_RECORDED,
        (
            ("isin", isin),
            ("payment", str(index)),
            ("holders", str(holders)),
            ("outstanding", str(outstanding)),
        ),
    )


def paid(isin: str, index: int, kind: str, total: int, paid_: int, remainder: int) -> Event:
    return Event(
        PAYMENT_MADE,
        (
            ("isin", isin),
            ("payment", str(index)),
            ("kind", kind),
            ("total", str(total)),
            ("paid", str(paid_)),
            ("remainder", str(remainder)),
        ),
    )


def defaulted(isin: str, index: int, kind: str, due: int, available: int, reason: str) -> Event:
    return Event(
        PAYMENT_DEFAULTED,
        (
            ("isin", isin),
            ("payment", str(index)),
            ("kind", kind),
            ("due", str(due)),
            ("available", str(available)),
            ("reason", reason),
        ),
    )


def undelivered(isin: str, index: int, holder: str, amount: int, reason: str) -> Event:
    return Event(
        PAYMENT_UNDELIVERED,
        (
            ("isin", isin),
            ("payment", str(index)),
            ("holder", holder),
            ("amount", str(amount)),
            ("reason", reason),
        ),
    )


def retired(isin: str, status: str, burned: int, remaining: int) -> Event:
    return Event(
        SECURITY_RETIRED,
        (
            ("isin", isin),
            ("status", status),
            ("burned", str(burned)),
            ("remaining", str(remaining)),
        ),
    )
