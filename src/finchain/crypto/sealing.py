"""Public-key sealing: encrypt a short secret to one recipient, bound to a context.

Regulators hold escrow shares sealed to their encryption keys (see
``docs/escrow.md``). The ``context`` names what the secret is for (chain id,
escrow, request): a sealed message opens only under the context it was sealed
with, so a ciphertext lifted from one escrow or request is useless in another.

Two schemes, one per suite:

- ``sm2`` (gm): GB/T 32918.4 SM2 encryption cannot take associated data, so it
  only carries a fresh 16-byte SM4 key; SM4-GCM encrypts the plaintext with
  associated data ``"finchain/seal/sm2/v1" 00 || recipient key || C1C3C2 ||
  context``. Layout::

      01 || C1 (65: 04||x||y) || C3 (32: SM3 hash) || C2 (16: encrypted SM4 key)
         || SM4-GCM ciphertext || tag (16)

  C1C3C2 is the raw byte string of GB/T 32918.4 section 6.1, not the DER
  ``SM2Cipher`` of GM/T 0009 that gmssl and OpenSSL speak: raw has one
  encoding per value and a fixed size, so the sealed length depends only on
  the plaintext. The conversion to and from DER happens here. Binding C1C3C2
  in the associated data makes the whole message non-malleable (the SM2 part
  alone is not: C2 is a stream cipher). C1 is checked to be on the curve
  before the private key touches it (no invalid-curve probing).

- ``x25519`` (intl): RFC 9180 HPKE, base mode, DHKEM(X25519, HKDF-SHA256),
  HKDF-SHA256, AES-256-GCM, single shot, with ``info = "finchain/seal/x25519/v1"
  00 || context``. Layout: ``02 || enc (32) || ciphertext || tag (16)``. HPKE
  binds the ephemeral and the recipient key into the key schedule itself.

Each message has its own random key, so the GCM nonce is fixed (all zero for
SM2; HPKE derives its own): a key is never used twice.

Encryption keys live in the keystore like signing keys: an ``sm2`` key is an
SM2 key, and an ``x25519`` key is stored as an Ed25519 key and converted with
libsodium's Ed25519-to-Curve25519 map, so the keystore's ``info()`` gives the
encryption public key without the passphrase. Give an encryption key its own
keystore entry; never put it in an account's signing policy.

Errors: ``ErrUnknownEncryptionScheme``, ``ErrInvalidKey``, ``ErrInvalidSealInput``,
and ``ErrDecryptionFailed`` for every way opening can fail (wrong key, wrong
context, altered or truncated bytes, sealed for the other scheme): which one it
was is not revealed, because an oracle telling them apart helps an attacker.

Limit: gmssl prints two trace lines to stderr for each SM2 decryption that fails.
"""

from __future__ import annotations

import secrets
from typing import NoReturn

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import x25519
from gmssl_pyx import sm2_decrypt, sm2_encrypt
from nacl.bindings import (
    crypto_sign_ed25519_pk_to_curve25519,
    crypto_sign_ed25519_sk_to_curve25519,
)

from finchain.crypto import ed25519, sm2
from finchain.crypto.aead import get_aead
from finchain.crypto.errors import (
    ErrDecryptionFailed,
    ErrInvalidKey,
    ErrInvalidSealInput,
    ErrUnknownEncryptionScheme,
    named,
)
from finchain.crypto.keys import PrivateKey, PublicKey, describe
from finchain.crypto.keystore import KeyInfo, Keystore
from finchain.crypto.schemes import generate_private_key

SM2 = "sm2"
X25519 = "x25519"
SEALING_SCHEMES: tuple[str, ...] = (SM2, X25519)
"""The encryption schemes: ``("sm2", "x25519")``."""

MAX_PLAINTEXT_SIZE = 4096
MAX_CONTEXT_SIZE = 1024
_TAG_SIZE = 16
_SM2_FORMAT = 0x01
_X25519_FORMAT = 0x02
_SM2_LABEL = b"finchain/seal/sm2/v1\x00"
_X25519_LABEL = b"finchain/seal/x25519/v1\x00"
_SM4_KEY_SIZE = 16
_C1C3C2_SIZE = 65 + 32 + _SM4_KEY_SIZE
_SM2_OVERHEAD = 1 + _C1C3C2_SIZE + _TAG_SIZE
_X25519_OVERHEAD = 1 + 32 + _TAG_SIZE
MAX_SEALED_SIZE = MAX_PLAINTEXT_SIZE + max(_SM2_OVERHEAD, _X25519_OVERHEAD)

