"""SM2 details: Z, DER conversion, key derivation, and agreement with gmssl's own Z."""

from __future__ import annotations

import gmssl_pyx
import pytest
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from hypothesis import given
from hypothesis import strategies as st

from finchain.crypto import generate_private_key, private_key_from_bytes, sm2, verify_signature

MESSAGE = b"message digest"


def test_z_prefix_layout() -> None:
    # ENTL is the ID length in bits, two bytes big-endian: 16 bytes -> 0x0080.
    prefix = sm2._Z_PREFIX
    assert prefix[:2] == b"\x00\x80"
    assert prefix[2:18] == b"1234567812345678"
    assert len(prefix) == 2 + 16 + 4 * 32
    assert prefix[-64:] == sm2.GX.to_bytes(32, "big") + sm2.GY.to_bytes(32, "big")


def test_curve_constants_agree_with_gmssl() -> None:
    table = gmssl_pyx.sm2_utils.g_default_ecc_table
    assert int(table["p"], 16) == sm2.P
    assert int(table["a"], 16) == sm2.A
    assert int(table["b"], 16) == sm2.B
    assert int(table["n"], 16) == sm2.N
    assert int(table["g"], 16) == (sm2.GX << 256) | sm2.GY
    assert sm2.is_on_curve(sm2.GX, sm2.GY)


def test_our_signatures_verify_with_gmssl_message_api() -> None:
    # gmssl's sm2_verify computes Z itself from the default ID: an independent Z.
    for i in range(10):
        key = generate_private_key("sm2")
        message = MESSAGE + bytes([i])
        der = sm2.raw_to_der(key.sign(message))
        assert gmssl_pyx.sm2_verify(key.public_key().data[1:], message, der)
        assert not gmssl_pyx.sm2_verify(key.public_key().data[1:], message + b"!", der)


def test_gmssl_message_signatures_verify_here() -> None:
    for i in range(10):
        public, secret = gmssl_pyx.sm2_key_generate()
        message = MESSAGE * i
        signature = sm2.der_to_raw(gmssl_pyx.sm2_sign(secret, public, message))
        assert verify_signature("sm2", b"\x04" + public, message, signature)
        assert not verify_signature("sm2", b"\x04" + public, message + b"!", signature)


def test_public_key_derivation_matches_gmssl() -> None:
    for _ in range(30):
        public, secret = gmssl_pyx.sm2_key_generate()
        assert private_key_from_bytes("sm2", secret).public_key().data == b"\x04" + public


def test_small_secrets_give_small_multiples_of_g() -> None:
    g = (sm2.GX, sm2.GY, 1)
    expected = sm2._double(g)
    for d in range(2, 6):
        z_inv = pow(expected[2], -1, sm2.P)
        x = expected[0] * z_inv * z_inv % sm2.P
        y = expected[1] * z_inv * z_inv * z_inv % sm2.P
        key = private_key_from_bytes("sm2", d.to_bytes(32, "big"))
        assert key.public_key().data == b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
        expected = sm2._add(expected, g)
    # n - 2 is the largest secret: (n-2)G = -2G has the x of 2G and the other y.
    top = private_key_from_bytes("sm2", (sm2.N - 2).to_bytes(32, "big")).public_key().data
    two = private_key_from_bytes("sm2", (2).to_bytes(32, "big")).public_key().data
    assert top[1:33] == two[1:33]
    assert int.from_bytes(top[33:], "big") == sm2.P - int.from_bytes(two[33:], "big")


def test_extreme_secrets_sign_and_verify() -> None:
    for d in (1, 2, sm2.N - 2, sm2.N // 2):
        key = private_key_from_bytes("sm2", d.to_bytes(32, "big"))
        signature = key.sign(MESSAGE)
        assert key.public_key().verify(MESSAGE, signature)
        assert gmssl_pyx.sm2_verify(key.public_key().data[1:], MESSAGE, sm2.raw_to_der(signature))


scalars = st.integers(min_value=1, max_value=sm2.N - 1)


@given(r=scalars, s=scalars)
def test_der_conversion_round_trips_and_is_canonical(r: int, s: int) -> None:
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    der = sm2.raw_to_der(raw)
    assert der == encode_dss_signature(r, s)  # cryptography's DER is minimal
    assert decode_dss_signature(der) == (r, s)
    assert sm2.der_to_raw(der) == raw


@pytest.mark.parametrize("value", [1, 0x7F, 0x80, 0xFF, 0x100, 2**255, 2**248 - 1])
def test_der_integer_edges(value: int) -> None:
    raw = value.to_bytes(32, "big") + (1).to_bytes(32, "big")
    assert sm2.raw_to_der(raw) == encode_dss_signature(value, 1)


def test_low_s_is_not_required() -> None:
    # SM2 has no s -> n - s symmetry to normalise; both halves of the range occur.
    key = generate_private_key("sm2")
    high = 0
    for i in range(40):
        signature = key.sign(MESSAGE + bytes([i]))
        assert key.public_key().verify(MESSAGE + bytes([i]), signature)
        high += int.from_bytes(signature[32:], "big") > sm2.N // 2
    assert 0 < high < 40
