"""Ed25519: signing through PyNaCl (libsodium), verification under ZIP 215 (native).

Verification must give the same verdict on every node and on every path, the
batch verifier of a block included (:mod:`finchain.crypto.batch`). RFC 8032
leaves edge cases open, and libsodium's single verifier (cofactorless, strict
encodings) disagrees with any batch verifier on crafted signatures, so both
paths use ``finchain_native`` (Rust, ``ed25519-consensus``), which implements
ZIP 215: A and R are any decodable points, S must be below the group order l
(so S cannot be malleated), and the cofactored equation ``[8][S]B = [8]R +
[8][k]A`` decides. Every signature libsodium accepts, ZIP 215 accepts too.

One rule is added on top, identically on every path: a public key of small
order is refused. Such a key "verifies" ``S = 0`` for any message, and the 14
byte strings that encode small-order points are also the only non-canonical
key encodings ZIP 215 would decode, so refusing them leaves exactly one byte
form per usable key. Where keys enter the chain, :func:`load_public_key` checks
the stricter property (in the prime-order subgroup) with libsodium.
"""

from __future__ import annotations

from nacl.bindings import (
    crypto_core_ed25519_is_valid_point,
    crypto_sign,
    crypto_sign_keypair,
    crypto_sign_seed_keypair,
)

from finchain import native as _native
from finchain.crypto.errors import ErrInvalidKey
from finchain.crypto.keys import PrivateKey, PublicKey, describe

NAME = "ed25519"
PUBLIC_KEY_SIZE = 32
SECRET_SIZE = 32
SIGNATURE_SIZE = 64

_P = 2**255 - 19
_Y_ORDER_8 = 0x7A03AC9277FDC74EC6CC392CFA53202A0F67100D760B3CBA4FD84D3D706A17C7


def _encodings(y: int) -> tuple[bytes, bytes]:
    """Both sign bits of an encoded y (bit 255 is the sign of x)."""
    return y.to_bytes(32, "little"), (y | 1 << 255).to_bytes(32, "little")


SMALL_ORDER_KEYS: frozenset[bytes] = frozenset(
    encoding
    for y in (1, _P - 1, 0, _Y_ORDER_8, _P - _Y_ORDER_8, _P, _P + 1)
    for encoding in _encodings(y)
)
"""Every 32-byte string that decodes to a point of small order: the 8 points' canonical
encodings, "-0" for the two with x = 0, and y + p for y in {0, 1} (14 in all)."""


def admissible(public_key: object, message: object, signature: object) -> bool:
    """Whether the arguments can be a valid signature at all (types, sizes, key order).

    The single and batch paths both screen with this, so they refuse the same inputs
    before the native verifier sees them.
    """
    return (
        type(public_key) is bytes
        and type(message) is bytes
        and type(signature) is bytes
        and len(public_key) == PUBLIC_KEY_SIZE
        and len(signature) == SIGNATURE_SIZE
        and public_key not in SMALL_ORDER_KEYS
    )


class _Verifier:
    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        self._key = key

    def verify(self, message: bytes, signature: bytes) -> bool:
        return verify_raw(self._key, message, signature)


def verify_raw(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Verify against raw key bytes, without parsing the key first (the transaction hot path).

    ZIP 215 plus the small-order-key rule (module docstring); never raises, and
    releases the GIL while it computes. The stricter prime-order-subgroup check of
    :func:`load_public_key` runs where a key enters the chain (account policies
    parse every key), so the keys an account signs with have passed it already;
    skipping it here saves ~30 µs for each key seen for the first time.
    """
    return admissible(public_key, message, signature) and _native.verify(
        public_key, message, signature
    )


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
