"""Messages of the cbdc module.

``cbdc/designate`` is governed. ``authorise``, ``issue`` and ``redeem`` are the
central bank's; ``open_wallet`` and ``distribute`` an operator's; ``withdraw``
a wallet owner's.
"""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import wire
from finchain.core.msgs import Msg
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.bank.types import ASSET_SYMBOL
from finchain.modules.cbdc.types import AMOUNT, QUOTA, RESERVE_REF, WALLET_TIER


@dataclass(frozen=True, slots=True)
class MsgDesignate(Msg):
    """Governance only: ``central_bank`` and the CBDC ``asset`` it issued and alone mints/burns."""

    TYPE = "cbdc/designate"
    GOVERNED = True
    central_bank: str = wire(ACCOUNT)
    asset: str = wire(ASSET_SYMBOL)


@dataclass(frozen=True, slots=True)
class MsgAuthorise(Msg):
    """The central bank authorises ``operator`` (tier 1) or changes its ``quota``."""

    TYPE = "cbdc/authorise"
    operator: str = wire(ACCOUNT)
    quota: int = wire(QUOTA)


@dataclass(frozen=True, slots=True)
class MsgIssue(Msg):
    """The central bank issues ``amount`` to ``operator`` against a new reserve ``reference``."""

    TYPE = "cbdc/issue"
    operator: str = wire(ACCOUNT)
    amount: int = wire(AMOUNT)
    reference: str = wire(RESERVE_REF)


@dataclass(frozen=True, slots=True)
class MsgRedeem(Msg):
    """The central bank takes ``amount`` back from ``operator`` (destroyed) and releases that
    much of reserve ``reference``."""

    TYPE = "cbdc/redeem"
    operator: str = wire(ACCOUNT)
    amount: int = wire(AMOUNT)
    reference: str = wire(RESERVE_REF)


@dataclass(frozen=True, slots=True)
class MsgOpenWallet(Msg):
    """An operator opens a wallet of ``tier`` for ``owner`` under itself."""

    TYPE = "cbdc/open_wallet"
    owner: str = wire(ACCOUNT)
    tier: int = wire(WALLET_TIER)


@dataclass(frozen=True, slots=True)
class MsgDistribute(Msg):
    """An operator moves ``amount`` of its float into one of its own wallets."""

    TYPE = "cbdc/distribute"
    wallet: str = wire(ACCOUNT)
    amount: int = wire(AMOUNT)


@dataclass(frozen=True, slots=True)
class MsgWithdraw(Msg):
    """A wallet owner returns ``amount`` to its own operator (cash-out at the operator)."""

    TYPE = "cbdc/withdraw"
    amount: int = wire(AMOUNT)


ALL_MSGS: tuple[type[Msg], ...] = (
    MsgDesignate,
    MsgAuthorise,
    MsgIssue,
    MsgRedeem,
    MsgOpenWallet,
    MsgDistribute,
    MsgWithdraw,
)
