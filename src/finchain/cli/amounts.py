"""Amounts as people write them (``12.50 CNY``) versus as the chain stores them (``1250``).

The chain keeps integers of an asset's smallest unit; the CLI takes and shows
decimal amounts scaled by the asset's ``decimals``, and never uses floats: a
binary float cannot hold 0.1, and money must round-trip exactly.
"""

from __future__ import annotations

import re

from finchain.cli.output import CliError
from finchain.codec import MAX_AMOUNT

_DECIMAL = re.compile(r"([0-9]+)(?:\.([0-9]+))?")


def to_units(text: str, decimals: int, *, what: str = "amount", allow_zero: bool = False) -> int:
    """``"12.5"`` with 2 decimals -> 1250; refuses more fractional digits than the asset has."""
    match = _DECIMAL.fullmatch(text.strip().replace("_", ""))
    if match is None:
        raise CliError(f"{what} {text!r} is not a decimal number such as 12.50")
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > decimals:
        raise CliError(
            f"{what} {text} has {len(fraction)} decimal places; this asset has {decimals}"
        )
    units: int = int(whole) * 10**decimals + int(fraction.ljust(decimals, "0") or "0")
    if units == 0 and not allow_zero:
        raise CliError(f"{what} must be greater than zero")
    if units > MAX_AMOUNT:
        raise CliError(f"{what} {text} is larger than the chain allows")
    return units


def from_units(units: int, decimals: int) -> str:
    """1250 with 2 decimals -> ``"12.50"``."""
    if decimals == 0:
        return str(units)
    text = str(units).rjust(decimals + 1, "0")
    return f"{text[:-decimals]}.{text[-decimals:]}"
