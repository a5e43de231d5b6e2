"""Message builders of the securities module (see ``finchain.client.builders`` for the rest).

Each builds the message object and returns ``msg.to_raw()``: the wire form comes
from the message's declaration. Builders do not check their arguments; the chain
refuses a malformed message (``securities:2`` for a bad ISIN, ``tx:6`` for a
mistyped field).

Example::

    from finchain.client import securities_builders as sb

    issuer.sign(sb.register_bond(
        "CND100001239", "CGB 2029", cash_asset="CNY", face_value=10_000, coupon_bps=250,
        day_count="ACT/365F", issue_date="2026-01-15", maturity_date="2029-01-15",
        coupon_dates=["2027-01-15", "2028-01-15"], record_days=1, remainder_account=agent,
    ))
    issuer.sign(sb.issue("CND100001239", bank_a, 1_000))
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.codec import RawMsg
from finchain.modules.securities.messages import MsgCall, MsgIssue, MsgRegisterSecurity
from finchain.modules.securities.types import BOND, EQUITY


def register_bond(
    isin: str,
    name: str,
    *,
    cash_asset: str,
    face_value: int,
    coupon_bps: int,
    day_count: str,
    issue_date: str,
    maturity_date: str,
    remainder_account: str,
    coupon_dates: Sequence[str] = (),
    record_days: int = 1,
) -> RawMsg:
    """Register a bond issued by the signer.

    Parameters:
        isin: the ISO 6166 identifier (also the bank asset symbol of its units).
        face_value: one bond's face value in ``cash_asset`` base units.
        coupon_bps: the annual coupon rate in basis points (325 = 3.25 %).
        day_count: ``ACT/360``, ``ACT/365F`` or ``30/360`` (Bond Basis).
        coupon_dates: ``YYYY-MM-DD`` payment dates; maturity is appended if not last.
        record_days: holders of record are those at 00:00 UTC this many days before
            each payment date.
        remainder_account: receives the rounding remainder of each payment.
    """
    return MsgRegisterSecurity(
        isin=isin,
        kind=BOND,
        name=name,
        cash_asset=cash_asset,
        face_value=face_value,
        coupon_bps=coupon_bps,
        day_count=day_count,
        issue_date=issue_date,
        remainder_account=remainder_account,
        maturity_date=maturity_date,
        coupon_dates=tuple(coupon_dates),
        record_days=record_days,
    ).to_raw()


def register_equity(
    isin: str,
    name: str,
    *,
    cash_asset: str,
    nominal: int,
    issue_date: str,
    remainder_account: str,
) -> RawMsg:
    """Register shares issued by the signer (no coupon, no maturity)."""
    return MsgRegisterSecurity(
        isin=isin,
        kind=EQUITY,
        name=name,
        cash_asset=cash_asset,
        face_value=nominal,
        coupon_bps=0,
        day_count="ACT/365F",
        issue_date=issue_date,
        remainder_account=remainder_account,
    ).to_raw()


def issue(isin: str, to: str, amount: int) -> RawMsg:
    """Issue (mint) ``amount`` units of the signer's security to ``to``."""
    return MsgIssue(isin, to, amount).to_raw()


def call(isin: str, call_date: str, price: int) -> RawMsg:
    """Call the signer's bond on ``call_date`` at ``price`` (cash base units) per bond."""
    return MsgCall(isin, call_date, price).to_raw()
