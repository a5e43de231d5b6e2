"""The two multibase encodings credentials use: base58btc (``z``) and base64url (``u``).

Keys and proof values are base58btc; a status list's ``encodedList`` is
base64url without padding. Decoding is strict so that one byte string has
exactly one accepted text form: a proof or key that could be spelled two ways
would let a tampered document keep a valid digest elsewhere (anchors, caches).
Both decoders take a length cap, because base58 decoding is quadratic and a
status list can be large: the caller states how much it is ready to accept.
"""

from __future__ import annotations

import base64
import re

from finchain.formats.errors import ErrMalformedMultibase

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {c: i for i, c in enumerate(BASE58_ALPHABET)}
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")

DEFAULT_MAX_CHARS = 1024
"""Keys and signatures fit well inside this; larger inputs must ask for more."""


def encode_base58btc(data: bytes) -> str:
    """``z`` + base58btc of ``data`` (leading zero bytes become leading ``1``)."""
    zeros = len(data) - len(data.lstrip(b"\x00"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, rem = divmod(number, 58)
        digits.append(BASE58_ALPHABET[rem])
    return "z" + "1" * zeros + "".join(reversed(digits))


def decode_base58btc(text: object, *, max_chars: int = DEFAULT_MAX_CHARS) -> bytes:
    """The bytes of a ``z``-prefixed base58btc multibase string.

    Raises ``ErrMalformedMultibase`` for a non-string, a missing or other
    prefix, a character outside the alphabet, or more than ``max_chars``.
    """
    body = _body(text, "z", "base58btc", max_chars)
    number = 0
    for char in body:
        digit = _BASE58_INDEX.get(char)
        if digit is None:
            raise ErrMalformedMultibase(
                f"{char!r} is not a base58btc character: the alphabet excludes 0, O, I and l"
            )
        number = number * 58 + digit
    zeros = len(body) - len(body.lstrip("1"))
    payload = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * zeros + payload


def encode_base64url(data: bytes) -> str:
    """``u`` + base64url of ``data`` without padding."""
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_base64url(text: object, *, max_chars: int = DEFAULT_MAX_CHARS) -> bytes:
    """The bytes of a ``u``-prefixed, unpadded base64url multibase string.

    Padding, characters outside the URL-safe alphabet, an impossible length and
    non-zero unused trailing bits are all refused (``ErrMalformedMultibase``).
    """
    body = _body(text, "u", "base64url", max_chars)
    if not _BASE64URL.fullmatch(body) or len(body) % 4 == 1:
        raise ErrMalformedMultibase(
            "base64url text must use only A-Z a-z 0-9 - _ without '=' padding"
        )
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    if encode_base64url(data)[1:] != body:
        raise ErrMalformedMultibase("base64url text has non-zero unused trailing bits")
    return data


def _body(text: object, prefix: str, name: str, max_chars: int) -> str:
    if not isinstance(text, str) or not text.startswith(prefix):
        shown = repr(text[:1]) if isinstance(text, str) else f"a {type(text).__name__}"
        raise ErrMalformedMultibase(
            f"expected a multibase {name} string starting with {prefix!r}, got {shown}"
        )
    if len(text) > max_chars:
        raise ErrMalformedMultibase(
            f"multibase {name} string is {len(text)} characters, more than the {max_chars} allowed"
        )
    return text[1:]
