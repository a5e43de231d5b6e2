"""Asset definitions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SYMBOL = re.compile(r"[A-Z][A-Z0-9-]{1,15}")
MAX_DECIMALS = 18


@dataclass(frozen=True, slots=True)
class Asset:
    """An asset and who may change its supply. ``max_supply`` 0 means unlimited."""

    symbol: str
    name: str
    decimals: int
    max_supply: int
    issuer: str
    minters: tuple[str, ...]
    burners: tuple[str, ...]

    def to_obj(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "name": self.name,
            "decimals": self.decimals,
            "max_supply": str(self.max_supply),
            "issuer": self.issuer,
            "minters": list(self.minters),
            "burners": list(self.burners),
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Asset:
        return cls(
            obj["symbol"],
            obj["name"],
            obj["decimals"],
            int(obj["max_supply"]),
            obj["issuer"],
            tuple(obj["minters"]),
            tuple(obj["burners"]),
        )
