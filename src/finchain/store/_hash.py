"""The store's one way to hash: a function chosen by the suite's hash name.

The store must not depend on ``finchain.crypto`` (it sits beside it), and both
names it needs are in the standard library, so it hashes as the proof
verifiers do (:func:`finchain.light.hashes.hash_function`), with its own error.
"""

from __future__ import annotations

from finchain.light.hashes import Hash
from finchain.light.hashes import hash_function as _hash_function
from finchain.store.errors import ErrUnknownHash

__all__ = ["HashFn", "hash_function"]

HashFn = Hash


def hash_function(name: str) -> HashFn:
    """Return ``H(data) -> 32-byte digest`` for ``"sm3"`` or ``"sha256"``.

    Raises ``store:9 ErrUnknownHash`` for another name, or for ``sm3`` on an
    OpenSSL without it.
    """
    try:
        return _hash_function(name)
    except ValueError as exc:
        raise ErrUnknownHash(str(exc), hash_name=name) from None
