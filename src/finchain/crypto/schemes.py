"""The scheme registry and the signature hot path.

``verify_signature`` is what the transaction ante chain calls for every
signature of every transaction, with the raw bytes found in the transaction.
It never raises (a malformed input is just an invalid signature) and keeps an
LRU of parsed public keys: parsing can be costly (SM2 checks the point and
computes Z, secp256k1 decodes the point), and the same accounts sign again
and again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from finchain.crypto import ed25519, secp256k1, sm2
from finchain.crypto.errors import ErrUnknownScheme, named
from finchain.crypto.keys import PrivateKey, PublicKey


@dataclass(frozen=True, slots=True)
class _Scheme:
    load_public_key: Callable[[bytes], PublicKey]
    generate: Callable[[], PrivateKey]
    from_secret: Callable[[bytes], PrivateKey]


_SCHEMES: dict[str, _Scheme] = {
    ed25519.NAME: _Scheme(ed25519.load_public_key, ed25519.generate, ed25519.Ed25519PrivateKey),
    sm2.NAME: _Scheme(sm2.load_public_key, sm2.generate, sm2.Sm2PrivateKey),
    secp256k1.NAME: _Scheme(
        secp256k1.load_public_key, secp256k1.generate, secp256k1.Secp256k1PrivateKey
    ),
}

SCHEMES: tuple[str, ...] = tuple(_SCHEMES)
"""Every signature scheme finchain accepts: ``("ed25519", "sm2", "secp256k1")``."""

PUBLIC_KEY_CACHE_SIZE = 65_536
"""How many parsed public keys ``verify_signature`` keeps (about 16 MB for SM2): the signing
accounts of a busy chain should all fit, or every transaction pays the parse again."""


def _scheme(name: str) -> _Scheme:
    return named(_SCHEMES, name, ErrUnknownScheme, "signature scheme")


def generate_private_key(scheme: str) -> PrivateKey:
    """A new random key of ``scheme``.

    Example::

        key = generate_private_key("sm2")
        keystore.import_key("alice", "sm2", key.secret_bytes(), passphrase)

    Raises ``ErrUnknownScheme``.
    """
    return _scheme(scheme).generate()


def private_key_from_bytes(scheme: str, secret: bytes) -> PrivateKey:
    """The key whose raw 32-byte secret is ``secret``.

    Parameters:
        scheme: one of :data:`SCHEMES`.
        secret: ed25519: the RFC 8032 seed; sm2: d in [1, n-2]; secp256k1: d
            in [1, n-1]; both big-endian.

    Raises ``ErrUnknownScheme``, or ``ErrInvalidKey`` (without echoing the secret).
    """
    return _scheme(scheme).from_secret(secret)


def public_key_from_bytes(scheme: str, data: bytes) -> PublicKey:
    """Parse and validate the canonical encoding of a public key.

    Parameters:
        scheme: one of :data:`SCHEMES`.
        data: ed25519: 32 bytes; sm2: 65 bytes ``04||X||Y``; secp256k1: 33
            bytes compressed. Other encodings of the same point are refused,
            so a key has one byte form (it is used as an identifier).

    Raises ``ErrUnknownScheme`` or ``ErrInvalidKey`` (wrong length or prefix,
    not a point of the curve).
    """
    return _scheme(scheme).load_public_key(data)


@lru_cache(maxsize=PUBLIC_KEY_CACHE_SIZE)
def _cached_public_key(scheme: str, data: bytes) -> PublicKey:
    # Raises for bad input, and lru_cache does not cache exceptions: a flood
    # of garbage keys cannot evict the keys that actually sign.
    return _SCHEMES[scheme].load_public_key(data)


def verify_signature(scheme: str, public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True iff ``signature`` is ``public_key``'s valid signature of ``message``.

    Never raises: an unknown scheme, a malformed key, a malformed signature or
    an argument of the wrong type all give False. Parsed keys are cached
    (:data:`PUBLIC_KEY_CACHE_SIZE`, least recently used evicted).

    Example::

        if not verify_signature(sig.scheme, sig.public_key, sign_bytes, sig.signature):
            raise ErrUnauthorized(...)
    """
    if scheme == ed25519.NAME:
        return ed25519.verify_raw(public_key, message, signature)
    try:
        key = _cached_public_key(scheme, public_key)
    except Exception:
        return False
    return key.verify(message, signature)


def public_key_cache_clear() -> None:
    """Empty the parsed-key cache (tests and benchmarks measure cold parsing)."""
    _cached_public_key.cache_clear()
