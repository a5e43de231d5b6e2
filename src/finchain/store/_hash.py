"""The store's one way to hash: a function chosen by the suite's hash name.

The store must not depend on ``finchain.crypto`` (it sits below it), and both
names it needs are in the standard library: ``sha256`` directly and ``sm3``
through OpenSSL. The SM3 function copies a pre-built context, which skips
OpenSSL's algorithm lookup on every call (about a third faster).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from finchain.store.errors import ErrUnknownHash

HASH_NAMES = ("sm3", "sha256")
HashFn = Callable[[bytes], bytes]


def hash_function(name: str) -> HashFn:
    """Return ``H(data) -> 32-byte digest`` for ``"sm3"`` or ``"sha256"``."""
    if name == "sha256":
        sha256 = hashlib.sha256

        def h_sha256(data: bytes) -> bytes:
            return sha256(data).digest()

        return h_sha256
    if name == "sm3":
        try:
            copy = hashlib.new("sm3").copy
        except ValueError as exc:  # an OpenSSL build without SM3
            raise ErrUnknownHash("this Python's OpenSSL has no SM3", hash_name=name) from exc

        def h_sm3(data: bytes) -> bytes:
            ctx = copy()
            ctx.update(data)
            return ctx.digest()

        return h_sm3
    raise ErrUnknownHash(
        f"unknown hash {name!r}: use one of {', '.join(HASH_NAMES)}", hash_name=name
    )
