"""ECDSA over secp256k1 with SHA-256, through coincurve (libsecp256k1).

The optional third scheme, for keys that already live in secp256k1 wallets
or HSMs. On the wire: a 33-byte compressed public key and a 64-byte compact
``r || s`` signature. libsecp256k1 signs with low s and its verifier accepts
only low s, so each (key, message) has one valid signature encoding.
"""

from __future__ import annotations

import coincurve
from coincurve.ecdsa import cdata_to_der, deserialize_compact

from finchain.crypto.errors import ErrInvalidKey
from finchain.crypto.keys import PrivateKey, PublicKey, describe

NAME = "secp256k1"
PUBLIC_KEY_SIZE = 33
SECRET_SIZE = 32
SIGNATURE_SIZE = 64


class _Verifier:
    __slots__ = ("_key",)

    def __init__(self, key: coincurve.PublicKey) -> None:
        self._key = key

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            if len(signature) != SIGNATURE_SIZE:
                return False
            # deserialize_compact refuses r or s >= n; verify refuses 0 and high s.
            der = cdata_to_der(deserialize_compact(signature))
            return bool(self._key.verify(der, message))
        except Exception:
            return False


def load_public_key(data: bytes) -> PublicKey:
    """Parse a compressed point (``02``/``03`` || X); ``ErrInvalidKey`` if off the curve."""
    if not isinstance(data, bytes) or len(data) != PUBLIC_KEY_SIZE or data[0] not in (2, 3):
        raise ErrInvalidKey(
            f"a secp256k1 public key is {PUBLIC_KEY_SIZE} bytes, compressed (02 or 03 || X), "
            f"got {describe(data)}"
        )
    try:
        key = coincurve.PublicKey(data)
    except ValueError:
        raise ErrInvalidKey("secp256k1 public key is not a point of the curve") from None
    return PublicKey(NAME, data, _Verifier(key).verify)


class Secp256k1PrivateKey(PrivateKey):
    """A secp256k1 signing key; its secret is the 32-byte big-endian scalar in [1, n-1]."""

    __slots__ = ("_key",)
    scheme = NAME

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes) or len(secret) != SECRET_SIZE:
            raise ErrInvalidKey(
                f"a secp256k1 secret is {SECRET_SIZE} bytes, got {describe(secret)}"
            )
        try:
            key = coincurve.PrivateKey(secret)
        except ValueError:
            raise ErrInvalidKey(
                "secp256k1 secret is out of range: it must be in [1, n-1]"
            ) from None
        public = key.public_key
        super().__init__(PublicKey(NAME, public.format(compressed=True), _Verifier(public).verify))
        self._key = key

    def sign(self, message: bytes) -> bytes:
        # The recoverable form is r || s || recid; r || s is the compact signature.
        return bytes(self._key.sign_recoverable(message)[:SIGNATURE_SIZE])

    def secret_bytes(self) -> bytes:
        return bytes(self._key.secret)


def generate() -> Secp256k1PrivateKey:
    """A new key from the OS CSPRNG."""
    return Secp256k1PrivateKey(coincurve.PrivateKey().secret)
