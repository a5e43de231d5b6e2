"""Token amounts: integers of an asset's smallest unit, carried as decimal strings.

DAG-CBOR integers stop at 64 bits while finchain amounts reach 2^127 - 1, and
JSON numbers lose precision past 2^53; a decimal string survives both. One
spelling per value: no sign, no leading zeros, no spaces.
"""

from __future__ import annotations

from finchain.codec.errors import ErrAmount

MAX_AMOUNT = 2**127 - 1
_MAX_DIGITS = len(str(MAX_AMOUNT))


def parse_amount(text: object, *, field: str = "amount") -> int:
    """Parse a strictly positive canonical decimal amount no larger than MAX_AMOUNT."""
    if not isinstance(text, str):
        raise ErrAmount(
            f'{field} must be a decimal string such as "100", got {type(text).__name__}'
        )
    if not text or len(text) > _MAX_DIGITS or not text.isascii() or not text.isdigit():
        raise ErrAmount(f"{field} {text[:50]!r} is not a positive decimal integer string")
    if text[0] == "0":
        raise ErrAmount(f"{field} must be greater than zero, without leading zeros; got {text!r}")
    value = int(text)
    if value > MAX_AMOUNT:
        raise ErrAmount(f"{field} {text} exceeds the maximum {MAX_AMOUNT} (2^127 - 1)")
    return value


def format_amount(value: int) -> str:
    """The canonical string of a non-negative amount (zero allowed for balances)."""
    if not 0 <= value <= MAX_AMOUNT:
        raise ErrAmount(f"amount {value} is outside 0..2^127-1")
    return str(value)
