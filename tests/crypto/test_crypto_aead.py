"""SM4-GCM and AES-256-GCM: published vectors, round trips, tampering."""

from __future__ import annotations

import os

import gmssl_pyx
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from finchain.crypto import (
    AEAD_NAMES,
    Aead,
    ErrDecryptionFailed,
    ErrInvalidKey,
    ErrInvalidNonce,
    ErrUnknownAead,
    get_aead,
)
from finchain.errors import FinchainError

# GB/T 32907-2016 appendix A.1: one SM4 block, key = plaintext.
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
SM4_BLOCK_CT = bytes.fromhex("681edf34d206965e86b3e94f536e4246")

# RFC 8998 appendix A.1.
RFC8998_KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
RFC8998_IV = bytes.fromhex("00001234567800000000ABCD")
RFC8998_AAD = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
RFC8998_PT = bytes.fromhex(
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
)
RFC8998_CT = bytes.fromhex(
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
)
RFC8998_TAG = bytes.fromhex("83DE3541E4C2B58177E065A9BF7B62EC")

# McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 14-16.
GCM_K15 = bytes.fromhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
GCM_IV15 = bytes.fromhex("cafebabefacedbaddecaf888")
GCM_P15 = bytes.fromhex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
)
GCM_C15 = bytes.fromhex(
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
)
AES_GCM_CASES = [
    pytest.param(
        bytes(32),
        bytes(12),
        bytes(16),
        b"",
        bytes.fromhex("cea7403d4d606b6e074ec5d3baf39d18"),
        bytes.fromhex("d0d1c8a799996bf0265b98b5d48ab919"),
        id="case14",
    ),
    pytest.param(
        GCM_K15,
        GCM_IV15,
        GCM_P15,
        b"",
        GCM_C15,
        bytes.fromhex("b094dac5d93471bdec1a502270e3cc6c"),
        id="case15",
    ),
    pytest.param(
        GCM_K15,
        GCM_IV15,
        GCM_P15[:60],
        bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
        GCM_C15[:60],
        bytes.fromhex("76fc6ece0f4e1768cddf8853bb2d551b"),
        id="case16",
    ),
]


def code_of(fn: object, *args: object) -> tuple[str, int]:
    with pytest.raises(FinchainError) as info:
        fn(*args)  # type: ignore[operator]
    return info.value.codespace, info.value.code


def test_sm4_block_vector_through_cryptography_ecb() -> None:
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    assert encryptor.update(SM4_KEY) + encryptor.finalize() == SM4_BLOCK_CT


def test_sm4_block_vector_through_gmssl_ctr() -> None:
    # CTR with counter block P and a zero plaintext outputs E_K(P).
    assert gmssl_pyx.sm4_ctr_encrypt(SM4_KEY, SM4_KEY, bytes(16)) == SM4_BLOCK_CT


def test_sm4_gcm_rfc8998_vector() -> None:
    aead = get_aead("sm4-gcm")
    sealed = aead.encrypt(RFC8998_KEY, RFC8998_IV, RFC8998_PT, RFC8998_AAD)
    assert sealed == RFC8998_CT + RFC8998_TAG
    assert aead.decrypt(RFC8998_KEY, RFC8998_IV, sealed, RFC8998_AAD) == RFC8998_PT


@pytest.mark.parametrize(("key", "iv", "pt", "aad", "ct", "tag"), AES_GCM_CASES)
def test_aes_256_gcm_vectors(
    key: bytes, iv: bytes, pt: bytes, aad: bytes, ct: bytes, tag: bytes
) -> None:
    aead = get_aead("aes-256-gcm")
    assert aead.encrypt(key, iv, pt, aad) == ct + tag
    assert aead.decrypt(key, iv, ct + tag, aad) == pt


def test_parameters() -> None:
    assert AEAD_NAMES == ("sm4-gcm", "aes-256-gcm")
    sm4, aes = get_aead("sm4-gcm"), get_aead("aes-256-gcm")
    assert isinstance(sm4, Aead) and isinstance(aes, Aead)
    assert (sm4.name, sm4.key_size, sm4.nonce_size, sm4.tag_size) == ("sm4-gcm", 16, 12, 16)
    assert (aes.name, aes.key_size, aes.nonce_size, aes.tag_size) == ("aes-256-gcm", 32, 12, 16)
    assert get_aead("sm4-gcm") is sm4


