"""Loans, instalments, prices: the lending module's records and its exact arithmetic.

Interest is ACT/365F: it accrues on the outstanding principal for the actual
time elapsed (block times and due times, in nanoseconds), over a fixed year of
365 days, at ``rate_bps`` basis points a year. The exact accrual is kept as an
integer numerator over ``INTEREST_DENOM`` (``principal x bps x ns``), so no
rounding happens until interest is settled; then it is rounded half up to the
asset's base unit (``round_half_up``), once per settlement (a due date, or an
early repayment, which settles the interest accrued up to its block).

A price is the value of one base unit of the collateral asset in base units of
the cash asset, as the ratio ``numerator / denominator``. Loan-to-value is
compared exactly by cross-multiplication (``ltv_above``); nothing is a float.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import (
    AMOUNT,
    HEIGHT,
    TIME_NS,
    Amount,
    Flag,
    Integer,
    ListOf,
    Nested,
    OneOf,
    Record,
    wire,
)
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.bank.types import ASSET_SYMBOL

BPS = 10_000
"""Basis points in one (100%)."""
DAY_NS = 86_400 * 10**9
YEAR_NS = 365 * DAY_NS
"""ACT/365F: the year is always 365 days, leap or not."""
INTEREST_DENOM = BPS * YEAR_NS
"""Interest = principal x rate_bps x elapsed_ns / INTEREST_DENOM."""

MAX_RATE_BPS = 10_000
"""At most 100% a year."""
MAX_INSTALMENTS = 360
MAX_PERIOD_NS = 10 * YEAR_NS
"""Grace periods, margin-call cure periods and the oracle's maximum price age: at most 10 years."""
MAX_COLLATERAL_ESCROWS = 360
"""Escrows one loan may hold: the one made at acceptance and the top-ups (one a month
over a 30-year loan)."""

BULLET = "bullet"
EQUAL_PRINCIPAL = "equal_principal"
SCHEDULES = (BULLET, EQUAL_PRINCIPAL)

OFFERED = "offered"
ACTIVE = "active"
REPAID = "repaid"
DEFAULTED = "defaulted"
CANCELLED = "cancelled"
LAPSED = "lapsed"
STATUSES = (OFFERED, ACTIVE, REPAID, DEFAULTED, CANCELLED, LAPSED)
OPEN = (OFFERED, ACTIVE)


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, halves away from zero
    (both non-negative): Python ``decimal``'s ROUND_HALF_UP."""
    return (2 * numerator + denominator) // (2 * denominator)


def pair_of(asset: str, quote: str) -> str:
    """The price pair key: collateral asset, then cash asset (symbols hold no ``/``)."""
    return f"{asset}/{quote}"


def scheduled_principal(kind: str, principal: int, count: int, index: int) -> int:
    """The principal instalment ``index`` (0-based, of ``count``) repays as first agreed.

    Bullet: all of it at the last instalment. Equal principal: ``principal // count``
    at each, the last taking the remainder so the parts add up to the principal.
    """
    last = index == count - 1
    if kind == BULLET:
        return principal if last else 0
    part = principal // count
    return principal - part * (count - 1) if last else part


class Natural:
    """A non-negative integer of any size, as a decimal string (an exact accrual numerator)."""

    def decode(self, value: Any, name: str) -> int:
        if type(value) is not str or not value.isascii() or not value.isdigit():
            raise ErrInvalidMsg(f"field {name!r} must be a decimal string of digits")
        if len(value) > 200 or (len(value) > 1 and value[0] == "0"):
            raise ErrInvalidMsg(f"field {name!r} must be a canonical decimal string")
        return int(value)

    def encode(self, value: int) -> str:
        return str(value)


NATURAL = Natural()
AMOUNT_OR_ZERO = Amount(zero=True)
BPS_FIELD = Integer(low=0, high=2**32)
"""Basis points on the wire: any small integer, so the keeper refuses a range with its own code."""
PERIOD_S = Integer(low=0, high=2**32)
"""A period in whole seconds on the wire."""
SCHEDULE = OneOf(*SCHEDULES)
LOAN_ID = Integer(low=1, high=2**63 - 1)
ESCROW_IDS = ListOf(Integer(low=1, high=2**63 - 1), max_items=MAX_COLLATERAL_ESCROWS, unique=True)
"""The ids of a loan's collateral escrows, in the order they were made."""
DUE_TIMES = ListOf(TIME_NS, max_items=MAX_INSTALMENTS)


