"""Event types and constructors of the lending module (attributes in a fixed order).

Cash and collateral movements also emit the bank's own events (``transfer``,
``amount_frozen``, ``amount_unfrozen``) and the escrow module's (``escrow_created``,
``escrow_refunded``, ``escrow_released`` for the collateral); these say why they happened.
"""

from __future__ import annotations

from finchain.core.events import Event

LOAN_OFFERED = "loan_offered"
LOAN_CANCELLED = "loan_cancelled"
LOAN_LAPSED = "loan_lapsed"
LOAN_ORIGINATED = "loan_originated"
INSTALMENT_PAID = "instalment_paid"
INSTALMENT_MISSED = "instalment_missed"
LOAN_REPAID = "loan_repaid"
REPAYMENT = "loan_repayment"
COLLATERAL_ADDED = "collateral_added"
MARGIN_CALL = "margin_call"
MARGIN_CALL_CURED = "margin_call_cured"
ARREARS_CURED = "arrears_cured"
LOAN_DEFAULTED = "loan_defaulted"
RELEASE_BLOCKED = "collateral_release_blocked"
COLLATERAL_RELEASED = "collateral_released"
ORACLE_APPOINTED = "oracle_appointed"
PRICE_POSTED = "price_posted"


def loan(kind: str, loan_id: int, *attrs: tuple[str, str]) -> Event:
    """A loan lifecycle event: ``loan_id`` first, then ``attrs`` in the caller's fixed order."""
    return Event(kind, (("loan_id", str(loan_id)), *attrs))


def oracle_appointed(oracle: str, max_age_ns: int) -> Event:
    return Event(ORACLE_APPOINTED, (("oracle", oracle), ("max_age_ns", str(max_age_ns))))


def price_posted(asset: str, quote: str, numerator: int, denominator: int, at: int) -> Event:
    return Event(
        PRICE_POSTED,
        (
            ("asset", asset),
            ("quote", quote),
            ("numerator", str(numerator)),
            ("denominator", str(denominator)),
            ("observed_at", str(at)),
        ),
    )
