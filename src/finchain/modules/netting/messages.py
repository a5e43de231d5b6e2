"""Messages of the netting module: open a clearing cycle, submit payment obligations.

A submit message carries up to ``MAX_OBLIGATIONS_PER_MSG`` obligations of its
signer (the payer), so a bank sends a day's payments in a few transactions.
"""

from __future__ import annotations

from dataclasses import dataclass

from finchain.codec import MAX_AMOUNT
from finchain.core.fields import HEIGHT, TIME_NS, Amount, ListOf, Nested, Record, wire
from finchain.core.msgs import TRANSFER, Msg, Operation
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.bank.types import ASSET_SYMBOL
from finchain.modules.netting.errors import (
    ErrBadClose,
    ErrOverflow,
    ErrTooManyObligations,
    ErrZeroAmount,
)
from finchain.modules.netting.types import CYCLE_ID, MAX_OBLIGATIONS_PER_MSG, MEMBERS

_WIRE_MAX_OBLIGATIONS = 65_536
"""What the decoder reads at most (the transaction's byte limit bounds it anyway); the
netting rule, ``MAX_OBLIGATIONS_PER_MSG``, is checked by ``validate`` with its own code."""


@dataclass(frozen=True, slots=True)
class MsgOpenCycle(Msg):
    """Open a clearing cycle among ``members`` in ``asset``; the signer is its operator.

    Exactly one of ``close_height`` / ``close_time_ns`` is non-zero: the cut-off.
    """

    TYPE = "netting/open_cycle"
    asset: str = wire(ASSET_SYMBOL)
    members: tuple[str, ...] = wire(MEMBERS)
    close_height: int = wire(HEIGHT, default=0)
    close_time_ns: int = wire(TIME_NS, default=0)

    def validate(self) -> None:
        if (self.close_height == 0) == (self.close_time_ns == 0):
            raise ErrBadClose("give exactly one of close_height and close_time_ns")


@dataclass(frozen=True, slots=True)
class Obligation(Record):
    """The signer owes ``payee`` ``amount`` base units of the cycle's asset."""

    WHAT = "obligation"
    payee: str = wire(ACCOUNT)
    amount: int = wire(Amount(zero=True))


@dataclass(frozen=True, slots=True)
class MsgSubmitObligations(Msg):
    """Submit obligations of the signer (the payer) to a cycle, all accepted or none."""

    TYPE = "netting/submit"
    ASSET_OPERATION = True
    cycle: int = wire(CYCLE_ID)
    asset: str = wire(ASSET_SYMBOL)
    obligations: tuple[Obligation, ...] = wire(
        ListOf(Nested(Obligation), min_items=1, max_items=_WIRE_MAX_OBLIGATIONS)
    )

    def validate(self) -> None:
        if len(self.obligations) > MAX_OBLIGATIONS_PER_MSG:
            raise ErrTooManyObligations(
                f"{len(self.obligations)} obligations in one message: send at most "
                f"{MAX_OBLIGATIONS_PER_MSG} per message (several messages or transactions)"
            )
        for i, ob in enumerate(self.obligations):
            if ob.amount == 0:
                raise ErrZeroAmount(f"obligation #{i} has amount 0: leave it out")
        if self.total > MAX_AMOUNT:
            raise ErrOverflow("the obligations of one message add up to more than 2^127 - 1")

    @property
    def total(self) -> int:
        return sum(ob.amount for ob in self.obligations)

    def sensitive_operations(self) -> tuple[Operation, ...]:
        """The signer commits to pay the total: its multi-factor transfer rules apply."""
        return (Operation(TRANSFER, self.asset, self.total),)


ALL_MSGS: tuple[type[Msg], ...] = (MsgOpenCycle, MsgSubmitObligations)
