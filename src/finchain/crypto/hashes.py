"""SM3 and SHA-256, the two hashes a chain's suite can pick.

Merkle trees call a hash millions of times on 33..65-byte inputs, so per-call
overhead matters more than bulk speed. Measured on this project's 2-core box
(64-byte input): ``gmssl_pyx.sm3_hash`` 2.4M calls/s, a pre-made
``hashlib.new("sm3")`` copied per call 1.7M/s, ``hashlib.new("sm3", d)`` 1.1M/s,
cryptography's ``Hash(SM3())`` 0.87M/s; bulk speed is ~380-400 MB/s for all.
But gmssl-pyx holds the GIL while it hashes, and ``hashlib`` releases it from
2048 bytes on: two threads hashing large blocks get twice the throughput. So
SM3 goes through gmssl-pyx below 2048 bytes and OpenSSL's ``hashlib`` from
there (the size test costs ~4% on small inputs), with cryptography's SM3 as the
last fallback. The functions take ``bytes`` (gmssl rejects bytearray and
memoryview); convert a buffer with ``bytes(buf)`` first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from finchain.crypto.errors import ErrUnknownHash, named

HASH_NAMES: tuple[str, ...] = ("sm3", "sha256")
DIGEST_SIZE = 32
GIL_RELEASE_SIZE = 2048
"""From this input size on, ``hashlib`` hashes without holding the GIL."""

_sha256 = hashlib.sha256
_hashlib_new = hashlib.new


def sha256(data: bytes) -> bytes:
    """SHA-256 of ``data``."""
    return _sha256(data).digest()


def _pick_sm3() -> Callable[[bytes], bytes]:
    """The fastest SM3 available here (see the module docstring for the figures)."""
    try:
        _hashlib_new("sm3")
        have_hashlib = True
    except ValueError:  # pragma: no cover - OpenSSL built without SM3
        have_hashlib = False
    try:
        from gmssl_pyx import sm3_hash
    except ImportError:  # pragma: no cover - gmssl-pyx is a declared dependency
        return _sm3_hashlib if have_hashlib else _sm3_cryptography
    if sm3_hash(b"abc") != _SM3_ABC:  # pragma: no cover - a broken binary build
        return _sm3_hashlib if have_hashlib else _sm3_cryptography
    if not have_hashlib:  # pragma: no cover
        return sm3_hash  # type: ignore[no-any-return]

    def sm3_split(data: bytes, _small: Callable[[bytes], bytes] = sm3_hash) -> bytes:
        if len(data) < GIL_RELEASE_SIZE:
            return _small(data)
        return _hashlib_new("sm3", data).digest()

    return sm3_split


def _sm3_hashlib(data: bytes) -> bytes:
    return _hashlib_new("sm3", data).digest()


def _sm3_cryptography(data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes

    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


# GB/T 32905-2016 appendix A.1; guards against a broken binary build.
_SM3_ABC = bytes.fromhex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")

sm3: Callable[[bytes], bytes] = _pick_sm3()

_HASHERS: dict[str, Callable[[bytes], bytes]] = {"sm3": sm3, "sha256": sha256}


def hasher(hash_name: str) -> Callable[[bytes], bytes]:
    """The fastest ``bytes -> digest`` callable for ``hash_name``.

    Look it up once, outside the loop::

        h = hasher(suite.hash_name)
        parent = h(b"\\x01" + left + right)

    Parameters:
        hash_name: one of :data:`HASH_NAMES`.

    Raises ``ErrUnknownHash`` for any other name.
    """
    return named(_HASHERS, hash_name, ErrUnknownHash, "hash")


def hash_bytes(hash_name: str, data: bytes) -> bytes:
    """The 32-byte digest of ``data`` under ``hash_name`` ("sm3" or "sha256").

    Raises ``ErrUnknownHash`` for any other name.
    """
    return hasher(hash_name)(data)
