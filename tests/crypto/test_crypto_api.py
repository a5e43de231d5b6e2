"""The public surface other packages are written against, suites and error codes."""

from __future__ import annotations

import dataclasses

import pytest

import finchain.crypto as crypto
from finchain.crypto import SUITES, ErrUnknownSuite, Suite, get_aead, get_suite, hash_bytes
from finchain.errors import FinchainError, lookup

EXPECTED_API = {
    "SCHEMES", "HASH_NAMES", "AEAD_NAMES", "SUITES",
    "PublicKey", "PrivateKey", "Aead", "Suite", "KeyInfo", "Keystore",
    "generate_private_key", "private_key_from_bytes", "public_key_from_bytes",
    "verify_signature", "hash_bytes", "hasher", "get_aead", "get_suite",
    "ErrUnknownScheme", "ErrInvalidKey", "ErrUnknownHash", "ErrUnknownSuite",
    "ErrDecryptionFailed", "ErrWrongPassphrase", "ErrMalformedKeystore", "ErrKeyNotFound",
    "ErrKeyExists", "ErrInvalidKeyName", "ErrUnknownAead", "ErrInvalidNonce",
    "SEALING_SCHEMES", "EncryptionKey", "seal", "open_sealed", "generate_encryption_key",
    "store_encryption_key", "load_encryption_key", "encryption_public_key",
    "check_encryption_public_key",
    "ErrUnknownEncryptionScheme", "ErrInvalidSealInput", "ErrInvalidSharing", "ErrInvalidEscrow",
    "ErrNotARegulator", "ErrNotEnoughShares",
    "MIN_PASSPHRASE_CHARS", "check_new_passphrase", "check_passphrase_file_mode",
    "read_passphrase_file", "ErrWeakPassphrase", "ErrPassphraseFile",
}  # fmt: skip


def test_public_api_is_exactly_the_curated_list() -> None:
    assert set(crypto.__all__) == EXPECTED_API
    assert len(crypto.__all__) == len(EXPECTED_API)
    for name in crypto.__all__:
        assert hasattr(crypto, name), name


ERROR_CODES = {
    2: "ErrUnknownScheme", 3: "ErrInvalidKey", 4: "ErrUnknownHash", 5: "ErrUnknownSuite",
    6: "ErrDecryptionFailed", 7: "ErrWrongPassphrase", 8: "ErrMalformedKeystore",
    9: "ErrKeyNotFound", 10: "ErrKeyExists", 11: "ErrInvalidKeyName", 12: "ErrUnknownAead",
    13: "ErrInvalidNonce", 14: "ErrUnknownEncryptionScheme", 15: "ErrInvalidSealInput",
    16: "ErrInvalidSharing", 17: "ErrInvalidEscrow", 18: "ErrNotARegulator",
    19: "ErrNotEnoughShares",
}  # fmt: skip


def test_error_codes_are_registered_and_stable() -> None:
    for code, name in ERROR_CODES.items():
        error = getattr(crypto, name)
        assert (error.codespace, error.code) == ("crypto", code)
        assert lookup("crypto", code) is error


def test_suites() -> None:
    assert set(SUITES) == {"gm", "intl"}
    gm, intl = get_suite("gm"), get_suite("intl")
    assert (gm.name, gm.hash_name, gm.aead_name, gm.default_scheme) == (
        "gm", "sm3", "sm4-gcm", "sm2",
    )  # fmt: skip
    assert (intl.name, intl.hash_name, intl.aead_name, intl.default_scheme) == (
        "intl", "sha256", "aes-256-gcm", "ed25519",
    )  # fmt: skip
    assert gm.aead is get_aead("sm4-gcm") and intl.aead is get_aead("aes-256-gcm")
    assert gm.hash(b"abc") == hash_bytes("sm3", b"abc")
    assert intl.hash(b"abc") == hash_bytes("sha256", b"abc")
    with pytest.raises(dataclasses.FrozenInstanceError):
        gm.name = "x"  # type: ignore[misc]
    assert gm == Suite("gm", "sm3", "sm4-gcm", "sm2")
    assert "gm" in repr(gm)


@pytest.mark.parametrize("name", ["GM", "", "fips", None])
def test_unknown_suite(name: object) -> None:
    with pytest.raises(FinchainError) as info:
        get_suite(name)  # type: ignore[arg-type]
    assert ErrUnknownSuite.matches(info.value)
    assert "gm" in info.value.message and "intl" in info.value.message


def test_a_suite_with_unknown_parts_cannot_be_built() -> None:
    with pytest.raises(FinchainError):
        Suite("x", "md5", "sm4-gcm", "sm2")
    with pytest.raises(FinchainError):
        Suite("x", "sm3", "rc4", "sm2")
    with pytest.raises(ValueError):
        Suite("x", "sm3", "sm4-gcm", "rsa")
