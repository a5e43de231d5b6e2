"""Strict parsing of what clients send: one accepted spelling per value.

Base64 must be standard, padded and canonical (re-encoding gives the same
text), hex must be even-length, heights have no leading zeros: a lenient
decoder would let two different strings name the same transaction, which
confuses caches, logs and audits.

The ``*_PATTERN`` constants say the same rules in the ECMA-262 regex dialect of
JSON Schema; the OpenAPI document publishes them (``routes/common.py``), and
``tests/node/test_api_parse.py`` checks that pattern and parser agree.
"""

from __future__ import annotations

import base64
import binascii
import re

from finchain.node.api.errors import ErrBadParameter, ErrInvalidHex

TX_ID_BYTES = 32
MAX_HEIGHT = 2**63 - 1
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")
_HEIGHT = re.compile(r"[1-9][0-9]{0,18}")

#: A tx id: 32 bytes as hex, any case.
TX_ID_PATTERN = f"^[0-9a-fA-F]{{{2 * TX_ID_BYTES}}}$"
#: Canonical standard base64 with padding, at least one byte: the last character before
#: the padding may carry no unused bits (``QQ==`` is canonical, ``QR==`` is not).
BASE64_PATTERN = (
    "^(?:[A-Za-z0-9+/]{4})*"
    "(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)$"
)


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
    """``latest`` → None, else a block height in [1, 2^63 - 1] without leading zeros."""
    if text == "latest":
        return None
    if not _HEIGHT.fullmatch(text) or int(text) > MAX_HEIGHT:
        raise ErrBadParameter(
            f"block height must be 'latest' or an integer in [1, {MAX_HEIGHT}] "
            "without leading zeros",
            parameter="height",
            value=text[:100],
        )
    return int(text)
