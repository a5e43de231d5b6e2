"""The native DAG-CBOR encoder: bytes stay bytes, and otherwise it writes what libipld writes."""

from __future__ import annotations

import enum
from collections import OrderedDict

import libipld
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain import native
from finchain.codec import ErrFloat, ErrMalformed, ErrNonCanonical, decode, encode, encode_trusted
from finchain.errors import FinchainError
from finchain.light import cbor as light_cbor

CIDV0 = b"\x12\x20" + bytes(range(32))  # a SHA-256 multihash: libipld's CIDv0
CIDV1 = b"\x01\x71\x12\x20" + bytes(32)  # version 1, dag-cbor, sha2-256, 32-byte digest
SIGNATURE_LIKE = b"\x01\x55\x00\x3c" + bytes(range(60))  # 64 bytes: raw codec, identity hash

# Every one of these is something libipld would write as a tag-42 link.
CID_LIKE = [CIDV0, CIDV1, SIGNATURE_LIKE]


def _plain_bytes(data: bytes) -> bytes:
    """The major-type-2 encoding of ``data`` (lengths below 256 only)."""
    head = bytes([0x40 | len(data)]) if len(data) < 24 else bytes([0x58, len(data)])
    return head + data


@pytest.mark.parametrize("data", CID_LIKE, ids=["cidv0", "cidv1", "signature"])
def test_cid_like_bytes_are_plain_byte_strings(data):
    assert b"\xd8\x2a" in libipld.encode_dag_cbor(data), "libipld must tag it, or the case is moot"
    encoded = encode(data)
    assert encoded == _plain_bytes(data)
    assert decode(encoded, max_size=1000) == data
    nested = {"sig": data, "list": [data]}
    assert decode(encode(nested), max_size=1000) == nested


@pytest.mark.parametrize("data", CID_LIKE, ids=["cidv0", "cidv1", "signature"])
def test_the_old_tag_42_form_is_refused_as_non_canonical(data):
    tagged = libipld.encode_dag_cbor({"sig": data})
    with pytest.raises(FinchainError) as err:
        decode(tagged, max_size=1000)
    assert ErrNonCanonical.matches(err.value)


def _contains_cid_like(value: object) -> bool:
    if isinstance(value, bytes):
        try:
            libipld.decode_cid(value)
        except ValueError:
            return False
        return True
    if isinstance(value, list):
        return any(_contains_cid_like(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_cid_like(v) for v in value.values())
    return False


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64 - 1)
    | st.sampled_from([0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, -24, -25, -(2**64)])
    | st.text(max_size=30)
    | st.binary(max_size=70)
    | st.binary(min_size=30, max_size=70).map(lambda b: b"\x01" + b)  # often CID-like
    | st.sampled_from(CID_LIKE),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=6)
    ),
    max_leaves=30,
)


@settings(max_examples=1000, deadline=None)
@given(values)
def test_agrees_with_libipld_except_for_links_and_round_trips(value):
    ours = native.encode_dag_cbor(value)
    theirs = libipld.encode_dag_cbor(value)
    if _contains_cid_like(value):
        assert b"\xd8\x2a" in theirs
        assert light_cbor.decode(ours, max_size=1 << 20) == value  # it refuses any tag
    else:
        assert ours == theirs
    assert decode(ours, max_size=1 << 20) == value
    assert encode(value) == encode_trusted(value) == ours


@pytest.mark.parametrize(
    "keys",
    [
        ["b", "a", "aa", "ab", ""],
        ["z", "aaa", "bb"],  # shorter first, whatever the letters
        ["é", "z", "zz"],  # é is two UTF-8 bytes: it sorts with "zz", before it (0xc3 > 0x7a)
        ["\U0001f600", "abcd", "abc", "ÿ"],  # 4 bytes vs ASCII
        ["B", "a", "_", "~"],
    ],
)
def test_map_keys_sort_by_encoded_length_then_bytes(keys):
    value = {k: i for i, k in enumerate(keys)}
    data = encode(value)
    expected = sorted(keys, key=lambda k: (len(k.encode()), k.encode()))
    assert list(libipld.decode_dag_cbor(data)) == expected
    assert data == libipld.encode_dag_cbor(value)
    assert decode(data, max_size=1000) == value


