"""SM2 signatures (GB/T 32918.2, GM/T 0003) with SM3.

Verification is finchain's own (the Rust extension ``finchain_native``, on
RustCrypto's ``sm2`` arithmetic); signing goes through gmssl-pyx. finchain
computes the two SM3 values itself and hands either side only the final
digest:

- ``Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA)`` with the default
  ID ``1234567812345678`` (GM/T 0009), once per public key, when it is parsed;
- ``e = SM3(Z || M)`` per message.

That keeps per-key work out of the verification hot path and gives exact
interoperability with OpenSSL (``-pkeyopt distid:1234567812345678``).

On the wire a signature is raw ``r || s``, 32 bytes each (gmssl-pyx speaks
DER; the conversion is here). Verification accepts exactly what gmssl-pyx
(GmSSL 3.x) accepted before it moved to native code, which consensus needs:
a signature that is not exactly 64 bytes, or whose r or s lies outside
[1, n-1], is refused; t = r + s must not be 0 mod n; the key must be a point
of the curve; and ``r = e + x1 mod n`` for ``(x1, y1) = [s]G + [t]P``, with
x1 read as 0 when that sum is the point at infinity (GmSSL's reading, which
OpenSSL and RustCrypto's ``sm2::dsa`` do not share; only the key's owner can
produce such a signature, and it reveals the key: ``native/src/sm2.rs``).
Low-s is not required: SM2 has no s -> n-s malleability (s depends on r and
the key through ``(1+d)^-1 (k - r d)``), and OpenSSL does not produce it.

Verification prints nothing and releases the GIL, so two threads verify on
two cores. (libgmssl's own verifier printed two trace lines to stderr for
every signature that failed, which let anyone make a node write to stderr.)

The public key of a secret is derived in pure Python (gmssl-pyx has no call
for it). Python integers are not constant-time, so that derivation runs only
where a key is loaded or imported, never on a path an outsider can time.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from gmssl_pyx import sm2_sign_sm3_digest

from finchain import native as _native
from finchain.crypto.errors import ErrInvalidKey
from finchain.crypto.hashes import sm3
from finchain.crypto.keys import PrivateKey, PublicKey, describe

NAME = "sm2"
PUBLIC_KEY_SIZE = 65
SECRET_SIZE = 32
SIGNATURE_SIZE = 64
DEFAULT_ID = b"1234567812345678"

# The recommended curve of GB/T 32918.5-2016.
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0


def _z_prefix(ident: bytes) -> bytes:
    """``ENTL || ID || a || b || xG || yG``: the key-independent part of Z."""
    return (
        (len(ident) * 8).to_bytes(2, "big")
        + ident
        + b"".join(v.to_bytes(32, "big") for v in (A, B, GX, GY))
    )


_Z_PREFIX = _z_prefix(DEFAULT_ID)


def z_value(public_xy: bytes) -> bytes:
    """Z of the default ID for the public key ``X || Y`` (64 bytes)."""
    return sm3(_Z_PREFIX + public_xy)


def _der_integer(value: bytes) -> bytes:
    value = value.lstrip(b"\x00")
    if value[0] & 0x80:
        value = b"\x00" + value
    return bytes((0x02, len(value))) + value


def raw_to_der(signature: bytes) -> bytes:
    """DER ``SEQUENCE { r INTEGER, s INTEGER }`` of a raw r||s with r, s >= 1."""
    body = _der_integer(signature[:32]) + _der_integer(signature[32:])
    return bytes((0x30, len(body))) + body


def der_to_raw(der: bytes) -> bytes:
    """Raw 64-byte r||s of a DER signature (as gmssl and OpenSSL emit)."""
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_digest(public_key: bytes, digest: bytes, signature: bytes) -> bool:
    """Verify raw ``r || s`` against ``e = SM3(Z || M)`` and a 65-byte ``04 || X || Y`` key.

    The native check (module docstring): never prints, releases the GIL, and
    gives False for a wrong size, an off-curve key or any argument that is not
    ``bytes``. Most callers want ``PublicKey.verify``, which computes e.
    """
    if not (type(public_key) is bytes and type(digest) is bytes and type(signature) is bytes):
        return False
    return _native.sm2_verify_digest(public_key, digest, signature)


def verify_digest_batch(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """``[verify_digest(*item) for item in items]`` with the GIL released once for all.

    Items are ``(public_key, digest, signature)``; a malformed item is False.

    Example::

        verdicts = verify_digest_batch([(key.data, sm3(z + message), signature), ...])
    """
    verdicts = [False] * len(items)
    indices: list[int] = []
    screened: list[tuple[bytes, bytes, bytes]] = []
    for index, item in enumerate(items):
        if type(item) is tuple and len(item) == 3 and all(type(part) is bytes for part in item):
            indices.append(index)
            screened.append(item)
    for index, valid in zip(indices, _native.sm2_verify_digest_batch(screened), strict=True):
        verdicts[index] = valid
    return verdicts


class _Verifier:
    __slots__ = ("_key", "z")

    def __init__(self, xy: bytes) -> None:
        self._key = b"\x04" + xy
        self.z = z_value(xy)

    def verify(self, message: bytes, signature: bytes) -> bool:
        # PublicKey.verify has checked that both are bytes; the native side checks sizes.
        return _native.sm2_verify_digest(self._key, sm3(self.z + message), signature)


def is_on_curve(x: int, y: int) -> bool:
    """True iff (x, y) are field elements and satisfy y^2 = x^3 + ax + b."""
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def load_public_key(data: bytes) -> PublicKey:
    """Parse an uncompressed SM2 point ``04 || X || Y``; ``ErrInvalidKey`` if off the curve.

    The curve has cofactor 1, so a point on it is in the signing group; the
    point at infinity has no 65-byte encoding and is refused by the length.
    """
    if not isinstance(data, bytes) or len(data) != PUBLIC_KEY_SIZE or data[0] != 0x04:
        raise ErrInvalidKey(
            f"an sm2 public key is {PUBLIC_KEY_SIZE} bytes 04||X||Y (uncompressed), "
            f"got {describe(data)}"
            + (f" starting with {data[0]:#04x}" if isinstance(data, bytes) and data else "")
        )
    x = int.from_bytes(data[1:33], "big")
    y = int.from_bytes(data[33:], "big")
    if not is_on_curve(x, y):
        raise ErrInvalidKey("sm2 public key is not a point of the SM2 curve")
    return PublicKey(NAME, data, _Verifier(data[1:]).verify)


class Sm2PrivateKey(PrivateKey):
    """An SM2 signing key; its secret is the 32-byte big-endian scalar d in [1, n-2]."""

    __slots__ = ("_secret", "_z")
    scheme = NAME

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes) or len(secret) != SECRET_SIZE:
            raise ErrInvalidKey(f"an sm2 secret is {SECRET_SIZE} bytes, got {describe(secret)}")
        d = int.from_bytes(secret, "big")
        # SM2 signing inverts 1 + d, so n - 1 is excluded as well as 0.
        if not 1 <= d <= N - 2:
            raise ErrInvalidKey("sm2 secret is out of range: it must be in [1, n-2]")
        x, y = _base_multiply(d)
        xy = x.to_bytes(32, "big") + y.to_bytes(32, "big")
        verifier = _Verifier(xy)
        super().__init__(PublicKey(NAME, b"\x04" + xy, verifier.verify))
        self._secret = secret
        self._z = verifier.z

    def sign(self, message: bytes) -> bytes:
        der = sm2_sign_sm3_digest(self._secret, sm3(self._z + message))
        return der_to_raw(der)

    def secret_bytes(self) -> bytes:
        return self._secret


def generate() -> Sm2PrivateKey:
    """A new key, d uniform in [1, n-2] from the OS CSPRNG."""
    return Sm2PrivateKey((secrets.randbelow(N - 2) + 1).to_bytes(32, "big"))


# --- d * G for key loading (Jacobian coordinates, Montgomery ladder) ---------

_Point = tuple[int, int, int]
_INFINITY: _Point = (1, 1, 0)


def _double(p: _Point) -> _Point:
    x1, y1, z1 = p
    if z1 == 0 or y1 == 0:
        return _INFINITY
    zz = z1 * z1 % P
    m = 3 * (x1 - zz) * (x1 + zz) % P  # a = -3
    yy = y1 * y1 % P
    s = 4 * x1 * yy % P
    x3 = (m * m - 2 * s) % P
    y3 = (m * (s - x3) - 8 * yy * yy) % P
    z3 = 2 * y1 * z1 % P
    return x3, y3, z3


def _add(p: _Point, q: _Point) -> _Point:
    x1, y1, z1 = p
    x2, y2, z2 = q
    if z1 == 0:
        return q
    if z2 == 0:
        return p
    z1z1 = z1 * z1 % P
    z2z2 = z2 * z2 % P
    u1 = x1 * z2z2 % P
    u2 = x2 * z1z1 % P
    s1 = y1 * z2 * z2z2 % P
    s2 = y2 * z1 * z1z1 % P
    h = (u2 - u1) % P
    r = (s2 - s1) % P
    if h == 0:
        return _double(p) if r == 0 else _INFINITY
    hh = h * h % P
    hhh = h * hh % P
    v = u1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    y3 = (r * (v - x3) - s1 * hhh) % P
    z3 = h * z1 * z2 % P
    return x3, y3, z3


def _base_multiply(d: int) -> tuple[int, int]:
    """Affine d*G for 1 <= d < n.

    d is padded to a fixed 257-bit scalar (d + n or d + 2n, same point), so
    the ladder runs the same number of steps for every key.
    """
    k = d + N if (d + N).bit_length() > N.bit_length() else d + 2 * N
    g: _Point = (GX, GY, 1)
    r0, r1 = g, _double(g)
    for i in range(k.bit_length() - 2, -1, -1):
        if (k >> i) & 1:
            r0, r1 = _add(r0, r1), _double(r1)
        else:
            r0, r1 = _double(r0), _add(r0, r1)
    x, y, z = r0
    z_inv = pow(z, -1, P)
    z_inv2 = z_inv * z_inv % P
    return x * z_inv2 % P, y * z_inv2 * z_inv % P
