"""Canonical encoding: one byte string per value, and decoders that never crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.codec import (
    MAX_AMOUNT,
    ErrAmount,
    ErrFloat,
    ErrMalformed,
    ErrNonCanonical,
    ErrSchema,
    ErrTooLarge,
    RawMsg,
    TxBody,
    TxSignature,
    decode,
    decode_tx,
    encode,
    encode_tx,
    format_amount,
    parse_amount,
)
from finchain.errors import FinchainError

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.text(max_size=20)
    | st.binary(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(values)
def test_round_trip_is_identity(value):
    data = encode(value)
    assert decode(data, max_size=1 << 20) == value
    assert encode(decode(data, max_size=1 << 20)) == data


@given(st.binary(max_size=200))
@settings(max_examples=2000)
def test_decoder_never_crashes(data):
    try:
        value = decode(data, max_size=1 << 20)
    except FinchainError as exc:
        assert exc.codespace == "codec"
    else:
        assert encode(value) == data, "anything accepted is canonical"


@given(st.binary(max_size=300))
@settings(max_examples=2000)
def test_tx_decoder_never_crashes(data):
    with pytest.raises(FinchainError):
        decode_tx(data, max_size=1 << 16)


@pytest.mark.parametrize(
    "hex_bytes, error",
    [
        ("1801", ErrNonCanonical),  # 1 with a needless one-byte argument
        ("a2616201616101", ErrMalformed),  # unsorted map keys
        ("9f01ff", ErrMalformed),  # indefinite-length array
        ("fb3ff8000000000000", ErrFloat),  # a float
        ("0101", ErrMalformed),  # trailing bytes
        ("", ErrMalformed),
    ],
)
def test_non_canonical_forms_rejected(hex_bytes, error):
    with pytest.raises(FinchainError) as err:
        decode(bytes.fromhex(hex_bytes), max_size=100)
    assert error.matches(err.value)


def test_size_limit_checked_before_parsing():
    with pytest.raises(FinchainError) as err:
        decode(b"\x00" * 101, max_size=100)
    assert ErrTooLarge.matches(err.value)


def test_encode_refuses_floats_and_huge_ints():
    for bad in (1.0, {"a": [0.5]}, 2**64):
        with pytest.raises(FinchainError):
            encode(bad)
    with pytest.raises(FinchainError) as err:
        encode({"a": 0.5})
    assert ErrFloat.matches(err.value)


def _tx(**overrides) -> bytes:
    body = TxBody("c", "FC000", 1, (RawMsg("bank/transfer", {"x": 1}),), "", 0)
    return encode_tx(body, [TxSignature("k1", b"s" * 64)])


def test_tx_round_trip_and_body_bytes():
    body = TxBody("chain", "FC1", 7, (RawMsg("a/b", {"k": "v"}),), "memo", 9)
    raw = encode_tx(body, [TxSignature("k1", b"\x01" * 64), TxSignature("k2", b"\x02" * 64)])
    tx = decode_tx(raw, max_size=10_000)
    assert tx.body == body
    assert tx.body_bytes == body.encode()
    assert tx.sign_bytes().startswith(b"finchain/tx/v1\x00")
    assert [s.key_id for s in tx.signatures] == ["k1", "k2"]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda o: o.pop("sigs"),
        lambda o: o.update(extra=1),
        lambda o: o["body"].pop("memo"),
        lambda o: o["body"].update(nonce=-1),
        lambda o: o["body"].update(nonce="1"),
        lambda o: o["body"].update(msgs="x"),
        lambda o: o["body"]["msgs"][0].update(value=[]),
        lambda o: o["sigs"][0].update(sig="text"),
    ],
)
def test_tx_schema_violations(mutate):
    obj = decode(_tx(), max_size=10_000)
    mutate(obj)
    with pytest.raises(FinchainError) as err:
        decode_tx(encode(obj), max_size=10_000)
    assert ErrSchema.matches(err.value)


@pytest.mark.parametrize("text", ["1", "42", str(MAX_AMOUNT)])
def test_amounts_accepted(text):
    assert format_amount(parse_amount(text)) == text


@pytest.mark.parametrize(
    "bad", ["0", "-1", "+1", "01", "1.0", "1e5", " 1", "1 ", "", "١٢", str(MAX_AMOUNT + 1), 5, None]
)
def test_amounts_rejected(bad):
    with pytest.raises(FinchainError) as err:
        parse_amount(bad)
    assert ErrAmount.matches(err.value)
