"""Message builders of the receivables module, and the discount-price helper.

Each builder builds the message object and returns ``msg.to_raw()``: the wire
form comes from the message's declaration. Builders do not check their
arguments; the chain refuses a malformed message with ``tx:6`` (a zero amount
or price with ``receivables:12``).

Example::

    from finchain.client import receivables_builders as rb

    supplier.sign(rb.register(buyer_id, "CNY", 1_000_000, maturity_ns, "sha256", digest, "INV-7"))
    buyer.sign(rb.confirm(1))
    supplier.sign(rb.offer(1, bank_id, rb.discount_price(1_000_000, 450, 90)))
    bank.sign(rb.accept(1, "CNY", rb.discount_price(1_000_000, 450, 90)))
"""

from __future__ import annotations

from finchain.codec import RawMsg
from finchain.modules.receivables.messages import (
    MsgAccept,
    MsgCollect,
    MsgConfirm,
    MsgOffer,
    MsgPay,
    MsgRegister,
    MsgTransfer,
    MsgWithdrawOffer,
)

#: The day-count basis of ``discount_price``: ACT/360, the money-market convention
#: (China's interbank market quotes discount rates on ACT/360 as well).
DAYS_IN_YEAR = 360
_BPS = 10_000


def discount_price(face: int, rate_bps: int, days: int) -> int:
    """The price of a claim of ``face`` base units discounted at ``rate_bps`` for ``days``.

    Bank discount on ACT/360: ``discount = face * rate_bps * days / (10_000 * 360)``,
    rounded **up** to a whole base unit (the seller never receives a fraction more than
    the rate gives), and ``price = face - discount``, never below 0. Integers only.

    Parameters:
        face: the invoice's face amount, in base units.
        rate_bps: the annual discount rate in basis points (450 = 4.50 %).
        days: actual days from the purchase to maturity.
    """
    if face < 0 or rate_bps < 0 or days < 0:
        raise ValueError("face, rate_bps and days must not be negative")
    numerator = face * rate_bps * days
    denominator = _BPS * DAYS_IN_YEAR
    discount = -(-numerator // denominator)
    return max(face - discount, 0)


def register(
    buyer: str,
    asset: str,
    amount: int,
    maturity_ns: int,
    hash_alg: str,
    digest: bytes,
    reference: str,
) -> RawMsg:
    """Register an invoice on ``buyer`` (the signer is the supplier).

    Parameters:
        buyer: the account that owes ``amount`` and must confirm the invoice.
        asset, amount: the cash asset and the face amount in its base units.
        maturity_ns: when the buyer pays, ns since the epoch (after the block time).
        hash_alg, digest: the document's hash, with the chain suite's hash (sm3 on gm).
        reference: the supplier's invoice number, unique per supplier.
    """
    return MsgRegister(buyer, asset, amount, maturity_ns, hash_alg, digest, reference).to_raw()


def confirm(invoice_id: int) -> RawMsg:
    """The buyer confirms the invoice (it becomes a transferable, financeable claim)."""
    return MsgConfirm(invoice_id).to_raw()


def transfer(invoice_id: int, to: str) -> RawMsg:
    """The holder assigns the whole claim to ``to``."""
    return MsgTransfer(invoice_id, to).to_raw()


def offer(invoice_id: int, bank: str, price: int) -> RawMsg:
    """The holder offers the claim to ``bank`` for ``price`` base units of the invoice's asset."""
    return MsgOffer(invoice_id, bank, price).to_raw()


def withdraw_offer(invoice_id: int) -> RawMsg:
    """The holder withdraws its open offer."""
    return MsgWithdrawOffer(invoice_id).to_raw()


def accept(invoice_id: int, asset: str, price: int) -> RawMsg:
    """The offered bank buys the claim at the offer's ``price`` in ``asset``."""
    return MsgAccept(invoice_id, asset, price).to_raw()


def pay(invoice_id: int, asset: str, amount: int) -> RawMsg:
    """The buyer pays the face ``amount`` to the holder."""
    return MsgPay(invoice_id, asset, amount).to_raw()


def collect(invoice_id: int) -> RawMsg:
    """The holder of an overdue invoice retries the debit of the buyer."""
    return MsgCollect(invoice_id).to_raw()
