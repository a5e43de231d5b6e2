"""Asset definitions, and the field codecs of the bank's values (declared once, reused)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from finchain.core.fields import Amount, Integer, ListOf, Record, Text, wire
from finchain.modules.accounts.types import ACCOUNT

SYMBOL = re.compile(r"[A-Z][A-Z0-9-]{1,15}")
MAX_DECIMALS = 18
MAX_AUTHORITIES = 16

#: An asset symbol (``CNY``, ``BOND-26``).
ASSET_SYMBOL = Text(max_len=16, pattern=SYMBOL.pattern, what="an asset symbol")
#: An asset's display name.
ASSET_NAME = Text(max_len=64)
#: How many decimals an amount of the asset has (0 to 18).
DECIMALS = Integer(low=0, high=MAX_DECIMALS)
#: "0" (no maximum) or an amount.
MAX_SUPPLY = Amount(zero=True)
#: Who may mint or burn: up to 16 distinct accounts, held (and encoded) in sorted order.
AUTHORITIES = ListOf(ACCOUNT, max_items=MAX_AUTHORITIES, unique=True, sort=True)


@dataclass(frozen=True, slots=True)
class Asset(Record):
    """An asset and who may change its supply. ``max_supply`` 0 means unlimited."""

    WHAT = "asset"
    symbol: str = wire(ASSET_SYMBOL)
    name: str = wire(ASSET_NAME)
    decimals: int = wire(DECIMALS)
    max_supply: int = wire(MAX_SUPPLY)
    issuer: str = wire(ACCOUNT)
    minters: tuple[str, ...] = wire(AUTHORITIES)
    burners: tuple[str, ...] = wire(AUTHORITIES)
