"""Validator signatures for offline verification: the receipt verifier's signature hook.

``finchain.light`` checks everything of a receipt with the standard library
except signatures, which it takes as a parameter. ``finchain.crypto`` could
check them, but importing it loads the keystore, AEADs, coincurve,
cryptography and the native extension; a receipt verifier needs two signature
schemes. So :func:`verify_signature` uses PyNaCl for Ed25519 and gmssl-pyx for
SM2, each imported only when first needed. Hashes are ``finchain.light``'s
(``hashlib``), with gmssl-pyx's SM3 where OpenSSL lacks it.

Validators sign with Ed25519 (always on CometBFT, and on ``intl`` solo chains)
or SM2 (``gm`` solo chains). secp256k1 is not a validator scheme finchain
creates, so a receipt naming one fails verification with a clear reason.
The SM2 details are GB/T 32918.2's: the signer hashes ``Z ‖ message`` with
SM3, Z from the default ID ``1234567812345678``; signatures travel as raw
``r ‖ s`` (32 bytes each).
"""

from __future__ import annotations

from finchain.light import hashes
from finchain.light.hashes import Hash

__all__ = [
    "PUBLIC_KEY_SIZES",
    "SIGNATURE_SIZE",
    "VALIDATOR_SCHEMES",
    "hash_function",
    "verify_signature",
]

VALIDATOR_SCHEMES = ("ed25519", "sm2")
PUBLIC_KEY_SIZES = {"ed25519": 32, "sm2": 65}
SIGNATURE_SIZE = 64

_SM2_A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
_SM2_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
_SM2_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
_SM2_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0
_SM2_ID = b"1234567812345678"
_SM2_Z_PREFIX = (
    (len(_SM2_ID) * 8).to_bytes(2, "big")
    + _SM2_ID
    + b"".join(v.to_bytes(32, "big") for v in (_SM2_A, _SM2_B, _SM2_GX, _SM2_GY))
)


def hash_function(name: str) -> Hash:
    """``H(data) -> 32 bytes`` for ``sha256`` or ``sm3``; ValueError for anything else."""
    try:
        return hashes.hash_function(name)
    except ValueError:
        if name != "sm3":
            raise
    from gmssl_pyx import sm3_hash  # pragma: no cover - an OpenSSL without SM3

    return lambda data: bytes(sm3_hash(data))  # pragma: no cover


def verify_signature(scheme: str, public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True iff ``signature`` by ``public_key`` covers ``message``; never raises."""
    try:
        if len(signature) != SIGNATURE_SIZE or len(public_key) != PUBLIC_KEY_SIZES[scheme]:
            return False
        if scheme == "ed25519":
            return _verify_ed25519(public_key, message, signature)
        return _verify_sm2(public_key, message, signature)
    except Exception:  # malformed input is an invalid signature, never a crash
        return False


def _verify_ed25519(public_key: bytes, message: bytes, signature: bytes) -> bool:
    from nacl.bindings import crypto_sign_open
    from nacl.exceptions import BadSignatureError

    try:
        crypto_sign_open(signature + message, public_key)
    except BadSignatureError:
        return False
    return True


def _verify_sm2(public_key: bytes, message: bytes, signature: bytes) -> bool:
    from gmssl_pyx import sm2_verify_sm3_digest

    if public_key[0] != 0x04:
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not (0 < r < _SM2_N and 0 < s < _SM2_N):
        return False
    sm3 = hash_function("sm3")
    digest = sm3(sm3(_SM2_Z_PREFIX + public_key[1:]) + message)
    return bool(sm2_verify_sm3_digest(public_key[1:], digest, _der(r, s)))


def _der(r: int, s: int) -> bytes:
    """DER ``SEQUENCE { INTEGER r, INTEGER s }``, the form gmssl verifies."""

    def integer(value: int) -> bytes:
        body = value.to_bytes((value.bit_length() + 8) // 8, "big")  # room for a sign bit
        return bytes((0x02, len(body))) + body

    body = integer(r) + integer(s)
    return bytes((0x30, len(body))) + body
