"""Shamir secret sharing over GF(2^8), byte by byte.

Why this field: every byte of the secret is shared with its own random
polynomial over GF(2^8) (the AES field, reduction polynomial x^8+x^4+x^3+x+1,
as SLIP-39 uses), so a share is exactly one byte longer than the secret and
any byte string can be shared without mapping it into a prime field first.
Up to 255 shares (the non-zero field elements are the x coordinates).

A share is ``x || y``: one byte x in [1, n], then one byte per secret byte.
Any m shares give the secret back; m-1 shares give no information about it
(every secret is equally consistent with them). The polynomials' coefficients
are uniform, including the leading one: that is what makes the secrecy perfect.

What this does not do:

- Detect a wrong result. Fewer than m shares, or a corrupted share, combine to
  a wrong secret without any error. Callers check the result: the escrow uses
  the secret as an AEAD key, whose tag fails on a wrong key.
- Run in constant time. Python table lookups and integers leak timing through
  the cache and the interpreter; splitting and combining happen on a client
  that holds the secret anyway, never on a path a remote party can time.

Errors: ``ErrInvalidSharing`` for bad parameters or shares.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Protocol

from finchain.crypto.errors import ErrInvalidSharing
from finchain.crypto.keys import describe

MAX_SHARES = 255
MAX_SECRET_SIZE = 64


class RandomSource(Protocol):
    """Where coefficients come from; the ``secrets`` module by default."""

    def token_bytes(self, nbytes: int) -> bytes: ...


def _tables() -> tuple[list[int], list[int]]:
    exp = [0] * 510
    log = [0] * 256
    value = 1
    for power in range(255):
        exp[power] = exp[power + 255] = value
        log[value] = power
        # Multiply by the generator 3 (x + 1), reducing by 0x11B.
        value ^= (value << 1) ^ (0x11B if value & 0x80 else 0)
    return exp, log


_EXP, _LOG = _tables()


def _mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def split(secret: bytes, m: int, n: int, *, rng: RandomSource = secrets) -> list[bytes]:
    """``n`` shares of ``secret``, any ``m`` of which recover it.

    Example::

        shares = split(data_key, 2, 3)
        assert combine([shares[0], shares[2]]) == data_key

    Parameters:
        secret: 1 to :data:`MAX_SECRET_SIZE` bytes.
        m: threshold, 1 <= m <= n (m = 1 gives every holder the secret).
        n: number of shares, at most :data:`MAX_SHARES`; share i has x = i + 1.
        rng: source of the polynomial coefficients (tests pass a seeded one).

    Raises ``ErrInvalidSharing``.
    """
    if not isinstance(secret, bytes) or not 1 <= len(secret) <= MAX_SECRET_SIZE:
        raise ErrInvalidSharing(
            f"the secret must be 1 to {MAX_SECRET_SIZE} bytes, got {describe(secret)}"
        )
    if not (_is_int(m) and _is_int(n) and 1 <= m <= n <= MAX_SHARES):
        raise ErrInvalidSharing(
            f"threshold {m!r} of {n!r} shares: need integers with 1 <= m <= n <= {MAX_SHARES}"
        )
    size = len(secret)
    coefficients = [secret]
    for _ in range(m - 1):
        random = rng.token_bytes(size)
        if not isinstance(random, bytes) or len(random) != size:
            raise ErrInvalidSharing(f"the random source gave {describe(random)}, not {size}")
        coefficients.append(random)
    shares = []
    for x in range(1, n + 1):
        y = bytearray(size)
        for position in range(size):
            # Horner's rule, highest coefficient first.
            acc = 0
            for coefficient in reversed(coefficients):
                acc = _mul(acc, x) ^ coefficient[position]
            y[position] = acc
        shares.append(bytes((x,)) + bytes(y))
    return shares


def combine(shares: Sequence[bytes]) -> bytes:
    """The secret whose shares these are, by Lagrange interpolation at x = 0.

    Give exactly the threshold's number of shares, or more that all belong to
    the same split. Fewer give a wrong secret without an error (see the
    module docstring).

    Raises ``ErrInvalidSharing`` for no shares, shares that are not bytes, of
    different or impossible lengths, with x = 0, or with a repeated x.
    """
    if isinstance(shares, bytes | str) or not isinstance(shares, Sequence):
        raise ErrInvalidSharing(f"shares must be a list of bytes, got {describe(shares)}")
    if not 1 <= len(shares) <= MAX_SHARES:
        raise ErrInvalidSharing(f"give 1 to {MAX_SHARES} shares, got {len(shares)}")
    size = None
    seen: set[int] = set()
    for index, share in enumerate(shares):
        if not isinstance(share, bytes) or not 2 <= len(share) <= MAX_SECRET_SIZE + 1:
            raise ErrInvalidSharing(
                f"share {index} must be 2 to {MAX_SECRET_SIZE + 1} bytes, got {describe(share)}"
            )
        if size is not None and len(share) != size:
            raise ErrInvalidSharing(
                f"share {index} is {len(share)} bytes, share 0 is {size}: "
                "they come from different splits"
            )
        size = len(share)
        if share[0] == 0:
            raise ErrInvalidSharing(f"share {index} has x = 0, which no share can have")
        if share[0] in seen:
            raise ErrInvalidSharing(
                f"share {index} repeats x = {share[0]}: give each holder's share once"
            )
        seen.add(share[0])
    xs = [share[0] for share in shares]
    secret = bytearray(len(shares[0]) - 1)
    for share, basis in zip(shares, _lagrange_at_zero(xs), strict=True):
        for position in range(len(secret)):
            secret[position] ^= _mul(basis, share[1 + position])
    return bytes(secret)


def _lagrange_at_zero(xs: list[int]) -> list[int]:
    """l_i(0) = prod_{j != i} x_j / (x_i + x_j); addition is XOR in GF(2^8)."""
    bases = []
    for i, xi in enumerate(xs):
        log_numerator = 0
        log_denominator = 0
        for j, xj in enumerate(xs):
            if j != i:
                log_numerator += _LOG[xj]
                log_denominator += _LOG[xi ^ xj]
        bases.append(_EXP[(log_numerator - log_denominator) % 255])
    return bases


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
