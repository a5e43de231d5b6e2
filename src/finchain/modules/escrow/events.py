"""Event types and constructors of the escrow module (attributes in a fixed order).

Every event carries ``escrow_id``. ``escrow_released`` carries the revealed
``preimage`` (hex, empty without a hash lock): a counterparty watching this
chain learns the secret there, as in a hashed time-locked contract, and can
claim its own leg elsewhere. The bank's own ``amount_frozen`` /
``amount_unfrozen`` (reason ``escrow <id>``) and ``transfer`` events accompany them.
"""

from __future__ import annotations

from finchain.core.events import Event
from finchain.modules.escrow.types import Escrow

ESCROW_CREATED = "escrow_created"
ESCROW_APPROVED = "escrow_approved"
ESCROW_RELEASED = "escrow_released"
ESCROW_REFUNDED = "escrow_refunded"
ESCROW_CANCEL_CONSENTED = "escrow_cancel_consented"
ESCROW_CANCELLED = "escrow_cancelled"
ESCROW_REFUND_FAILED = "escrow_refund_failed"


def _money(escrow: Escrow) -> tuple[tuple[str, str], ...]:
    return (
        ("escrow_id", str(escrow.id)),
        ("payer", escrow.payer),
        ("payee", escrow.payee),
        ("asset", escrow.asset),
        ("amount", str(escrow.amount)),
    )


def created(escrow: Escrow) -> Event:
    return Event(
        ESCROW_CREATED,
        (
            *_money(escrow),
            ("expiry_height", str(escrow.expiry_height)),
            ("expiry_time", str(escrow.expiry_time)),
            ("reference", escrow.reference),
        ),
    )


def approved(escrow: Escrow, approver: str) -> Event:
    return Event(
        ESCROW_APPROVED,
        (
            ("escrow_id", str(escrow.id)),
            ("approver", approver),
            ("approvals", str(escrow.approved)),
            ("threshold", str(escrow.conditions.threshold)),
        ),
    )


def released(escrow: Escrow) -> Event:
    lock = escrow.conditions.hash_lock
    return Event(
        ESCROW_RELEASED,
        (
            *_money(escrow),
            ("hash_alg", "" if lock is None else lock.hash_alg),
            ("preimage", escrow.preimage.hex()),
            ("by", escrow.closed_by),
        ),
    )


def refunded(escrow: Escrow) -> Event:
    return Event(ESCROW_REFUNDED, (*_money(escrow), ("by", escrow.closed_by)))


def cancel_consented(escrow: Escrow, party: str) -> Event:
    return Event(ESCROW_CANCEL_CONSENTED, (("escrow_id", str(escrow.id)), ("party", party)))


def cancelled(escrow: Escrow) -> Event:
    return Event(ESCROW_CANCELLED, _money(escrow))


def refund_failed(escrow_id: int, reason: str) -> Event:
    return Event(ESCROW_REFUND_FAILED, (("escrow_id", str(escrow_id)), ("reason", reason)))