@pytest.mark.parametrize(
    "number, hex_bytes",
    [
        (0, "00"),
        (23, "17"),
        (24, "1818"),
        (255, "18ff"),
        (256, "190100"),
        (2**16, "1a00010000"),
        (2**32, "1b0000000100000000"),
        (2**63, "1b8000000000000000"),
        (2**64 - 1, "1bffffffffffffffff"),
        (-1, "20"),
        (-25, "3818"),
        (-(2**63), "3b7fffffffffffffff"),
        (-(2**63) - 1, "3b8000000000000000"),
        (-(2**64), "3bffffffffffffffff"),
    ],
)
def test_integers_use_the_shortest_head(number, hex_bytes):
    assert encode(number).hex() == hex_bytes
    assert decode(bytes.fromhex(hex_bytes), max_size=16) == number


@pytest.mark.parametrize("number", [2**64, -(2**64) - 1, 2**200, -(2**200)])
def test_integers_beyond_64_bits_are_refused(number):
    with pytest.raises(OverflowError):
        native.encode_dag_cbor(number)
    with pytest.raises(FinchainError) as err:
        encode({"n": [number]})
    assert ErrMalformed.matches(err.value)


def _nested(levels: int) -> object:
    value: object = 1
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


def test_nesting_is_limited():
    limit = native.MAX_DEPTH
    assert limit == 512
    assert decode(encode(_nested(limit)), max_size=1 << 16) == _nested(limit)
    with pytest.raises(ValueError, match="nested deeper"):
        native.encode_dag_cbor(_nested(limit + 1))
    with pytest.raises(FinchainError) as err:
        encode(_nested(100_000))  # would overflow an unbounded recursion
    assert ErrMalformed.matches(err.value)


@pytest.mark.parametrize("levels, error", [(600, ErrNonCanonical), (100_000, ErrMalformed)])
def test_decode_refuses_deep_nesting_with_a_codec_error(levels, error):
    """600 levels parse but exceed the encoder's limit; 100,000 exceed libipld's own."""
    with pytest.raises(FinchainError) as err:
        decode(b"\x81" * levels + b"\x00", max_size=1 << 20)
    assert error.matches(err.value)


@pytest.mark.parametrize("value", [0.0, 1.5, float("nan"), {"a": [1, {"b": -0.0}]}])
def test_floats_are_refused_with_their_own_error(value):
    with pytest.raises(native.FloatError):
        native.encode_dag_cbor(value)
    for encoder in (encode, encode_trusted):
        with pytest.raises(FinchainError) as err:
            encoder(value)
        assert ErrFloat.matches(err.value)


def test_decoded_floats_are_refused_as_floats():
    with pytest.raises(FinchainError) as err:
        decode(bytes.fromhex("a16161fb3ff8000000000000"), max_size=100)  # {"a": 1.5}
    assert ErrFloat.matches(err.value)


@pytest.mark.parametrize(
    "value",
    [(1, 2), {1: "a"}, {b"k": 1}, bytearray(b"x"), memoryview(b"x"), {1, 2}, object(), [[(1,)]]],
)
def test_other_types_are_refused(value):
    with pytest.raises(TypeError):
        native.encode_dag_cbor(value)
    with pytest.raises(FinchainError) as err:
        encode(value)
    assert ErrMalformed.matches(err.value)


@pytest.mark.parametrize("value", ["\ud800", {"\udfff": 1}, ["ok", "a\ud83dz"]])
def test_lone_surrogates_are_refused(value):
    with pytest.raises(ValueError):
        native.encode_dag_cbor(value)
    with pytest.raises(FinchainError) as err:
        encode(value)
    assert ErrMalformed.matches(err.value)


class _Level(enum.IntEnum):
    HIGH = 300


class _Name(enum.StrEnum):
    ALICE = "alice"


class _SameKey(str):
    """A key that never equals another, so a dict can hold it twice."""

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)


def test_subclasses_encode_as_their_base_type_as_libipld_does():
    value = OrderedDict([("b", _Level.HIGH), ("a", [_Name.ALICE])])
    assert encode(value) == libipld.encode_dag_cbor(value) == encode({"a": ["alice"], "b": 300})


def test_a_map_cannot_hold_the_same_key_text_twice():
    with pytest.raises(FinchainError) as err:
        encode({_SameKey("k"): 1, _SameKey("k"): 2})
    assert ErrMalformed.matches(err.value)


def test_scalars():
    assert encode(None) == b"\xf6"
    assert encode(True) == b"\xf5"
    assert encode(False) == b"\xf4"
    assert encode("") == b"\x60"
    assert encode(b"") == b"\x40"
    assert encode([]) == b"\x80"
    assert encode({}) == b"\xa0"
    assert encode("é") == b"\x62\xc3\xa9"
    assert encode(b"\x00" * 300) == b"\x59\x01\x2c" + b"\x00" * 300
