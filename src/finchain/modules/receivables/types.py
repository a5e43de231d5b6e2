"""Invoices: a supplier's claim on a buyer, confirmed by the buyer, held by whoever bought it.

The chain never sees the invoice document, only its hash (``hash_alg`` and
``hash``, spelled as the evidence module spells them). One document is one
invoice for the life of the chain: the document hash is the key of a unique
index that is never released, so the same document can be neither registered
nor financed twice, by anyone.

Lifecycle (``status``)::

    registered --buyer confirms--> confirmed --paid--> paid
                                       |  maturity, buyer short of cash
                                       v
                                    overdue --buyer pays / holder collects--> paid

Financing is not a status but a permanent mark (``financier``): a confirmed
invoice before maturity may be sold once to a bank at a price, after which it
keeps its status and can never be financed again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import (
    AMOUNT,
    DIGEST,
    HEIGHT,
    TIME_NS,
    Amount,
    Integer,
    OneOf,
    Record,
    Text,
    wire,
)
from finchain.modules.accounts.types import ACCOUNT, ACCOUNT_OR_NONE
from finchain.modules.bank.types import ASSET_SYMBOL
from finchain.modules.evidence.types import HASH_ALG

MAX_ID = 2**63 - 1

REGISTERED = "registered"
CONFIRMED = "confirmed"
OVERDUE = "overdue"
PAID = "paid"
STATUSES = (REGISTERED, CONFIRMED, OVERDUE, PAID)

INVOICE_ID = Integer(low=1, high=MAX_ID)
#: The supplier's invoice number (a fapiao or ERP number): unique per supplier.
REFERENCE = Text(max_len=64, pattern=r"[\x21-\x7e]+", what="printable ASCII without spaces")
STATUS = OneOf(*STATUSES)
AMOUNT_OR_ZERO = Amount(zero=True)


@dataclass(frozen=True, slots=True)
class Invoice(Record):
    """One invoice. Empty strings and zeros mark what has not happened yet.

    ``offer_bank``/``offer_price``: the holder's open offer to sell the claim
    (none when ``offer_bank`` is empty). ``financier``/``financed_price``: the
    bank that bought it, once. ``paid_to``: the holder at the time of payment.

    JSON form (queries, genesis): the fields, the hash as lowercase hex, and the
    derived ``financed``.
    """

    WHAT = "invoice"
    DERIVED = ("financed",)
    id: int = wire(INVOICE_ID)
    supplier: str = wire(ACCOUNT)
    buyer: str = wire(ACCOUNT)
    holder: str = wire(ACCOUNT)
    asset: str = wire(ASSET_SYMBOL)
    amount: int = wire(AMOUNT)
    maturity_ns: int = wire(TIME_NS)
    hash_alg: str = wire(HASH_ALG)
    hash: bytes = wire(DIGEST)
    reference: str = wire(REFERENCE)
    status: str = wire(STATUS)
    registered_height: int = wire(HEIGHT)
    confirmed_height: int = wire(HEIGHT)
    offer_bank: str = wire(ACCOUNT_OR_NONE)
    offer_price: int = wire(AMOUNT_OR_ZERO)
    financier: str = wire(ACCOUNT_OR_NONE)
    financed_price: int = wire(AMOUNT_OR_ZERO)
    financed_height: int = wire(HEIGHT)
    paid_to: str = wire(ACCOUNT_OR_NONE)
    paid_height: int = wire(HEIGHT)

    def check(self) -> None:
        """The fields agree with the status (so a genesis cannot smuggle in a half-state)."""
        problem = self.inconsistency()
        if problem:
            raise ErrInvalidMsg(f"invoice {self.id}: {problem}")

    def inconsistency(self) -> str:
        """What disagrees within the record ("" when nothing does); also an invariant."""
        if self.buyer == self.supplier:
            return "the buyer is the supplier"
        confirmed = self.status != REGISTERED
        if confirmed != (self.confirmed_height > 0):
            return "confirmed_height disagrees with the status"
        if not confirmed and (self.holder != self.supplier or self.financier or self.offer_bank):
            return "an unconfirmed invoice is held by its supplier, unfinanced, unoffered"
        if bool(self.offer_bank) != (self.offer_price > 0) or self.offer_price > self.amount:
            return "the offer is incomplete or above the face amount"
        if self.offer_bank and (self.status != CONFIRMED or self.financier):
            return "only a confirmed, unfinanced invoice can be on offer"
        financed = bool(self.financier)
        if financed != (self.financed_price > 0) or financed != (self.financed_height > 0):
            return "the financing fields are incomplete"
        if self.financed_price > self.amount:
            return "the financed price is above the face amount"
        paid = self.status == PAID
        if paid != bool(self.paid_to) or paid != (self.paid_height > 0):
            return "paid_to and paid_height disagree with the status"
        return ""

    @property
    def financed(self) -> bool:
        return bool(self.financier)

    @property
    def doc_key(self) -> tuple[str, bytes]:
        """What the document is found by: ``(hash_alg, hash)``."""
        return (self.hash_alg, self.hash)

    def without_offer(self) -> Invoice:
        return replace(self, offer_bank="", offer_price=0)
