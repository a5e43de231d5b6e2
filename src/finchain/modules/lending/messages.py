"""Messages of the lending module.

Numbers whose range is a business rule (rates, loan-to-value limits, periods,
the schedule's order) are taken broadly on the wire and refused by the keeper
with a ``lending`` code, so a client reads which term to change.
"""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import AMOUNT, TIME_NS, wire
from finchain.core.msgs import TRANSFER, Msg, Operation
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.bank.types import ASSET_SYMBOL
from finchain.modules.lending.types import (
    AMOUNT_OR_ZERO,
    BPS_FIELD,
    DUE_TIMES,
    LOAN_ID,
    PERIOD_S,
    SCHEDULE,
)


@dataclass(frozen=True, slots=True)
class MsgOffer(Msg):
    """The signer (lender) offers ``borrower`` a loan on these terms; nothing moves yet.

    ``due_times``: the instalment dates (block time, ns), strictly increasing; the
    offer lapses at the first one if not accepted. ``max_ltv_bps``: the loan-to-value
    limit at origination and the level a margin call must be cured to;
    ``margin_ltv_bps``: above it a posted price opens a margin call, to be cured
    within ``margin_cure_s`` seconds; ``grace_s``: how long a missed instalment may
    stay unpaid before the loan defaults.
    """

    TYPE = "lending/offer"
    borrower: str = wire(ACCOUNT)
    asset: str = wire(ASSET_SYMBOL)
    principal: int = wire(AMOUNT)
    rate_bps: int = wire(BPS_FIELD)
    schedule: str = wire(SCHEDULE)
    due_times: tuple[int, ...] = wire(DUE_TIMES)
    collateral_asset: str = wire(ASSET_SYMBOL)
    collateral: int = wire(AMOUNT)
    max_ltv_bps: int = wire(BPS_FIELD)
    margin_ltv_bps: int = wire(BPS_FIELD)
    margin_cure_s: int = wire(PERIOD_S)
    grace_s: int = wire(PERIOD_S)

    def sensitive_operations(self) -> tuple[Operation, ...]:
        """The principal leaves the lender's account when the borrower accepts: the offer
        is what the lender signs for it, so its multi-factor rules apply here."""
        return (Operation(TRANSFER, self.asset, self.principal),)


@dataclass(frozen=True, slots=True)
class MsgCancelOffer(Msg):
    """The lender withdraws an offer the borrower has not accepted."""

    TYPE = "lending/cancel"
    loan_id: int = wire(LOAN_ID)


@dataclass(frozen=True, slots=True)
class MsgAccept(Msg):
    """The borrower accepts: collateral locked in escrow and principal paid, in one step."""

    TYPE = "lending/accept"
    ASSET_OPERATION = True
    loan_id: int = wire(LOAN_ID)


@dataclass(frozen=True, slots=True)
class MsgRepay(Msg):
    """The borrower pays ``amount`` of ``asset`` (the loan's cash asset) now: arrears first,
    then interest, then principal."""

    TYPE = "lending/repay"
    ASSET_OPERATION = True
    loan_id: int = wire(LOAN_ID)
    asset: str = wire(ASSET_SYMBOL)
    amount: int = wire(AMOUNT)

    def sensitive_operations(self) -> tuple[Operation, ...]:
        return (Operation(TRANSFER, self.asset, self.amount),)


@dataclass(frozen=True, slots=True)
class MsgAddCollateral(Msg):
    """The borrower pledges ``amount`` more of the collateral asset (a new escrow)."""

    TYPE = "lending/add_collateral"
    ASSET_OPERATION = True
    loan_id: int = wire(LOAN_ID)
    amount: int = wire(AMOUNT)


@dataclass(frozen=True, slots=True)
class MsgAppointOracle(Msg):
    """Governance only: ``oracle`` posts prices; a price older than ``max_age_s`` is stale."""

    TYPE = "lending/appoint_oracle"
    GOVERNED = True
    oracle: str = wire(ACCOUNT)
    max_age_s: int = wire(PERIOD_S)


@dataclass(frozen=True, slots=True)
class MsgPostPrice(Msg):
    """The oracle: one base unit of ``asset`` is worth ``numerator / denominator`` of
    ``quote``, observed at ``observed_at`` (ns; not after the block, within the max age)."""

    TYPE = "lending/post_price"
    asset: str = wire(ASSET_SYMBOL)
    quote: str = wire(ASSET_SYMBOL)
    numerator: int = wire(AMOUNT_OR_ZERO)
    denominator: int = wire(AMOUNT_OR_ZERO)
    observed_at: int = wire(TIME_NS)


ALL_MSGS: tuple[type[Msg], ...] = (
    MsgOffer,
    MsgCancelOffer,
    MsgAccept,
    MsgRepay,
    MsgAddCollateral,
    MsgAppointOracle,
    MsgPostPrice,
)
