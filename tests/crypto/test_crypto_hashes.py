"""SM3 / SHA-256: standard vectors and agreement between SM3 implementations."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes as crypto_hashes
from hypothesis import given
from hypothesis import strategies as st

from finchain.crypto import HASH_NAMES, ErrUnknownHash, get_suite, hash_bytes, hasher
from finchain.crypto import hashes as hashes_module

# GB/T 32905-2016 appendix A.
SM3_VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]
# FIPS 180-2 appendix B.1.
SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_hash_names() -> None:
    assert HASH_NAMES == ("sm3", "sha256")


@pytest.mark.parametrize(("message", "digest"), SM3_VECTORS)
def test_sm3_standard_vectors(message: bytes, digest: str) -> None:
    assert hash_bytes("sm3", message).hex() == digest
    assert hasher("sm3")(message).hex() == digest
    assert get_suite("gm").hash(message).hex() == digest


@pytest.mark.parametrize(("message", "digest"), SM3_VECTORS)
def test_sm3_fallbacks_match_the_vectors(message: bytes, digest: str) -> None:
    assert hashes_module._sm3_hashlib(message).hex() == digest
    assert hashes_module._sm3_cryptography(message).hex() == digest


def test_sha256_vector() -> None:
    assert hash_bytes("sha256", b"abc").hex() == SHA256_ABC
    assert hasher("sha256")(b"abc").hex() == SHA256_ABC
    assert get_suite("intl").hash(b"abc").hex() == SHA256_ABC


@given(st.binary(max_size=300))
def test_sm3_agrees_with_openssl_and_cryptography(data: bytes) -> None:
    ours = hash_bytes("sm3", data)
    assert ours == hashlib.new("sm3", data).digest()
    h = crypto_hashes.Hash(crypto_hashes.SM3())
    h.update(data)
    assert ours == h.finalize()


@given(st.binary(max_size=300))
def test_sha256_agrees_with_hashlib(data: bytes) -> None:
    assert hash_bytes("sha256", data) == hashlib.sha256(data).digest()


def test_long_input_crosses_many_blocks() -> None:
    data = bytes(range(256)) * 4099
    assert hash_bytes("sm3", data) == hashlib.new("sm3", data).digest()


@pytest.mark.parametrize("size", [0, 1, 55, 56, 63, 64, 65, 2047, 2048, 2049, 10_000])
def test_sm3_on_both_sides_of_the_gil_threshold(size: int) -> None:
    data = bytes((i * 7) & 0xFF for i in range(size))
    h = crypto_hashes.Hash(crypto_hashes.SM3())
    h.update(data)
    assert hash_bytes("sm3", data) == h.finalize()
    assert hashes_module.GIL_RELEASE_SIZE == 2048


@pytest.mark.parametrize("name", ["SM3", "sha-256", "md5", "", None])
def test_unknown_hash_is_refused_with_its_code(name: object) -> None:
    with pytest.raises(Exception) as info:
        hash_bytes(name, b"x")  # type: ignore[arg-type]
    assert ErrUnknownHash.matches(info.value)
    assert "sm3" in str(info.value)
    with pytest.raises(Exception) as info:
        hasher(name)  # type: ignore[arg-type]
    assert ErrUnknownHash.matches(info.value)
