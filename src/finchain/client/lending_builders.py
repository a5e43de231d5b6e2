"""Message builders of the lending module (see ``finchain.client.builders`` for the rest).

Each builds the message object and returns ``msg.to_raw()``: the wire form comes
from the message's declaration. Builders do not check their arguments; the chain
refuses a malformed message with ``tx:6`` and bad terms with a ``lending`` code.

Example::

    from finchain.client import lending_builders as lb

    lender.sign(lb.offer(borrower_id, "CNY", 1_000_000_00, rate_bps=450,
                         due_times=[t1, t2, t3], collateral_asset="BOND-26",
                         collateral=2_000_000, max_ltv_bps=6000, margin_ltv_bps=8000,
                         margin_cure_s=86_400, grace_s=3 * 86_400))
    borrower.sign(lb.accept(loan_id))
    borrower.sign(lb.repay(loan_id, "CNY", 250_000_00))
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.codec import RawMsg
from finchain.modules.lending.messages import (
    MsgAccept,
    MsgAddCollateral,
    MsgAppointOracle,
    MsgCancelOffer,
    MsgOffer,
    MsgPostPrice,
    MsgRepay,
)
from finchain.modules.lending.types import EQUAL_PRINCIPAL


def offer(
    borrower: str,
    asset: str,
    principal: int,
    *,
    rate_bps: int,
    due_times: Sequence[int],
    collateral_asset: str,
    collateral: int,
    max_ltv_bps: int,
    margin_ltv_bps: int,
    margin_cure_s: int,
    grace_s: int,
    schedule: str = EQUAL_PRINCIPAL,
) -> RawMsg:
    """Offer ``borrower`` a loan of ``principal`` base units of ``asset`` (signed by the lender).

    Parameters:
        rate_bps: interest a year in basis points (ACT/365F), 0 to 10000.
        due_times: instalment dates, ns since the epoch, strictly increasing.
        schedule: ``equal_principal`` or ``bullet``.
        collateral_asset / collateral: what the borrower locks at acceptance.
        max_ltv_bps: loan-to-value limit at origination (and to cure a margin call).
        margin_ltv_bps: above it, a posted price opens a margin call.
        margin_cure_s: seconds to cure a margin call before default.
        grace_s: seconds a missed instalment may stay unpaid before default.
    """
    return MsgOffer(
        borrower,
        asset,
        principal,
        rate_bps,
        schedule,
        tuple(due_times),
        collateral_asset,
        collateral,
        max_ltv_bps,
        margin_ltv_bps,
        margin_cure_s,
        grace_s,
    ).to_raw()


def cancel(loan_id: int) -> RawMsg:
    """Withdraw an offer not yet accepted (the lender)."""
    return MsgCancelOffer(loan_id).to_raw()


def accept(loan_id: int) -> RawMsg:
    """Accept an offer (the borrower): collateral locked in escrow, principal received."""
    return MsgAccept(loan_id).to_raw()


def repay(loan_id: int, asset: str, amount: int) -> RawMsg:
    """Pay ``amount`` of ``asset``, the loan's cash asset, now (the borrower)."""
    return MsgRepay(loan_id, asset, amount).to_raw()


def add_collateral(loan_id: int, amount: int) -> RawMsg:
    """Lock ``amount`` more collateral (the borrower)."""
    return MsgAddCollateral(loan_id, amount).to_raw()


def appoint_oracle(oracle: str, max_age_s: int) -> RawMsg:
    """For a governance proposal's ``exec`` action: appoint the price oracle."""
    return MsgAppointOracle(oracle, max_age_s).to_raw()


def post_price(
    asset: str, quote: str, numerator: int, denominator: int, observed_at: int
) -> RawMsg:
    """The oracle: one base unit of ``asset`` is worth ``numerator / denominator`` of ``quote``."""
    return MsgPostPrice(asset, quote, numerator, denominator, observed_at).to_raw()
