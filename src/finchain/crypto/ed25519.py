"""Ed25519 through PyNaCl (libsodium).

libsodium's verification is the strict kind: it rejects non-canonical S,
small-order and non-canonical points, so a signature has one valid encoding
and transaction ids built over signatures cannot be malleated. Public keys
are checked with ``crypto_core_ed25519_is_valid_point`` (on the curve, in the
main subgroup, not of small order) when parsed, not at every verification.
"""

from __future__ import annotations

from nacl.bindings import (
    crypto_core_ed25519_is_valid_point,
    crypto_sign,
    crypto_sign_keypair,
    crypto_sign_open,
    crypto_sign_seed_keypair,
)

from finchain.crypto.errors import ErrInvalidKey
from finchain.crypto.keys import PrivateKey, PublicKey, describe

NAME = "ed25519"
PUBLIC_KEY_SIZE = 32
SECRET_SIZE = 32
SIGNATURE_SIZE = 64


class _Verifier:
    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        self._key = key

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            if len(signature) != SIGNATURE_SIZE:
                return False
            crypto_sign_open(signature + message, self._key)
        except Exception:
            return False
        return True


def verify_raw(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Verify against raw key bytes, without parsing the key first (the transaction hot path).

    libsodium's verification itself refuses non-canonical and small-order keys;
    the stricter prime-order-subgroup check of :func:`load_public_key` runs where
    a key enters the chain (account policies parse every key), so the keys an
    account signs with have passed it already. Skipping it here saves ~30 µs for
    each key seen for the first time.
    """
    if type(public_key) is not bytes or type(message) is not bytes or type(signature) is not bytes:
        return False
    if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        crypto_sign_open(signature + message, public_key)
    except Exception:
        return False
    return True


def load_public_key(data: bytes) -> PublicKey:
    """Parse a 32-byte Ed25519 public key; ``ErrInvalidKey`` if it is not a valid point."""
    if not isinstance(data, bytes) or len(data) != PUBLIC_KEY_SIZE:
        raise ErrInvalidKey(
            f"an ed25519 public key is {PUBLIC_KEY_SIZE} bytes, got {describe(data)}"
        )
    if not crypto_core_ed25519_is_valid_point(data):
        raise ErrInvalidKey(
            "ed25519 public key is not a valid curve point of the prime-order subgroup: "
            "check that the right bytes were sent"
        )
    return PublicKey(NAME, data, _Verifier(data).verify)


class Ed25519PrivateKey(PrivateKey):
    """An Ed25519 signing key; its 32-byte secret is the RFC 8032 seed."""

    __slots__ = ("_expanded", "_seed")
    scheme = NAME

    def __init__(self, seed: bytes) -> None:
        if not isinstance(seed, bytes) or len(seed) != SECRET_SIZE:
            raise ErrInvalidKey(f"an ed25519 secret is {SECRET_SIZE} bytes, got {describe(seed)}")
        public, expanded = crypto_sign_seed_keypair(seed)
        super().__init__(PublicKey(NAME, public, _Verifier(public).verify))
        self._seed = seed
        self._expanded = expanded

    def sign(self, message: bytes) -> bytes:
        return crypto_sign(message, self._expanded)[:SIGNATURE_SIZE]

    def secret_bytes(self) -> bytes:
        return self._seed


def generate() -> Ed25519PrivateKey:
    """A new key from libsodium's CSPRNG."""
    _, expanded = crypto_sign_keypair()
    return Ed25519PrivateKey(expanded[:SECRET_SIZE])
