"""Shamir secret sharing over GF(2^8): recombination, secrecy, validation, properties."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finchain.crypto import ErrInvalidSharing
from finchain.crypto.shamir import MAX_SHARES, combine, split
from finchain.errors import ErrorCode, FinchainError

SECRET = bytes(range(100, 132))


class SeededSource:
    """A reproducible stand-in for ``secrets`` (tests only)."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def token_bytes(self, nbytes: int) -> bytes:
        return self._random.randbytes(nbytes)


def raises(code: ErrorCode, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> FinchainError:
    with pytest.raises(FinchainError) as info:
        fn(*args, **kwargs)
    assert code.matches(info.value), f"expected {code}, got {info.value!r}"
    return info.value


def test_any_m_of_n_recombine_and_m_minus_one_do_not() -> None:
    shares = split(SECRET, 3, 5)
    assert [share[0] for share in shares] == [1, 2, 3, 4, 5]
    assert all(len(share) == 33 for share in shares)
    for subset in itertools.combinations(shares, 3):
        assert combine(list(subset)) == SECRET
        assert combine(list(reversed(subset))) == SECRET
    assert combine(shares) == SECRET  # more than m consistent shares also work
    for pair in itertools.combinations(shares, 2):
        assert combine(list(pair)) != SECRET


class Constant:
    """Every coefficient byte is ``value``: polynomials computable by hand."""

    def __init__(self, value: int) -> None:
        self._value = value

    def token_bytes(self, nbytes: int) -> bytes:
        return bytes((self._value,)) * nbytes


def test_matches_a_hand_computed_example() -> None:
    # f(x) = 0x2a + 0x03 x over GF(2^8): f(1) = 0x29, f(2) = 0x2a ^ 0x06 = 0x2c.
    assert split(b"\x2a", 2, 2, rng=Constant(0x03)) == [b"\x01\x29", b"\x02\x2c"]
    assert combine([b"\x02\x2c", b"\x01\x29"]) == b"\x2a"
    # The field is the AES one: 0x57 * 0x83 = 0xc1 (FIPS 197, 4.2), seen as
    # f(x) = 0 + 0x57 x evaluated at x = 0x83.
    assert split(b"\x00", 2, 0x83, rng=Constant(0x57))[0x83 - 1] == b"\x83\xc1"


def test_threshold_one_gives_every_holder_the_secret() -> None:
    shares = split(SECRET, 1, 4)
    assert all(share[1:] == SECRET for share in shares)
    assert all(combine([share]) == SECRET for share in shares)


def test_split_is_deterministic_given_its_randomness() -> None:
    assert split(SECRET, 3, 4, rng=SeededSource(1)) == split(SECRET, 3, 4, rng=SeededSource(1))
    assert split(SECRET, 3, 4, rng=SeededSource(1)) != split(SECRET, 3, 4, rng=SeededSource(2))


def test_m_minus_one_shares_are_consistent_with_every_secret() -> None:
    # Perfect secrecy, checked exhaustively for a one-byte secret and m = 2: one
    # share of value y is produced by exactly one slope for each candidate secret.
    share = split(b"\x42", 2, 3)[1]
    explained_by = set()
    for candidate in range(256):
        for slope in range(256):
            if split(bytes((candidate,)), 2, 3, rng=Constant(slope))[1] == share:
                explained_by.add(candidate)
    assert explained_by == set(range(256))


def test_bad_parameters_are_refused() -> None:
    for m, n in [(0, 3), (4, 3), (1, 0), (2, MAX_SHARES + 1), (True, 3), (2.0, 3)]:
        raises(ErrInvalidSharing, split, SECRET, m, n)
    for secret in (b"", bytes(65), "text", bytearray(32)):
        raises(ErrInvalidSharing, split, secret, 2, 3)

    class Short:
        def token_bytes(self, nbytes: int) -> bytes:
            return bytes(nbytes - 1)

    raises(ErrInvalidSharing, split, SECRET, 2, 3, rng=Short())


def test_bad_shares_are_refused() -> None:
    a, b, c = split(SECRET, 2, 3)
    raises(ErrInvalidSharing, combine, [])
    raises(ErrInvalidSharing, combine, a)
    raises(ErrInvalidSharing, combine, [a, a])
    raises(ErrInvalidSharing, combine, [a, b"\x01" + b[1:]])  # same x twice
    raises(ErrInvalidSharing, combine, [b"\x00" + a[1:], b])
    raises(ErrInvalidSharing, combine, [a, b[:-1]])
    raises(ErrInvalidSharing, combine, [a, "share"])
    raises(ErrInvalidSharing, combine, [b"\x01"])
    raises(ErrInvalidSharing, combine, [b"\x01" + bytes(65)])
    raises(ErrInvalidSharing, combine, [bytes((x,)) + bytes(2) for x in range(1, 256)] * 2)
    assert combine([c, a]) == SECRET


def test_the_largest_sharing_works() -> None:
    shares = split(SECRET, 255, 255, rng=SeededSource(7))
    assert combine(shares) == SECRET
    assert combine(shares[:-1]) != SECRET


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_property_any_m_subset_recovers_and_fewer_mostly_do_not(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=12), label="n")
    m = data.draw(st.integers(min_value=1, max_value=n), label="m")
    secret = data.draw(st.binary(min_size=1, max_size=32), label="secret")
    shares = split(secret, m, n, rng=SeededSource(data.draw(st.integers(), label="seed")))
    chosen = data.draw(st.permutations(shares), label="order")
    assert combine(chosen[:m]) == secret
    assert combine(chosen) == secret
    extra = data.draw(st.integers(min_value=m, max_value=n), label="k")
    assert combine(chosen[:extra]) == secret


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(), n=st.integers(min_value=2, max_value=10), data=st.data())
def test_property_m_minus_one_shares_give_a_uniform_guess(
    seed: int, n: int, data: st.DataObject
) -> None:
    # With a 16-byte secret, m-1 shares yield the secret only by a 2^-128 accident.
    m = data.draw(st.integers(min_value=2, max_value=n))
    secret = bytes(range(16))
    shares = split(secret, m, n, rng=SeededSource(seed))
    subset = data.draw(st.permutations(shares))[: m - 1]
    assert combine(subset) != secret