_STORAGE_SCHEMES = {SM2: sm2.NAME, X25519: ed25519.NAME}
_ZERO_NONCE = bytes(12)
_SM4_GCM = get_aead("sm4-gcm")
_HPKE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_X25519_P = 2**255 - 19
# Any fixed scalar: X25519 with it yields zero exactly for the low-order points.
_PROBE = x25519.X25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


class EncryptionKey:
    """A private decryption key of one sealing scheme.

    Like :class:`~finchain.crypto.PrivateKey` it never shows its secret (not in
    ``repr``, not through pickling); ``secret_bytes()`` is for the keystore.

    Example::

        key = generate_encryption_key("x25519")
        sealed = seal("x25519", key.public_key, b"share", context=b"chain-1/escrow")
        assert open_sealed("x25519", key, sealed, context=b"chain-1/escrow") == b"share"
    """

    __slots__ = ("_key", "_x25519", "public_key", "scheme")

    def __init__(self, key: PrivateKey) -> None:
        """Use a stored SM2 key (scheme ``sm2``) or Ed25519 key (scheme ``x25519``).

        Raises ``ErrInvalidKey`` for a key of any other scheme.
        """
        if not isinstance(key, PrivateKey):
            raise ErrInvalidKey(f"an encryption key wraps a PrivateKey, got {describe(key)}")
        self._key = key
        self._x25519: x25519.X25519PrivateKey | None = None
        if key.scheme == sm2.NAME:
            self.scheme = SM2
            self.public_key: bytes = key.public_key().data
        elif key.scheme == ed25519.NAME:
            libsodium_secret = key.secret_bytes() + key.public_key().data
            scalar = crypto_sign_ed25519_sk_to_curve25519(libsodium_secret)
            self._x25519 = x25519.X25519PrivateKey.from_private_bytes(scalar)
            self.scheme = X25519
            self.public_key = self._x25519.public_key().public_bytes_raw()
        else:
            raise ErrInvalidKey(
                f"a {key.scheme} key cannot decrypt: use an sm2 key (sealing scheme sm2) "
                "or an ed25519 key (sealing scheme x25519)"
            )

    @property
    def storage_scheme(self) -> str:
        """The keystore scheme this key is stored under (``sm2`` or ``ed25519``)."""
        return self._key.scheme

    def secret_bytes(self) -> bytes:
        """The 32-byte secret as the keystore stores it. Never log or send it."""
        return self._key.secret_bytes()

    def __repr__(self) -> str:
        return f"EncryptionKey(scheme={self.scheme!r}, public_key={self.public_key.hex()})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("an encryption key cannot be pickled: store it with store_encryption_key")


def generate_encryption_key(scheme: str) -> EncryptionKey:
    """A new random key of sealing ``scheme`` (``sm2`` or ``x25519``).

    Raises ``ErrUnknownEncryptionScheme``.
    """
    return EncryptionKey(generate_private_key(_storage_scheme(scheme)))


def store_encryption_key(
    keystore: Keystore, name: str, key: EncryptionKey, passphrase: str, *, suite: str = "gm"
) -> KeyInfo:
    """Write ``key`` to ``keystore`` under ``name``, encrypted like any signing key.

    Raises as :meth:`Keystore.import_key` (``ErrKeyExists``, ``ErrInvalidKeyName``...).
    """
    return keystore.import_key(
        name, key.storage_scheme, key.secret_bytes(), passphrase, suite=suite
    )


def load_encryption_key(keystore: Keystore, name: str, passphrase: str) -> EncryptionKey:
    """The encryption key stored under ``name``.

    Raises as :meth:`Keystore.load`, and ``ErrInvalidKey`` for a secp256k1 entry.
    """
    return EncryptionKey(keystore.load(name, passphrase))


def encryption_public_key(stored: PublicKey) -> tuple[str, bytes]:
    """``(scheme, public key)`` for sealing to a stored key, from its public part only.

    Example::

        scheme, public = encryption_public_key(keystore.info("regulator-escrow").public_key)

    Raises ``ErrInvalidKey`` for a secp256k1 key.
    """
    if stored.scheme == sm2.NAME:
        return SM2, stored.data
    if stored.scheme == ed25519.NAME:
        return X25519, crypto_sign_ed25519_pk_to_curve25519(stored.data)
    raise ErrInvalidKey(f"a {stored.scheme} key cannot be an encryption key: use sm2 or ed25519")