@dataclass(frozen=True, slots=True)
class Instalment(Record):
    """One due date. Amounts are fixed when it falls due (``fixed``); paid parts grow."""

    WHAT = "instalment"
    due_time: int = wire(TIME_NS)
    principal_due: int = wire(AMOUNT_OR_ZERO, default=0)
    interest_due: int = wire(AMOUNT_OR_ZERO, default=0)
    principal_paid: int = wire(AMOUNT_OR_ZERO, default=0)
    interest_paid: int = wire(AMOUNT_OR_ZERO, default=0)

    @property
    def unpaid(self) -> int:
        return self.principal_due - self.principal_paid + self.interest_due - self.interest_paid


@dataclass(frozen=True, slots=True)
class Loan(Record):
    """A loan from offer to close.

    ``outstanding``: principal not yet repaid. ``fixed``: how many instalments
    have fallen due (their amounts fixed). ``accrued_num`` / ``accrued_to``:
    exact interest accrued since the last settlement, up to ``accrued_to``.
    ``interest_carried``: interest settled (rounded) by an early repayment and
    not yet paid. ``grace_deadline``: set while an instalment is unpaid after
    its due date (0: none). ``margin_deadline``: set while a margin call is
    open (0: none). ``collateral_escrows``: the escrows (module ``escrow``,
    controlled by ``lending``) that hold the collateral, one per pledge (the
    acceptance, then each top-up); ``collateral`` is their total.
    ``release_pending``: a defaulted loan whose collateral could not yet be
    released to the lender (the borrower's account is frozen); retried every block.
    """

    WHAT = "loan"
    DERIVED = ("state",)
    id: int = wire(LOAN_ID)
    lender: str = wire(ACCOUNT)
    borrower: str = wire(ACCOUNT)
    asset: str = wire(ASSET_SYMBOL)
    principal: int = wire(AMOUNT)
    rate_bps: int = wire(Integer(low=0, high=MAX_RATE_BPS))
    schedule: str = wire(SCHEDULE)
    collateral_asset: str = wire(ASSET_SYMBOL)
    collateral: int = wire(AMOUNT)
    max_ltv_bps: int = wire(Integer(low=1, high=BPS))
    margin_ltv_bps: int = wire(Integer(low=1, high=BPS))
    margin_cure_ns: int = wire(Integer(low=0, high=MAX_PERIOD_NS))
    grace_ns: int = wire(Integer(low=0, high=MAX_PERIOD_NS))
    status: str = wire(OneOf(*STATUSES))
    offered_height: int = wire(HEIGHT)
    instalments: tuple[Instalment, ...] = wire(
        ListOf(Nested(Instalment), min_items=1, max_items=MAX_INSTALMENTS)
    )
    start_time: int = wire(TIME_NS, default=0)
    outstanding: int = wire(AMOUNT_OR_ZERO, default=0)
    fixed: int = wire(Integer(low=0, high=MAX_INSTALMENTS), default=0)
    accrued_num: int = wire(NATURAL, default=0)
    accrued_to: int = wire(TIME_NS, default=0)
    interest_carried: int = wire(AMOUNT_OR_ZERO, default=0)
    grace_deadline: int = wire(TIME_NS, default=0)
    margin_deadline: int = wire(TIME_NS, default=0)
    closed_height: int = wire(HEIGHT, default=0)
    collateral_escrows: tuple[int, ...] = wire(ESCROW_IDS, default=())
    release_pending: bool = wire(Flag(), default=False)

    @property
    def pair(self) -> str:
        return pair_of(self.collateral_asset, self.asset)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def state(self) -> str:
        """The status, with an active loan's condition: ``margin_call``, ``in_arrears``."""
        if self.status != ACTIVE:
            return self.status
        if self.margin_deadline:
            return "margin_call"
        return "in_arrears" if self.grace_deadline else ACTIVE

    def next_due(self) -> int | None:
        """The due time of the next instalment not yet fixed (None: all have fallen due)."""
        return self.instalments[self.fixed].due_time if self.fixed < len(self.instalments) else None

    def wake(self) -> int | None:
        """When the chain must next act on the loan (end_block): None when closed.

        A defaulted loan whose collateral is still to be released wakes at 0, that is
        in every block, until the release goes through.
        """
        if self.release_pending:
            return 0
        if self.status == OFFERED:
            return self.instalments[0].due_time  # an offer lapses at its first due date
        if self.status != ACTIVE:
            return None
        times = [t for t in (self.grace_deadline, self.margin_deadline) if t]
        upcoming = self.next_due()
        if upcoming is not None:
            times.append(upcoming)
        return min(times) if times else None

    def accrue(self, until: int) -> Loan:
        """Exact interest on the outstanding principal from ``accrued_to`` to ``until``.

        Interest stops at the last due date (maturity): principal still unpaid after it
        is in arrears, carrying no interest, until paid or the loan defaults.
        """
        until = min(until, self.instalments[-1].due_time)
        if until <= self.accrued_to:
            return self
        more = self.outstanding * self.rate_bps * (until - self.accrued_to)
        return replace(self, accrued_num=self.accrued_num + more, accrued_to=until)

    def arrears(self) -> int:
        """Unpaid amounts of instalments that have fallen due."""
        return sum(i.unpaid for i in self.instalments[: self.fixed])

    def unfixed_principal(self) -> int:
        """Outstanding principal not yet assigned to a fallen-due instalment."""
        assigned = sum(i.principal_due - i.principal_paid for i in self.instalments[: self.fixed])
        return self.outstanding - assigned

    def owed_at(self, now: int) -> int:
        """Everything the borrower owes at ``now``: principal, unpaid interest, and the
        interest accrued since the last settlement rounded half up."""
        accrued = self.accrue(now).accrued_num
        unpaid_interest = sum(
            i.interest_due - i.interest_paid for i in self.instalments[: self.fixed]
        )
        return (
            self.outstanding
            + unpaid_interest
            + self.interest_carried
            + round_half_up(accrued, INTEREST_DENOM)
        )

    def check(self) -> None:
        times = [i.due_time for i in self.instalments]
        if any(b <= a for a, b in pairwise(times)):
            raise ErrInvalidMsg(f"{self.WHAT} {self.id}: due times must increase")
        if self.fixed > len(self.instalments) or self.max_ltv_bps >= self.margin_ltv_bps:
            raise ErrInvalidMsg(f"{self.WHAT} {self.id}: inconsistent record")
        pledged = self.status in (ACTIVE, REPAID, DEFAULTED)
        if pledged != bool(self.collateral_escrows):
            raise ErrInvalidMsg(
                f"{self.WHAT} {self.id}: an accepted loan lists its collateral escrows, "
                "an offer none"
            )
        if self.release_pending and self.status != DEFAULTED:
            raise ErrInvalidMsg(f"{self.WHAT} {self.id}: only a defaulted loan awaits a release")


@dataclass(frozen=True, slots=True)
class Price(Record):
    """One base unit of ``asset`` is worth ``numerator / denominator`` base units of ``quote``."""

    WHAT = "price"
    asset: str = wire(ASSET_SYMBOL)
    quote: str = wire(ASSET_SYMBOL)
    numerator: int = wire(AMOUNT)
    denominator: int = wire(AMOUNT)
    observed_at: int = wire(TIME_NS)
    height: int = wire(HEIGHT)


@dataclass(frozen=True, slots=True)
class OracleConfig(Record):
    """The price oracle governance appointed, and how old a price may be to count."""

    WHAT = "oracle"
    oracle: str = wire(ACCOUNT)
    max_age_ns: int = wire(Integer(low=1, high=MAX_PERIOD_NS))


def ltv_above(owed: int, collateral: int, price: Price, limit_bps: int) -> bool:
    """``owed / (collateral x price) > limit_bps / 10_000``, exactly (cross-multiplied)."""
    return owed * BPS * price.denominator > limit_bps * collateral * price.numerator


def ltv_bps_floor(owed: int, collateral: int, price: Price) -> int:
    """The loan-to-value in basis points, rounded down (for display only)."""
    return owed * BPS * price.denominator // (collateral * price.numerator)
