"""Messages of the securities module: each field declared once (``finchain.core.fields``).

Field rules whose refusal a market participant must tell apart (a wrong ISIN check
digit, an unknown day count, a rate out of range, a bad date) raise this module's own
codes, not the generic ``tx:6``: the ``Checked`` codecs below and each message's ``check``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from finchain.core.fields import AMOUNT, Checked, Integer, ListOf, OneOf, Text, wire
from finchain.core.msgs import Msg
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.bank.types import ASSET_NAME, ASSET_SYMBOL
from finchain.modules.securities.errors import (
    ErrBadDate,
    ErrBadIsin,
    ErrBadRecordDate,
    ErrBadTerms,
    ErrDateOutOfRange,
    ErrMaturityBeforeIssue,
    ErrRateOutOfRange,
    ErrScheduleNotIncreasing,
    ErrUnknownDayCount,
)
from finchain.modules.securities.types import (
    BOND,
    DAY_COUNTS,
    EQUITY,
    KINDS,
    MAX_DATE,
    MAX_PAYMENTS,
    MAX_RATE_BPS,
    MAX_RECORD_DAYS,
    MIN_DATE,
    calendar_date,
    is_valid_isin,
    parse_date,
)


def _isin(value: str, name: str) -> str:
    if not is_valid_isin(value):
        raise ErrBadIsin(
            f"field {name!r}: {value[:16]!r} is not an ISIN (2 letters, 9 letters or digits, "
            "a check digit per ISO 6166): check the identifier and its last digit"
        )
    return value


def _rate(value: int, name: str) -> int:
    if value > MAX_RATE_BPS:
        raise ErrRateOutOfRange(
            f"field {name!r}: {value} bps is above {MAX_RATE_BPS} (100 % a year); "
            "give the annual rate in basis points (3.25 % = 325)"
        )
    return value


def _day_count(value: str, name: str) -> str:
    if value not in DAY_COUNTS:
        raise ErrUnknownDayCount(
            f"field {name!r}: {value[:16]!r} is not one of {', '.join(DAY_COUNTS)}"
        )
    return value


def _date(value: str, name: str) -> str:
    if parse_date(value) is None:
        if calendar_date(value) is not None:
            raise ErrDateOutOfRange(
                f"field {name!r}: {value} is outside {MIN_DATE.isoformat()} .. "
                f"{MAX_DATE.isoformat()}, the dates this chain can schedule"
            )
        raise ErrBadDate(f"field {name!r}: {value[:16]!r} is not a calendar date YYYY-MM-DD")
    return value


ISIN_FIELD = Checked(Text(max_len=32), _isin)
RATE_FIELD = Checked(Integer(low=0, high=2**63 - 1), _rate)
DAY_COUNT_FIELD = Checked(Text(max_len=16), _day_count)
DATE_FIELD = Checked(Text(max_len=16), _date)


def payment_dates(coupon_dates: tuple[str, ...], maturity: str) -> tuple[date, ...]:
    """The payment dates of a bond: its coupon dates, then maturity if not already the last."""
    dates = [d for d in (parse_date(c) for c in coupon_dates) if d is not None]
    end = parse_date(maturity)
    if end is not None and (not dates or dates[-1] != end):
        dates.append(end)
    return tuple(dates)


@dataclass(frozen=True, slots=True)
class MsgRegisterSecurity(Msg):
    """Register a security issued by the signer; its units become bank asset ``isin``.

    A bond pays a coupon on each of ``coupon_dates`` (accrued from the previous date,
    the first from ``issue_date``) and its face value with the last coupon at
    ``maturity_date`` (appended to the schedule if not its last date). Holders of
    record are those at 00:00 UTC ``record_days`` days before each payment date. An
    equity has no rate, dates or maturity (coupon_bps 0, lists empty).
    """

    TYPE = "securities/register"
    isin: str = wire(ISIN_FIELD)
    kind: str = wire(OneOf(*KINDS))
    name: str = wire(ASSET_NAME)
    cash_asset: str = wire(ASSET_SYMBOL)
    face_value: int = wire(AMOUNT)
    coupon_bps: int = wire(RATE_FIELD)
    day_count: str = wire(DAY_COUNT_FIELD)
    issue_date: str = wire(DATE_FIELD)
    remainder_account: str = wire(ACCOUNT)
    maturity_date: str = wire(Text(max_len=16, allow_empty=True), default="")
    coupon_dates: tuple[str, ...] = wire(ListOf(DATE_FIELD, max_items=MAX_PAYMENTS), default=())
    record_days: int = wire(Integer(low=0, high=MAX_RECORD_DAYS), default=1)

    def check(self) -> None:
        """The terms agree with each other (all stateless)."""
        issue = parse_date(self.issue_date)
        assert issue is not None  # DATE_FIELD checked it
        if self.kind == EQUITY:
            if self.coupon_bps or self.coupon_dates or self.maturity_date:
                raise ErrBadTerms(
                    "an equity has no coupon rate, coupon dates or maturity: leave them out"
                )
            return
        if not self.maturity_date:
            raise ErrBadTerms("a bond needs a maturity_date")
        maturity = parse_date(_date(self.maturity_date, "maturity_date"))
        assert maturity is not None
        if maturity <= issue:
            raise ErrMaturityBeforeIssue(
                f"maturity {self.maturity_date} is not after the issue date {self.issue_date}"
            )
        previous = issue
        for text in self.coupon_dates:
            current = parse_date(text)
            assert current is not None
            if current <= previous:
                raise ErrScheduleNotIncreasing(
                    f"coupon date {text} is not after {previous.isoformat()}: list the dates "
                    "in increasing order, each after the issue date"
                )
            previous = current
        if previous > maturity:
            raise ErrBadTerms(f"coupon date {previous.isoformat()} is after maturity")
        dates = payment_dates(self.coupon_dates, self.maturity_date)
        if len(dates) > MAX_PAYMENTS:
            raise ErrBadTerms(f"a schedule holds at most {MAX_PAYMENTS} payments")
        check_record_dates(dates, issue, self.record_days)


def check_record_dates(dates: tuple[date, ...], issue: date, record_days: int) -> None:
    """Each record date is before its payment date and not before the previous payment date
    (or the issue date): one snapshot per payment, taken after the previous payment."""
    if record_days < 1:
        raise ErrBadRecordDate(
            "record_days must be at least 1: the record date comes before the payment date"
        )
    previous = issue
    for pay in dates:
        record = pay - timedelta(days=record_days)
        if record < previous:
            raise ErrBadRecordDate(
                f"record date {record.isoformat()} of the payment on {pay.isoformat()} is "
                f"before {previous.isoformat()}: use fewer record_days"
            )
        previous = pay


@dataclass(frozen=True, slots=True)
class MsgIssue(Msg):
    """The issuer issues (mints) ``amount`` units of its security to ``to``."""

    TYPE = "securities/issue"
    ASSET_OPERATION = True
    isin: str = wire(ISIN_FIELD)
    to: str = wire(ACCOUNT)
    amount: int = wire(AMOUNT)


@dataclass(frozen=True, slots=True)
class MsgCall(Msg):
    """The issuer calls its bond early: on ``call_date`` holders of record receive ``price``
    per bond (plus the coupon accrued since the last payment) and the bonds are burned."""

    TYPE = "securities/call"
    ASSET_OPERATION = True
    isin: str = wire(ISIN_FIELD)
    call_date: str = wire(DATE_FIELD)
    price: int = wire(AMOUNT)


ALL_MSGS: tuple[type[Msg], ...] = (MsgRegisterSecurity, MsgIssue, MsgCall)

__all__ = ["ALL_MSGS", "BOND", "MsgCall", "MsgIssue", "MsgRegisterSecurity", "payment_dates"]