def check_encryption_public_key(scheme: str, public_key: bytes) -> None:
    """Raise unless ``public_key`` is a usable, canonical key of sealing ``scheme``.

    sm2: 65 bytes ``04||X||Y`` on the curve. x25519: 32 bytes, u below 2^255-19
    with the top bit clear (one byte form per key), not of low order (a
    low-order key makes the shared secret public).

    Raises ``ErrUnknownEncryptionScheme`` or ``ErrInvalidKey``.
    """
    if _storage_scheme(scheme) == sm2.NAME:
        sm2.load_public_key(public_key)
        return
    _x25519_public(public_key)


def seal(scheme: str, recipient_public_key: bytes, plaintext: bytes, *, context: bytes) -> bytes:
    """Encrypt ``plaintext`` so that only the holder of the recipient's key opens it.

    Parameters:
        scheme: ``sm2`` or ``x25519``.
        recipient_public_key: as :func:`check_encryption_public_key` accepts.
        plaintext: up to :data:`MAX_PLAINTEXT_SIZE` bytes.
        context: up to :data:`MAX_CONTEXT_SIZE` bytes; the same bytes must be
            given to :func:`open_sealed`.

    Raises ``ErrUnknownEncryptionScheme``, ``ErrInvalidKey``, ``ErrInvalidSealInput``.
    """
    check_encryption_public_key(scheme, recipient_public_key)
    _check_input("plaintext", plaintext, MAX_PLAINTEXT_SIZE)
    _check_input("context", context, MAX_CONTEXT_SIZE)
    if scheme == SM2:
        return _seal_sm2(recipient_public_key, plaintext, context)
    recipient = x25519.X25519PublicKey.from_public_bytes(recipient_public_key)
    return bytes((_X25519_FORMAT,)) + _HPKE.encrypt(
        plaintext, recipient, info=_X25519_LABEL + context
    )


def open_sealed(
    scheme: str, recipient_private_key: EncryptionKey, sealed: bytes, *, context: bytes
) -> bytes:
    """The plaintext of a message sealed to ``recipient_private_key`` under ``context``.

    Raises ``ErrDecryptionFailed`` for anything that does not open (see the
    module docstring), ``ErrUnknownEncryptionScheme``, ``ErrInvalidKey`` if the
    key is not of ``scheme``, ``ErrInvalidSealInput`` for a context that
    :func:`seal` would refuse. Never anything else, whatever ``sealed`` holds.
    """
    _storage_scheme(scheme)
    if not isinstance(recipient_private_key, EncryptionKey) or (
        recipient_private_key.scheme != scheme
    ):
        raise ErrInvalidKey(f"opening a {scheme} sealed message needs a {scheme} EncryptionKey")
    _check_input("context", context, MAX_CONTEXT_SIZE)
    if not isinstance(sealed, bytes):
        raise ErrDecryptionFailed(f"a sealed message is bytes, got {describe(sealed)}")
    if len(sealed) > MAX_SEALED_SIZE:
        raise ErrDecryptionFailed(
            f"sealed message of {len(sealed)} bytes is over the {MAX_SEALED_SIZE}-byte limit"
        )
    expected = _SM2_FORMAT if scheme == SM2 else _X25519_FORMAT
    if not sealed or sealed[0] != expected:
        raise ErrDecryptionFailed(
            f"not a {scheme} sealed message (format byte {sealed[:1].hex() or 'missing'}, "
            f"expected {expected:02x})"
        )
    if scheme == SM2:
        return _open_sm2(recipient_private_key, sealed, context)
    return _open_x25519(recipient_private_key, sealed, context)


# -- internals -------------------------------------------------------------


def _storage_scheme(scheme: str) -> str:
    return named(_STORAGE_SCHEMES, scheme, ErrUnknownEncryptionScheme, "encryption scheme")


def _check_input(what: str, value: bytes, limit: int) -> None:
    if not isinstance(value, bytes):
        raise ErrInvalidSealInput(f"{what} must be bytes, got {describe(value)}")
    if len(value) > limit:
        raise ErrInvalidSealInput(
            f"{what} of {len(value)} bytes is over the {limit}-byte limit: seal a key "
            "to the recipient and encrypt bulk data with it instead"
        )


def _x25519_public(data: bytes) -> x25519.X25519PublicKey:
    if not isinstance(data, bytes) or len(data) != 32:
        raise ErrInvalidKey(f"an x25519 public key is 32 bytes, got {describe(data)}")
    if int.from_bytes(data, "little") >= _X25519_P:
        raise ErrInvalidKey("x25519 public key is not canonical: u must be below 2^255-19")
    key = x25519.X25519PublicKey.from_public_bytes(data)
    try:
        _PROBE.exchange(key)
    except ValueError:
        raise ErrInvalidKey(
            "x25519 public key is of low order: it would make the shared secret public"
        ) from None
    return key