@pytest.mark.parametrize("name", AEAD_NAMES)
@given(plaintext=st.binary(max_size=200), aad=st.binary(max_size=50))
def test_round_trip(name: str, plaintext: bytes, aad: bytes) -> None:
    aead = get_aead(name)
    key, nonce = os.urandom(aead.key_size), os.urandom(aead.nonce_size)
    sealed = aead.encrypt(key, nonce, plaintext, aad)
    assert len(sealed) == len(plaintext) + aead.tag_size
    assert aead.decrypt(key, nonce, sealed, aad) == plaintext


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


@pytest.mark.parametrize("name", AEAD_NAMES)
def test_any_tampering_fails_with_decryption_failed(name: str) -> None:
    aead = get_aead(name)
    key, nonce = os.urandom(aead.key_size), os.urandom(aead.nonce_size)
    aad, plaintext = b"tx-id", b"payment instruction 100.00 CNY"
    sealed = aead.encrypt(key, nonce, plaintext, aad)
    tampered = [
        (key, nonce, flip(sealed, 0), aad),  # ciphertext
        (key, nonce, flip(sealed, len(sealed) - 1), aad),  # tag
        (key, nonce, sealed, flip(aad, 0)),  # associated data
        (key, nonce, sealed, b""),  # associated data dropped
        (key, flip(nonce, 11), sealed, aad),  # nonce
        (flip(key, 5), nonce, sealed, aad),  # key
        (key, nonce, sealed[:-1], aad),  # truncated
        (key, nonce, sealed + b"\x00", aad),  # extended
        (key, nonce, sealed[: aead.tag_size - 1], aad),  # shorter than a tag
    ]
    for args in tampered:
        assert code_of(aead.decrypt, *args) == ("crypto", ErrDecryptionFailed.code)
    assert aead.decrypt(key, nonce, sealed, aad) == plaintext


@pytest.mark.parametrize("name", AEAD_NAMES)
def test_different_nonces_give_different_ciphertexts(name: str) -> None:
    aead = get_aead(name)
    key = os.urandom(aead.key_size)
    sealed = {aead.encrypt(key, os.urandom(12), b"same plaintext") for _ in range(20)}
    assert len(sealed) == 20


@pytest.mark.parametrize("name", AEAD_NAMES)
def test_wrong_sizes_are_refused(name: str) -> None:
    aead = get_aead(name)
    key, nonce = os.urandom(aead.key_size), os.urandom(12)
    for bad_key in (key[:-1], key + b"\x00", b"", "k" * aead.key_size):
        assert code_of(aead.encrypt, bad_key, nonce, b"x") == ("crypto", ErrInvalidKey.code)
        assert code_of(aead.decrypt, bad_key, nonce, bytes(17)) == ("crypto", ErrInvalidKey.code)
    for bad_nonce in (nonce[:-1], nonce + b"\x00", b""):
        assert code_of(aead.encrypt, key, bad_nonce, b"x") == ("crypto", ErrInvalidNonce.code)
        assert code_of(aead.decrypt, key, bad_nonce, bytes(17)) == ("crypto", ErrInvalidNonce.code)


def test_error_messages_do_not_echo_the_key() -> None:
    aead = get_aead("sm4-gcm")
    key = os.urandom(16)
    sealed = aead.encrypt(key, bytes(12), b"secret payload")
    with pytest.raises(FinchainError) as info:
        aead.decrypt(key, bytes(12), flip(sealed, 0))
    with pytest.raises(FinchainError) as info2:
        aead.encrypt(key + b"\x00", bytes(12), b"x")
    for exc in (info.value, info2.value):
        for text in (str(exc), repr(exc), repr(exc.details)):
            assert key.hex() not in text
            assert "secret payload" not in text


@pytest.mark.parametrize("name", ["SM4-GCM", "aes-128-gcm", "chacha20-poly1305", ""])
def test_unknown_aead(name: str) -> None:
    assert code_of(get_aead, name) == ("crypto", ErrUnknownAead.code)
