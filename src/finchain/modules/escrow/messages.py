"""Messages of the escrow module: create, approve, release, refund, cancel.

``escrow/create`` is an asset operation (refused during a key-reset lock window)
and declares the amount it locks as a transfer out of the signer's account, so
an account's multi-factor rules guard a lock like a payment.
"""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import HEIGHT, TIME_NS, Integer, Nested, wire
from finchain.core.msgs import TRANSFER, Msg, Operation
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.bank.types import ASSET_SYMBOL
from finchain.modules.escrow.types import (
    LOCK_AMOUNT,
    MAX_ID,
    NO_CONDITIONS,
    PREIMAGE,
    REFERENCE,
    Conditions,
    check_terms,
)

ESCROW_ID = Integer(low=1, high=MAX_ID)


@dataclass(frozen=True, slots=True)
class MsgCreate(Msg):
    """Lock ``amount`` of the signer's ``asset`` for ``payee`` until ``conditions`` all hold.

    ``expiry_height`` / ``expiry_time`` (ns; 0: none, at least one given): from
    then on the escrow can no longer be released and goes back to the signer.
    """

    TYPE = "escrow/create"
    ASSET_OPERATION = True
    payee: str = wire(ACCOUNT)
    asset: str = wire(ASSET_SYMBOL)
    amount: int = wire(LOCK_AMOUNT)
    conditions: Conditions = wire(Nested(Conditions), default=NO_CONDITIONS)
    expiry_height: int = wire(HEIGHT, default=0)
    expiry_time: int = wire(TIME_NS, default=0)
    reference: str = wire(REFERENCE, default="")

    def check(self) -> None:
        check_terms(self.amount, self.conditions, self.expiry_height, self.expiry_time, "")

    def sensitive_operations(self) -> tuple[Operation, ...]:
        return (Operation(TRANSFER, self.asset, self.amount),)


@dataclass(frozen=True, slots=True)
class MsgApprove(Msg):
    """Approve the release of an escrow, as one of its named approvers."""

    TYPE = "escrow/approve"
    escrow_id: int = wire(ESCROW_ID)


@dataclass(frozen=True, slots=True)
class MsgRelease(Msg):
    """Pay an escrow to its payee now that its conditions hold (anyone may send it).

    ``preimage``: the secret of a hash-locked escrow (recorded and emitted), else empty.
    """

    TYPE = "escrow/release"
    escrow_id: int = wire(ESCROW_ID)
    preimage: bytes = wire(PREIMAGE, default=b"")


@dataclass(frozen=True, slots=True)
class MsgRefund(Msg):
    """Return an expired escrow to its payer (anyone may send it; end_block also does)."""

    TYPE = "escrow/refund"
    escrow_id: int = wire(ESCROW_ID)


@dataclass(frozen=True, slots=True)
class MsgCancel(Msg):
    """Consent, as payer or payee, to cancel an escrow; the second party's consent cancels."""

    TYPE = "escrow/cancel"
    escrow_id: int = wire(ESCROW_ID)


ALL_MSGS: tuple[type[Msg], ...] = (MsgCreate, MsgApprove, MsgRelease, MsgRefund, MsgCancel)