def _seal_sm2(public_key: bytes, plaintext: bytes, context: bytes) -> bytes:
    sm4_key = secrets.token_bytes(_SM4_KEY_SIZE)
    c1c3c2 = _c1c3c2_from_der(sm2_encrypt(public_key[1:], sm4_key))
    aad = _SM2_LABEL + public_key + c1c3c2 + context
    body = _SM4_GCM.encrypt(sm4_key, _ZERO_NONCE, plaintext, aad)
    return bytes((_SM2_FORMAT,)) + c1c3c2 + body


def _open_sm2(key: EncryptionKey, sealed: bytes, context: bytes) -> bytes:
    if len(sealed) < _SM2_OVERHEAD:
        raise ErrDecryptionFailed(
            f"sm2 sealed message of {len(sealed)} bytes is shorter than the "
            f"{_SM2_OVERHEAD}-byte minimum: it was truncated"
        )
    c1c3c2 = sealed[1 : 1 + _C1C3C2_SIZE]
    x = int.from_bytes(c1c3c2[1:33], "big")
    y = int.from_bytes(c1c3c2[33:65], "big")
    if c1c3c2[0] != 0x04 or not sm2.is_on_curve(x, y):
        raise ErrDecryptionFailed("sm2 sealed message: C1 is not a point of the SM2 curve")
    try:
        sm4_key = sm2_decrypt(key.secret_bytes(), _der_from_c1c3c2(c1c3c2))
    except Exception:
        sm4_key = b""
    if len(sm4_key) != _SM4_KEY_SIZE:
        raise ErrDecryptionFailed(
            "sm2 sealed message does not open: wrong key, or the message was altered"
        )
    aad = _SM2_LABEL + key.public_key + c1c3c2 + context
    return _SM4_GCM.decrypt(sm4_key, _ZERO_NONCE, sealed[1 + _C1C3C2_SIZE :], aad)


def _open_x25519(key: EncryptionKey, sealed: bytes, context: bytes) -> bytes:
    if len(sealed) < _X25519_OVERHEAD:
        raise ErrDecryptionFailed(
            f"x25519 sealed message of {len(sealed)} bytes is shorter than the "
            f"{_X25519_OVERHEAD}-byte minimum: it was truncated"
        )
    assert key._x25519 is not None  # an x25519 EncryptionKey always has it
    try:
        return _HPKE.decrypt(sealed[1:], key._x25519, info=_X25519_LABEL + context)
    except Exception:
        # InvalidTag, or ValueError for a low-order ephemeral key.
        raise ErrDecryptionFailed(
            "x25519 sealed message does not open: wrong key or context, or the message was altered"
        ) from None


# GM/T 0009 SM2Cipher ::= SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING,
# ciphertext OCTET STRING }. With a 16-byte C2 every length fits the short form.


def _der_uint(value: bytes) -> bytes:
    value = value.lstrip(b"\x00") or b"\x00"
    if value[0] & 0x80:
        value = b"\x00" + value
    return bytes((0x02, len(value))) + value


def _der_from_c1c3c2(raw: bytes) -> bytes:
    body = (
        _der_uint(raw[1:33])
        + _der_uint(raw[33:65])
        + bytes((0x04, 32))
        + raw[65:97]
        + bytes((0x04, len(raw) - 97))
        + raw[97:]
    )
    return bytes((0x30, len(body))) + body


def _c1c3c2_from_der(der: bytes) -> bytes:
    """Raw C1||C3||C2 of the DER gmssl produced for a 16-byte plaintext."""
    if len(der) < 2 or der[0] != 0x30 or der[1] != len(der) - 2:
        raise ValueError("gmssl returned an SM2 ciphertext that is not a short DER SEQUENCE")
    fields: list[bytes] = []
    rest = der[2:]
    for tag in (0x02, 0x02, 0x04, 0x04):
        if len(rest) < 2 or rest[0] != tag or rest[1] >= 0x80 or len(rest) < 2 + rest[1]:
            raise ValueError("gmssl returned a malformed SM2Cipher")
        fields.append(rest[2 : 2 + rest[1]])
        rest = rest[2 + rest[1] :]
    x, y, c3, c2 = fields
    if rest or len(c3) != 32 or len(c2) != _SM4_KEY_SIZE:
        raise ValueError("gmssl returned an SM2Cipher of unexpected shape")
    return b"\x04" + _fixed32(x) + _fixed32(y) + c3 + c2


def _fixed32(integer: bytes) -> bytes:
    value = integer.lstrip(b"\x00")
    if len(value) > 32:
        raise ValueError("gmssl returned an SM2 coordinate over 32 bytes")
    return value.rjust(32, b"\x00")
