"""Messages of the receivables module.

The supplier registers (``receivables/register``), the buyer confirms
(``confirm``); the holder may transfer the claim (``transfer``) or offer it to
a bank at a price (``offer``, ``withdraw_offer``), and the bank buys it
(``accept``), paying the price and taking the claim in one transition. The
buyer pays (``pay``) before maturity or once overdue; the chain collects at
maturity by itself; the holder of an overdue invoice may retry the collection
(``collect``).

Messages that move the signer's money (``accept``, ``pay``) name the asset and
amount they expect, so the signer's multi-factor rules see them before any
handler runs and a changed offer can never take more than was signed for.
"""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import DIGEST, TIME_NS, Checked, wire
from finchain.core.msgs import TRANSFER, Msg, Operation
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.bank.types import ASSET_SYMBOL
from finchain.modules.evidence.types import HASH_ALG
from finchain.modules.receivables.errors import ErrZeroAmount
from finchain.modules.receivables.types import AMOUNT_OR_ZERO, INVOICE_ID, REFERENCE


def _positive(value: int, name: str) -> int:
    if value == 0:
        raise ErrZeroAmount(f"field {name!r} must be a positive amount in base units, not 0")
    return value


#: An amount of at least 1 base unit; 0 is refused with ``receivables:12``.
POSITIVE = Checked(AMOUNT_OR_ZERO, _positive)


@dataclass(frozen=True, slots=True)
class MsgRegister(Msg):
    """The signer (supplier) registers an invoice on ``buyer`` for ``amount`` of ``asset``."""

    TYPE = "receivables/register"
    buyer: str = wire(ACCOUNT)
    asset: str = wire(ASSET_SYMBOL)
    amount: int = wire(POSITIVE)
    maturity_ns: int = wire(TIME_NS)
    hash_alg: str = wire(HASH_ALG)
    hash: bytes = wire(DIGEST)
    reference: str = wire(REFERENCE)


@dataclass(frozen=True, slots=True)
class MsgConfirm(Msg):
    """The signer (the buyer) acknowledges the debt: the invoice becomes a claim."""

    TYPE = "receivables/confirm"
    id: int = wire(INVOICE_ID)


@dataclass(frozen=True, slots=True)
class MsgTransfer(Msg):
    """The holder assigns the whole claim to ``to`` (an open offer lapses)."""

    TYPE = "receivables/transfer"
    id: int = wire(INVOICE_ID)
    to: str = wire(ACCOUNT)


@dataclass(frozen=True, slots=True)
class MsgOffer(Msg):
    """The holder offers the claim to ``bank`` for ``price`` of the invoice's asset."""

    TYPE = "receivables/offer"
    id: int = wire(INVOICE_ID)
    bank: str = wire(ACCOUNT)
    price: int = wire(POSITIVE)


@dataclass(frozen=True, slots=True)
class MsgWithdrawOffer(Msg):
    """The holder withdraws its open offer."""

    TYPE = "receivables/withdraw_offer"
    id: int = wire(INVOICE_ID)


@dataclass(frozen=True, slots=True)
class MsgAccept(Msg):
    """The named bank buys the claim: ``price`` of ``asset`` to the holder, the claim to it."""

    TYPE = "receivables/accept"
    ASSET_OPERATION = True
    id: int = wire(INVOICE_ID)
    asset: str = wire(ASSET_SYMBOL)
    price: int = wire(POSITIVE)

    def sensitive_operations(self) -> tuple[Operation, ...]:
        return (Operation(TRANSFER, self.asset, self.price),)


@dataclass(frozen=True, slots=True)
class MsgPay(Msg):
    """The buyer pays the face ``amount`` of ``asset`` to whoever holds the claim."""

    TYPE = "receivables/pay"
    ASSET_OPERATION = True
    id: int = wire(INVOICE_ID)
    asset: str = wire(ASSET_SYMBOL)
    amount: int = wire(POSITIVE)

    def sensitive_operations(self) -> tuple[Operation, ...]:
        return (Operation(TRANSFER, self.asset, self.amount),)


@dataclass(frozen=True, slots=True)
class MsgCollect(Msg):
    """The holder of an overdue invoice asks the chain to debit the buyer again."""

    TYPE = "receivables/collect"
    id: int = wire(INVOICE_ID)


ALL_MSGS: tuple[type[Msg], ...] = (
    MsgRegister,
    MsgConfirm,
    MsgTransfer,
    MsgOffer,
    MsgWithdrawOffer,
    MsgAccept,
    MsgPay,
    MsgCollect,
)
