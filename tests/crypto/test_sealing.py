"""Sealing to a public key: round trips, context binding, tampering, keys at rest, fuzzing."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finchain.crypto import (
    SEALING_SCHEMES,
    EncryptionKey,
    ErrDecryptionFailed,
    ErrInvalidKey,
    ErrInvalidSealInput,
    ErrUnknownEncryptionScheme,
    Keystore,
    check_encryption_public_key,
    encryption_public_key,
    generate_encryption_key,
    generate_private_key,
    load_encryption_key,
    open_sealed,
    seal,
    store_encryption_key,
)
from finchain.crypto import sealing as sealing_module
from finchain.errors import ErrorCode, FinchainError

CONTEXT = b"finchain-1/escrow/7"
SECRET = bytes(range(33))
KEYS = {scheme: generate_encryption_key(scheme) for scheme in SEALING_SCHEMES}
VALID_SM2_PREFIX = seal("sm2", KEYS["sm2"].public_key, b"", context=b"")[:66]
OVERHEAD = {"sm2": 1 + 65 + 32 + 16 + 16, "x25519": 1 + 32 + 16}


def raises(code: ErrorCode, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> FinchainError:
    with pytest.raises(FinchainError) as info:
        fn(*args, **kwargs)
    assert code.matches(info.value), f"expected {code}, got {info.value!r}"
    return info.value


@pytest.fixture(params=SEALING_SCHEMES)
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_round_trip_has_the_documented_size(scheme: str) -> None:
    key = KEYS[scheme]
    for plaintext in (b"", b"x", SECRET, bytes(sealing_module.MAX_PLAINTEXT_SIZE)):
        sealed = seal(scheme, key.public_key, plaintext, context=CONTEXT)
        assert len(sealed) == len(plaintext) + OVERHEAD[scheme]
        assert open_sealed(scheme, key, sealed, context=CONTEXT) == plaintext


def test_sealing_is_randomised(scheme: str) -> None:
    key = KEYS[scheme]
    first = seal(scheme, key.public_key, SECRET, context=CONTEXT)
    second = seal(scheme, key.public_key, SECRET, context=CONTEXT)
    assert first != second
    assert SECRET not in first


def test_wrong_key_fails(scheme: str) -> None:
    sealed = seal(scheme, KEYS[scheme].public_key, SECRET, context=CONTEXT)
    other = generate_encryption_key(scheme)
    raises(ErrDecryptionFailed, open_sealed, scheme, other, sealed, context=CONTEXT)


def test_wrong_context_fails(scheme: str) -> None:
    key = KEYS[scheme]
    sealed = seal(scheme, key.public_key, SECRET, context=CONTEXT)
    for context in (b"", CONTEXT + b"\x00", CONTEXT[:-1], b"finchain-2/escrow/7"):
        raises(ErrDecryptionFailed, open_sealed, scheme, key, sealed, context=context)


def test_every_altered_byte_fails(scheme: str) -> None:
    key = KEYS[scheme]
    sealed = seal(scheme, key.public_key, b"share", context=CONTEXT)
    for index in range(len(sealed)):
        altered = bytearray(sealed)
        altered[index] ^= 0x01
        raises(ErrDecryptionFailed, open_sealed, scheme, key, bytes(altered), context=CONTEXT)
    for cut in (0, 1, len(sealed) - 1):
        raises(ErrDecryptionFailed, open_sealed, scheme, key, sealed[:cut], context=CONTEXT)
    raises(ErrDecryptionFailed, open_sealed, scheme, key, sealed + b"\x00", context=CONTEXT)


def test_a_message_sealed_for_one_scheme_does_not_open_as_the_other() -> None:
    sealed = seal("sm2", KEYS["sm2"].public_key, SECRET, context=CONTEXT)
    raises(ErrDecryptionFailed, open_sealed, "x25519", KEYS["x25519"], sealed, context=CONTEXT)
    # And the key must be of the scheme asked for.
    raises(ErrInvalidKey, open_sealed, "sm2", KEYS["x25519"], sealed, context=CONTEXT)


def test_unknown_scheme_and_bad_inputs_are_refused(scheme: str) -> None:
    key = KEYS[scheme]
    raises(ErrUnknownEncryptionScheme, seal, "ed25519", key.public_key, SECRET, context=CONTEXT)
    raises(ErrUnknownEncryptionScheme, generate_encryption_key, "rsa")
    raises(ErrUnknownEncryptionScheme, open_sealed, "aes", key, b"", context=CONTEXT)
    too_big = bytes(sealing_module.MAX_PLAINTEXT_SIZE + 1)
    raises(ErrInvalidSealInput, seal, scheme, key.public_key, too_big, context=CONTEXT)
    raises(ErrInvalidSealInput, seal, scheme, key.public_key, "text", context=CONTEXT)
    long_context = bytes(sealing_module.MAX_CONTEXT_SIZE + 1)
    raises(ErrInvalidSealInput, seal, scheme, key.public_key, SECRET, context=long_context)
    raises(ErrInvalidSealInput, open_sealed, scheme, key, b"", context="ctx")
    raises(ErrDecryptionFailed, open_sealed, scheme, key, bytearray(100), context=CONTEXT)
    huge = bytes(sealing_module.MAX_SEALED_SIZE + 1)
    raises(ErrDecryptionFailed, open_sealed, scheme, key, huge, context=CONTEXT)


def test_malformed_public_keys_are_refused() -> None:
    sm2_public = KEYS["sm2"].public_key
    bad_sm2 = [
        sm2_public[1:],
        b"\x02" + sm2_public[1:33],
        sm2_public[:-1] + bytes((sm2_public[-1] ^ 1,)),  # off the curve
        bytes(65),
    ]
    for data in bad_sm2:
        raises(ErrInvalidKey, seal, "sm2", data, SECRET, context=CONTEXT)
    p = 2**255 - 19
    bad_x25519 = [
        bytes(31),
        bytes(32),  # u = 0, low order
        (1).to_bytes(32, "little"),  # low order
        (p - 1).to_bytes(32, "little"),  # u = -1, low order
        p.to_bytes(32, "little"),  # non-canonical encoding of 0
        (2**255 + 9).to_bytes(33, "little")[:32],  # top bit set: non-canonical
    ]
    for data in bad_x25519:
        raises(ErrInvalidKey, seal, "x25519", data, SECRET, context=CONTEXT)
        raises(ErrInvalidKey, check_encryption_public_key, "x25519", data)
    check_encryption_public_key("x25519", KEYS["x25519"].public_key)
    check_encryption_public_key("sm2", sm2_public)


def test_keys_never_show_or_pickle_their_secret(scheme: str) -> None:
    key = KEYS[scheme]
    secret_hex = key.secret_bytes().hex()
    assert secret_hex not in repr(key)
    assert secret_hex not in str(key)
    assert key.public_key.hex() in repr(key)
    with pytest.raises(TypeError):
        pickle.dumps(key)


def test_secp256k1_keys_cannot_decrypt() -> None:
    raises(ErrInvalidKey, EncryptionKey, generate_private_key("secp256k1"))


def test_keys_at_rest_go_through_the_encrypted_keystore(tmp_path: Path, scheme: str) -> None:
    keystore = Keystore(tmp_path / "keys", scrypt_n=2**10)
    key = generate_encryption_key(scheme)
    info = store_encryption_key(keystore, "regulator-escrow", key, "passphrase 1")
    file_text = (tmp_path / "keys" / "regulator-escrow.json").read_text()
    assert key.secret_bytes().hex() not in file_text
    # The public part alone gives the sealing key, without the passphrase.
    assert encryption_public_key(info.public_key) == (scheme, key.public_key)
    sealed = seal(scheme, key.public_key, SECRET, context=CONTEXT)
    loaded = load_encryption_key(keystore, "regulator-escrow", "passphrase 1")
    assert loaded.public_key == key.public_key
    assert open_sealed(scheme, loaded, sealed, context=CONTEXT) == SECRET


def test_x25519_public_key_is_the_libsodium_conversion_of_the_ed25519_key() -> None:
    from nacl.bindings import crypto_box_seal, crypto_box_seal_open

    ed = generate_private_key("ed25519")
    key = EncryptionKey(ed)
    scheme, public = encryption_public_key(ed.public_key())
    assert (scheme, public) == ("x25519", key.public_key)
    # libsodium agrees that the converted private and public keys are a pair.
    from nacl.bindings import crypto_sign_ed25519_sk_to_curve25519

    private = crypto_sign_ed25519_sk_to_curve25519(ed.secret_bytes() + ed.public_key().data)
    box = crypto_box_seal(b"pair", public)
    assert crypto_box_seal_open(box, public, private) == b"pair"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    scheme=st.sampled_from(SEALING_SCHEMES),
    data=st.one_of(
        st.binary(max_size=400),
        st.binary(max_size=400).map(lambda b: b"\x01" + b),
        st.binary(max_size=400).map(lambda b: b"\x02" + b),
        # A real C1 (on the curve), so that gmssl's decryption itself sees the garbage.
        st.binary(max_size=200).map(lambda b: VALID_SM2_PREFIX + b),
    ),
)
def test_fuzz_open_sealed_raises_only_decryption_failed(scheme: str, data: bytes) -> None:
    with pytest.raises(FinchainError) as info:
        open_sealed(scheme, KEYS[scheme], data, context=CONTEXT)
    assert ErrDecryptionFailed.matches(info.value)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    scheme=st.sampled_from(SEALING_SCHEMES),
    position=st.integers(min_value=0),
    mask=st.integers(min_value=1, max_value=255),
)
def test_fuzz_altered_real_messages_never_open(scheme: str, position: int, mask: int) -> None:
    key = KEYS[scheme]
    sealed = bytearray(seal(scheme, key.public_key, SECRET, context=CONTEXT))
    sealed[position % len(sealed)] ^= mask
    raises(ErrDecryptionFailed, open_sealed, scheme, key, bytes(sealed), context=CONTEXT)


@settings(max_examples=50, deadline=None)
@given(plaintext=st.binary(max_size=300), context=st.binary(max_size=100))
def test_property_round_trip(plaintext: bytes, context: bytes) -> None:
    for scheme, key in KEYS.items():
        sealed = seal(scheme, key.public_key, plaintext, context=context)
        assert open_sealed(scheme, key, sealed, context=context) == plaintext


# -- SM2 interoperability with the openssl command line ----------------------
#
# OpenSSL 3 encrypts with an SM2 key as GM/T 0009 DER SM2Cipher (C1C3C2):
#     openssl pkeyutl -encrypt -pubin -inkey pub.pem -in key16 -out c.der
#     openssl pkeyutl -decrypt -inkey key.pem -in c.der -out key16
# The sealed format carries the same C1C3C2 as raw bytes; the conversions
# below are written independently of finchain's.

SM2_LABEL = b"finchain/seal/sm2/v1\x00"


def der_length_value(data: bytes, tag: int) -> tuple[bytes, bytes]:
    assert data[0] == tag and data[1] < 0x80, data[:2].hex()
    return data[2 : 2 + data[1]], data[2 + data[1] :]


def der_to_c1c3c2(der: bytes) -> bytes:
    body, rest = der_length_value(der, 0x30)
    assert rest == b""
    x, body = der_length_value(body, 0x02)
    y, body = der_length_value(body, 0x02)
    c3, body = der_length_value(body, 0x04)
    c2, body = der_length_value(body, 0x04)
    assert body == b""
    point = int.from_bytes(x, "big").to_bytes(32, "big") + int.from_bytes(y, "big").to_bytes(
        32, "big"
    )
    return b"\x04" + point + c3 + c2


def c1c3c2_to_der(raw: bytes) -> bytes:
    def integer(value: bytes) -> bytes:
        number = int.from_bytes(value, "big")
        encoded = number.to_bytes(number.bit_length() // 8 + 1, "big")
        return bytes((0x02, len(encoded))) + encoded

    c3, c2 = raw[65:97], raw[97:]
    body = (
        integer(raw[1:33])
        + integer(raw[33:65])
        + bytes((0x04, len(c3)))
        + c3
        + bytes((0x04, len(c2)))
        + c2
    )
    return bytes((0x30, len(body))) + body


def _openssl_tools() -> Any:
    from tests.crypto import test_crypto_sm2_openssl as tools

    return tools


@pytest.mark.functional
def test_openssl_decrypts_the_sm2_part_of_a_finchain_sealed_message(tmp_path: Path) -> None:
    tools = _openssl_tools()
    if not tools.openssl_has_sm2():
        pytest.skip("openssl with SM2 not available")
    from finchain.crypto import get_aead, private_key_from_bytes

    pem, secret, public = tools.openssl_key(tmp_path)
    key = EncryptionKey(private_key_from_bytes("sm2", secret))
    assert key.public_key == public
    for plaintext in (b"", SECRET):
        sealed = seal("sm2", public, plaintext, context=CONTEXT)
        c1c3c2 = sealed[1:114]
        (tmp_path / "c.der").write_bytes(c1c3c2_to_der(c1c3c2))
        result = tools.openssl(
            "pkeyutl", "-decrypt", "-inkey", pem, "-in", tmp_path / "c.der",
            "-out", tmp_path / "k",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        sm4_key = (tmp_path / "k").read_bytes()
        assert len(sm4_key) == 16
        aad = SM2_LABEL + public + c1c3c2 + CONTEXT
        assert get_aead("sm4-gcm").decrypt(sm4_key, bytes(12), sealed[114:], aad) == plaintext


@pytest.mark.functional
def test_finchain_opens_a_message_whose_sm2_part_openssl_encrypted(tmp_path: Path) -> None:
    tools = _openssl_tools()
    if not tools.openssl_has_sm2():
        pytest.skip("openssl with SM2 not available")
    from finchain.crypto import get_aead

    key = KEYS["sm2"]
    pub_pem = tools.write_public_pem(tmp_path / "pub.pem", key.public_key)
    for _ in range(3):
        sm4_key = bytes(range(16))
        (tmp_path / "k").write_bytes(sm4_key)
        result = tools.openssl(
            "pkeyutl", "-encrypt", "-pubin", "-inkey", pub_pem, "-in", tmp_path / "k",
            "-out", tmp_path / "c.der",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        c1c3c2 = der_to_c1c3c2((tmp_path / "c.der").read_bytes())
        aad = SM2_LABEL + key.public_key + c1c3c2 + CONTEXT
        body = get_aead("sm4-gcm").encrypt(sm4_key, bytes(12), SECRET, aad)
        sealed = b"\x01" + c1c3c2 + body
        assert open_sealed("sm2", key, sealed, context=CONTEXT) == SECRET
        raises(ErrDecryptionFailed, open_sealed, "sm2", key, sealed, context=b"other")
