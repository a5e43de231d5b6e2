"""The records the cbdc module keeps, declared once (other modules may import this file)."""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import Amount, Integer, Record, Text, wire
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.bank.types import ASSET_SYMBOL

MAX_TIER = 4
"""Wallet tiers 1..4 (e-CNY's four wallet classes); tier 1 is the fully identified one.
Their limits are a later step of issue 15: this step only records the tier."""
WALLET_TIER = Integer(low=1, high=MAX_TIER)
RESERVE_REF = Text(max_len=64, what="a reserve-deposit reference")
AMOUNT = Amount()
QUOTA = Amount(zero=True)


@dataclass(frozen=True, slots=True)
class Config(Record):
    """The central bank's account and the CBDC asset it alone issues (set by governance)."""

    WHAT = "cbdc config"
    central_bank: str = wire(ACCOUNT)
    asset: str = wire(ASSET_SYMBOL)


@dataclass(frozen=True, slots=True)
class Operator(Record):
    """A tier-1 operator: its quota, and what is issued to it now (== its reserves' sum)."""

    WHAT = "operator"
    account: str = wire(ACCOUNT)
    quota: int = wire(QUOTA)
    issued: int = wire(QUOTA, default=0)


@dataclass(frozen=True, slots=True)
class Reserve(Record):
    """Reserve deposited 1:1 for CBDC issued to ``operator``, identified by ``reference``."""

    WHAT = "reserve"
    operator: str = wire(ACCOUNT)
    reference: str = wire(RESERVE_REF)
    amount: int = wire(AMOUNT)


@dataclass(frozen=True, slots=True)
class Wallet(Record):
    """A tier-2 wallet: the owner's account, the one operator it is under, its tier."""

    WHAT = "wallet"
    owner: str = wire(ACCOUNT)
    operator: str = wire(ACCOUNT)
    tier: int = wire(WALLET_TIER)
