"""Strict parsing of what clients send: one accepted spelling per value.

Base64 must be standard, padded and canonical (re-encoding gives the same
text), hex must be even-length: a lenient decoder would let two different
strings name the same transaction, which confuses caches, logs and audits.
"""

from __future__ import annotations

import base64
import binascii
import re

from finchain.node.api.errors import ErrBadParameter, ErrInvalidHex

TX_ID_BYTES = 32
MAX_HEIGHT = 2**63 - 1
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")
_DIGITS = re.compile(r"[0-9]{1,19}")


def decode_b64(text: str) -> bytes:
    """Standard padded base64 → bytes; ValueError names the problem."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ValueError(
            "not standard padded base64 (alphabet A-Z a-z 0-9 + /, '=' padding)"
        ) from None
    if not raw:
        raise ValueError("empty transaction")
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("non-canonical base64: unused bits must be zero")
    return raw


def parse_hex(text: str, *, what: str, size: int | None = None) -> bytes:
    """Hex → bytes, or ErrInvalidHex saying what was expected."""
    if not _HEX.fullmatch(text) or not text:
        raise ErrInvalidHex(f"{what} must be an even-length hex string", value=text[:100])
    raw = bytes.fromhex(text)
    if size is not None and len(raw) != size:
        raise ErrInvalidHex(
            f"{what} must be {size} bytes ({2 * size} hex characters), got {len(raw)}",
            value=text[:100],
        )
    return raw


def parse_tx_id(text: str) -> bytes:
    return parse_hex(text, what="tx id", size=TX_ID_BYTES)


def parse_block_height(text: str) -> int | None:
    """``latest`` → None, else a block height (>= 1)."""
    if text == "latest":
        return None
    if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= MAX_HEIGHT:
        raise ErrBadParameter(
            "block height must be 'latest' or an integer >= 1", parameter="height", value=text[:100]
        )
    return int(text)
