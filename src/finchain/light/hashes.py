"""The two hashes a chain's suite can pick, from the standard library alone.

``sha256`` comes from ``hashlib`` directly and ``sm3`` through the OpenSSL that
``hashlib`` wraps. The SM3 function copies a pre-built context, which skips
OpenSSL's algorithm lookup on every call (about a third faster on the short
inputs of Merkle trees). Every function of this package that takes a hash
*name* (``"sm3"`` / ``"sha256"``) hashes through :func:`hash_function`; the
ones that take a hash *function* (``h``) accept any ``bytes -> 32 bytes``
callable, such as ``finchain.crypto.hasher(name)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

__all__ = ["HASH_NAMES", "Hash", "hash_function"]

HASH_NAMES = ("sm3", "sha256")
Hash = Callable[[bytes], bytes]
"""``H(data) -> digest``: what the tree and header functions hash with."""


def hash_function(name: str) -> Hash:
    """``H(data) -> 32-byte digest`` for ``"sm3"`` or ``"sha256"``.

    Raises ValueError for any other name, or for ``sm3`` when this Python's
    OpenSSL has no SM3.
    """
    if name == "sha256":
        sha256 = hashlib.sha256

        def h_sha256(data: bytes) -> bytes:
            return sha256(data).digest()

        return h_sha256
    if name == "sm3":
        try:
            copy = hashlib.new("sm3").copy
        except ValueError:  # an OpenSSL build without SM3
            raise ValueError("this Python's OpenSSL has no SM3") from None

        def h_sm3(data: bytes) -> bytes:
            ctx = copy()
            ctx.update(data)
            return ctx.digest()

        return h_sm3
    raise ValueError(f"unknown hash {name!r}: use one of {', '.join(HASH_NAMES)}")
