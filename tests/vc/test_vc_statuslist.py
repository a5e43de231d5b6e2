"""Bitstring status lists: bit order, encoding, anchoring, and hostile encoded lists."""

from __future__ import annotations

import base64
import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.crypto import hash_bytes
from finchain.errors import FinchainError
from finchain.formats.multibase import encode_base64url
from finchain.offchain.vc.errors import ErrMalformedStatusList, ErrStatusIndexRange
from finchain.offchain.vc.jcs import canonicalize
from finchain.offchain.vc.statuslist import (
    MIN_BITS,
    StatusList,
    anchor_digest,
    build_status_list_credential,
    read_status_list,
)
from tests.vc.world import T0


def test_index_zero_is_the_most_significant_bit_of_byte_zero() -> None:
    bits = StatusList()
    bits.set(0)
    bits.set(9)
    raw = bits.to_bytes()
    assert raw[0] == 0x80 and raw[1] == 0x40 and raw[2:] == bytes(len(raw) - 2)
    assert bits.get(0) and bits.get(9) and not bits.get(1)
    bits.clear(0)
    assert not bits.get(0) and bits.to_bytes()[0] == 0


def test_spec_sized_and_encoded_as_multibase_gzip() -> None:
    bits = StatusList()
    assert bits.size == MIN_BITS == 16 * 1024 * 8
    bits.set(MIN_BITS - 1)
    encoded = bits.encode()
    assert encoded.startswith("u") and "=" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert raw[-1] == 0x01 and len(raw) == 16 * 1024
    assert encoded == bits.encode()  # deterministic: no timestamp in the GZIP header
    decoded = StatusList.decode(encoded)
    assert decoded.get(MIN_BITS - 1) and decoded.to_bytes() == raw


def test_out_of_range_indexes_and_sizes() -> None:
    bits = StatusList()
    for index in (-1, MIN_BITS, True, "3"):
        with pytest.raises(FinchainError) as info:
            bits.get(index)  # type: ignore[arg-type]
        assert ErrStatusIndexRange.matches(info.value)
    for size in (8, MIN_BITS + 1):
        with pytest.raises(FinchainError) as info:
            StatusList(size)
        assert ErrStatusIndexRange.matches(info.value)


def _encoded(raw: bytes) -> str:
    return encode_base64url(gzip.compress(raw, mtime=0))


@pytest.mark.parametrize(
    ("encoded", "why"),
    [
        (_encoded(bytes(1024)), "fewer"),
        (encode_base64url(b"not gzip at all"), "GZIP"),
        (encode_base64url(gzip.compress(bytes(16384), mtime=0)[:-6]), "truncated"),
        (encode_base64url(gzip.compress(bytes(16384), mtime=0) + b"x"), "after"),
    ],
)
def test_bad_encoded_lists_are_refused(encoded: str, why: str) -> None:
    with pytest.raises(FinchainError) as info:
        StatusList.decode(encoded)
    assert ErrMalformedStatusList.matches(info.value) and why in info.value.message


def test_decompression_bomb_is_refused_without_inflating_it() -> None:
    bomb = _encoded(bytes(64 * 1024 * 1024))  # 64 MiB of zeros, ~64 KiB compressed
    assert len(bomb) < 200_000
    with pytest.raises(FinchainError) as info:
        StatusList.decode(bomb)
    assert ErrMalformedStatusList.matches(info.value) and "oversized" in info.value.message
    with pytest.raises(FinchainError):
        StatusList.decode(_encoded(bytes(32 * 1024)), max_bits=MIN_BITS)


def test_anchor_digest_is_the_suite_hash_of_the_canonical_credential() -> None:
    credential = build_status_list_credential(
        list_id="https://bank.example/status/1",
        issuer="did:finchain:testnet:000000000195",
        purpose="revocation",
        status=StatusList(),
        valid_from=T0,
    )
    for hash_name in ("sha256", "sm3"):
        assert anchor_digest(credential, hash_name) == hash_bytes(
            hash_name, canonicalize(credential)
        )
    assert anchor_digest(credential, "sha256") != anchor_digest(credential, "sm3")
    purpose, bits = read_status_list(credential)
    assert purpose == "revocation" and bits.size == MIN_BITS


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=200).map(lambda t: "u" + t)
    | st.binary(max_size=300).map(encode_base64url)
    | st.binary(max_size=300).map(lambda b: encode_base64url(gzip.compress(b, mtime=0)))
)
def test_fuzz_decoding_raises_only_registered_errors(encoded: str) -> None:
    try:
        StatusList.decode(encoded)
    except FinchainError as exc:
        assert exc.codespace == "vc"
