"""Securities: identifiers (ISO 6166 ISIN), calendar dates, day counts and the stored records.

Everything here is pure and integer: a day-count fraction is a pair of integers
(``days``, ``basis``), never a float, so a coupon is one exact division rounded down.

Other modules may import this file (``finchain.modules.<x>.types`` is the one door
between modules): a settlement instruction naming a bond can check its ISIN with
``is_valid_isin``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from finchain.core.fields import (
    AMOUNT,
    TIME_NS,
    Amount,
    Integer,
    OneOf,
    Record,
    Text,
    wire,
)
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.bank.types import ASSET_NAME, ASSET_SYMBOL

# -- ISIN (ISO 6166) ----------------------------------------------------------------------------

ISIN_SHAPE = re.compile(r"[A-Z]{2}[A-Z0-9]{9}[0-9]")
"""Two letters (the issuing country's ISO 3166 code, or XS/EU), nine alphanumerics, a digit."""


def isin_check_digit(body: str) -> int:
    """The check digit of an ISIN's first 11 characters (ISO 6166 Annex C).

    Letters become two-digit numbers (A = 10 … Z = 35), digits stay; the Luhn
    algorithm runs on the resulting string of digits: from the rightmost digit,
    every second digit (starting with that rightmost one) is doubled and its
    digits summed; the check digit brings the total to a multiple of 10.
    """
    digits = "".join(str(int(c, 36)) for c in body)
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            value = value - 9 if value > 9 else value
        total += value
    return (10 - total % 10) % 10


def is_valid_isin(text: str) -> bool:
    """Shape and check digit both right (``US0378331005`` yes, ``US0378331006`` no)."""
    return bool(ISIN_SHAPE.fullmatch(text)) and isin_check_digit(text[:11]) == int(text[11])


# -- dates --------------------------------------------------------------------------------------

DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NS_PER_DAY = 86_400 * 10**9
_EPOCH = date(1970, 1, 1)
MIN_DATE = _EPOCH
"""The earliest date accepted: block times count ns from the epoch."""
MAX_DATE = date(2200, 12, 31)
"""The latest date accepted. A block time is an int64 of ns, which ends on 2262-04-11;
a cap well before it keeps every record and payment time (and any time a later rule
derives from a date) inside that range."""


def calendar_date(text: str) -> date | None:
    """``YYYY-MM-DD`` as a calendar date, or None if it is not a real date (2026-02-30)."""
    if not DATE_SHAPE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    """A calendar date from ``MIN_DATE`` to ``MAX_DATE``, else None."""
    found = calendar_date(text)
    return found if found is not None and MIN_DATE <= found <= MAX_DATE else None


def start_ns(day: date) -> int:
    """00:00 UTC of ``day`` in ns since the epoch: the moment that day begins on chain."""
    return (day - _EPOCH).days * _NS_PER_DAY


def date_of(time_ns: int) -> date:
    """The UTC calendar date a block time falls on."""
    return datetime.fromtimestamp(time_ns // 10**9, UTC).date()


# -- day counts ---------------------------------------------------------------------------------

ACT_360 = "ACT/360"
ACT_365F = "ACT/365F"
THIRTY_360 = "30/360"
DAY_COUNTS = (ACT_360, ACT_365F, THIRTY_360)


def thirty_360_days(start: date, end: date) -> int:
    """Days from ``start`` to ``end`` under 30/360 Bond Basis (ISDA 2006 Definitions 4.16(f)).

    D1 = 31 becomes 30; D2 = 31 becomes 30 only when D1 (after that change) is 30.
    No end-of-February rule (that is 30/360 US / the SIA variant): 28 Feb -> 31 Mar is 33
    days here (30E/360 would say 32), 31 Jan -> 28 Feb is 28.
    """
    d1 = 30 if start.day == 31 else start.day
    d2 = 30 if end.day == 31 and d1 == 30 else end.day
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def day_count_fraction(convention: str, start: date, end: date) -> tuple[int, int]:
    """The period's fraction of a year as ``(days, basis)``: the fraction is days / basis."""
    if convention == THIRTY_360:
        return thirty_360_days(start, end), 360
    actual = (end - start).days
    return actual, 360 if convention == ACT_360 else 365


def coupon_amount(quantity: int, face: int, rate_bps: int, fraction: tuple[int, int]) -> int:
    """``quantity × face × rate_bps × days / (10,000 × basis)``, rounded down (toward zero).

    One exact integer division: no intermediate rounding, so the amount is the
    mathematically exact value truncated to the cash asset's base unit. A negative
    quantity or day count (a period ending before it starts) is a programming error:
    it raises instead of becoming a negative payment.
    """
    days, basis = fraction
    if days < 0 or basis <= 0 or min(quantity, face, rate_bps) < 0:
        raise ValueError(f"no coupon for a negative period or quantity: {fraction}, {quantity}")
    return quantity * face * rate_bps * days // (10_000 * basis)


# -- wire codecs --------------------------------------------------------------------------------

ISIN = Text(max_len=12, check=is_valid_isin, what="an ISIN with a valid check digit")
DATE = Text(max_len=10, pattern=DATE_SHAPE.pattern, what="a date YYYY-MM-DD")
MAX_RATE_BPS = 10_000
"""100 % a year: the highest coupon rate accepted."""
MAX_PAYMENTS = 400
"""A 100-year bond paying quarterly: the longest schedule accepted."""
MAX_RECORD_DAYS = 365

BOND = "bond"
EQUITY = "equity"
KINDS = (BOND, EQUITY)

# security status
ACTIVE = "active"
CALLED = "called"
REDEEMED = "redeemed"
DEFAULTED = "defaulted"
SECURITY_STATUSES = (ACTIVE, CALLED, REDEEMED, DEFAULTED)

# payment kind and status
COUPON = "coupon"
REDEMPTION = "redemption"
CALL = "call"
SCHEDULED = "scheduled"
RECORDED = "recorded"
PAID = "paid"
DEFAULT = "defaulted"
CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Security(Record):
    """What this module keeps about a security; its units are the bank asset ``isin``.

    ``payments`` is the number of scheduled payments (coupons, the last one with the
    redemption); a call adds one more. ``remainder_account`` receives each payment's
    rounding remainder.
    """

    WHAT = "security"
    isin: str = wire(ISIN)
    kind: str = wire(OneOf(*KINDS))
    name: str = wire(ASSET_NAME)
    issuer: str = wire(ACCOUNT)
    cash_asset: str = wire(ASSET_SYMBOL)
    face_value: int = wire(AMOUNT)
    coupon_bps: int = wire(Integer(low=0, high=MAX_RATE_BPS))
    day_count: str = wire(OneOf(*DAY_COUNTS))
    issue_date: str = wire(DATE)
    maturity_date: str = wire(Text(max_len=10, allow_empty=True))
    record_days: int = wire(Integer(low=0, high=MAX_RECORD_DAYS))
    remainder_account: str = wire(ACCOUNT)
    payments: int = wire(Integer(low=0, high=MAX_PAYMENTS + 1))
    status: str = wire(OneOf(*SECURITY_STATUSES))


@dataclass(frozen=True, slots=True)
class Payment(Record):
    """One scheduled payment of a bond and, once made, its amounts.

    ``period_start``/``period_end``: the coupon's accrual period (equal for none).
    ``price``: principal paid per bond (face value at redemption, the call price at a
    call, 0 for a coupon). ``outstanding``: bonds outstanding at the record date;
    ``total``: what the issuer owes for them (coupon computed on ``outstanding`` plus
    ``price × outstanding``); ``paid``: the sum of the rounded holder payments;
    ``remainder``: ``total - paid``, to the remainder account.
    """

    WHAT = "payment"
    index: int = wire(Integer(low=0, high=MAX_PAYMENTS + 1))
    kind: str = wire(OneOf(COUPON, REDEMPTION, CALL))
    period_start: str = wire(DATE)
    period_end: str = wire(DATE)
    pay_date: str = wire(DATE)
    record_time: int = wire(TIME_NS)
    pay_time: int = wire(TIME_NS)
    price: int = wire(Amount(zero=True))
    status: str = wire(OneOf(SCHEDULED, RECORDED, PAID, DEFAULT, CANCELLED))
    outstanding: int = wire(Amount(zero=True), default=0)
    total: int = wire(Amount(zero=True), default=0)
    paid: int = wire(Amount(zero=True), default=0)
    remainder: int = wire(Amount(zero=True), default=0)


__all__ = [
    "ACT_360",
    "ACT_365F",
    "DAY_COUNTS",
    "ISIN",
    "MAX_DATE",
    "MIN_DATE",
    "THIRTY_360",
    "Payment",
    "Security",
    "calendar_date",
    "coupon_amount",
    "date_of",
    "day_count_fraction",
    "is_valid_isin",
    "isin_check_digit",
    "parse_date",
    "start_ns",
    "thirty_360_days",
]
