"""Declared fields: strict decoding that names the field, and exact round trips."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finchain.core.errors import ErrBadQuery, ErrInvalidMsg
from finchain.core.fields import (
    AMOUNT,
    Blob,
    Checked,
    Integer,
    ListOf,
    Nested,
    OneOf,
    Optional,
    Record,
    Text,
    decode_json,
    encode_json,
    wire,
)
from finchain.core.msgs import Msg
from finchain.errors import FinchainError


@dataclass(frozen=True, slots=True)
class Output(Record):
    to: str = wire(Text(max_len=8, pattern=r"[a-z]+", what="a name"))
    amount: int = wire(AMOUNT)


@dataclass(frozen=True, slots=True)
class MsgPay(Msg):
    TYPE = "test/pay"
    outputs: tuple[Output, ...] = wire(ListOf(Nested(Output), max_items=3, min_items=1))
    kind: str = wire(OneOf("fast", "slow"))
    memo: bytes = wire(Blob(max_len=4), default=b"")
    priority: int = wire(Integer(low=0, high=9), default=0)


def pay(**value: Any) -> dict[str, Any]:
    return {"outputs": [{"to": "bob", "amount": "5"}], "kind": "fast", **value}


def test_round_trip_leaves_defaults_out() -> None:
    msg = MsgPay.from_value(pay())
    assert msg == MsgPay((Output("bob", 5),), "fast")
    assert msg.to_value() == pay()
    assert MsgPay.from_value(pay(priority=3)).to_value() == pay(priority=3)
    assert msg.to_raw().type == "test/pay" and msg.to_raw().value == pay()


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (pay(extra=1), "unknown fields ['extra']"),
        ({"kind": "fast"}, "missing fields ['outputs']"),
        (pay(kind="warp"), "'kind'"),
        (pay(outputs=[]), "'outputs'"),
        (pay(outputs=[{"to": "BOB", "amount": "5"}]), "'to': 'BOB' is not a name"),
        (pay(outputs=[{"to": "bob", "amount": "05"}]), "amount"),
        (pay(outputs=[{"to": "bob", "amount": 5}]), "amount"),
        (pay(memo=b"12345"), "'memo' is longer than 4 bytes"),
        (pay(priority=True), "'priority'"),
        (pay(priority=10), "'priority'"),
        ("not a map", "must be a map"),
    ],
)
def test_refusals_name_the_field(value: Any, named: str) -> None:
    with pytest.raises(FinchainError) as info:
        MsgPay.from_value(value)
    assert ErrInvalidMsg.matches(info.value)
    assert named in info.value.message


@given(
    st.lists(
        st.tuples(st.from_regex(r"[a-z]{1,8}", fullmatch=True), st.integers(1, 2**127 - 1)),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from(["fast", "slow"]),
    st.binary(max_size=4),
)
def test_any_valid_message_round_trips(
    outputs: list[tuple[str, int]], kind: str, memo: bytes
) -> None:
    msg = MsgPay(tuple(Output(t, a) for t, a in outputs), kind, memo)
    assert MsgPay.from_value(msg.to_value()) == msg


@dataclass(frozen=True, slots=True)
class Seal(Record):
    digest: bytes = wire(Blob(size=4))
    wrapped: bytes | None = wire(Optional(Blob(max_len=8, min_len=1)), default=None)


@dataclass(frozen=True, slots=True)
class Sealed(Record):
    seals: tuple[Seal, ...] = wire(ListOf(Nested(Seal), max_items=2))
    count: int = wire(Integer(low=0, high=9))


def test_json_form_writes_bytes_as_hex_and_reads_them_as_strictly() -> None:
    record = Sealed((Seal(b"\x00\x01\xab\xff", b"k"), Seal(bytes(4))), 2)
    as_json = record.to_json()
    assert as_json == {
        "seals": [{"digest": "0001abff", "wrapped": "6b"}, {"digest": "00000000"}],
        "count": 2,
    }
    assert Sealed.from_json(as_json) == record
    assert Sealed.from_obj(record.to_obj()) == record
    for seal, named in (
        ({"digest": "0001ABFF"}, "lowercase hex"),  # upper case
        ({"digest": "0001ab"}, "4 bytes"),
        ({"digest": "0001abf"}, "lowercase hex"),  # odd length
        ({"digest": b"\x00\x01\xab\xff"}, "lowercase hex"),  # bytes are not JSON
        ({"digest": "00000000", "wrapped": ""}, "shorter than 1 bytes"),
        ({"digest": "00000000", "wrapped": "00" * 9}, "'wrapped'"),
    ):
        with pytest.raises(FinchainError) as info:
            Sealed.from_json({"seals": [seal], "count": 1})
        assert ErrInvalidMsg.matches(info.value) and named in info.value.message, seal


@given(st.lists(st.tuples(st.binary(min_size=4, max_size=4), st.binary(max_size=8)), max_size=2))
def test_any_record_round_trips_through_json(seals: list[tuple[bytes, bytes]]) -> None:
    record = Sealed(tuple(Seal(d, w or None) for d, w in seals), len(seals))
    assert Sealed.from_json(record.to_json()) == record


@dataclass(frozen=True, slots=True)
class Ticket(Record):
    WHAT = "ticket"
    DERIVED = ("used",)
    used_at: int = wire(Integer(low=0, high=99))

    @property
    def used(self) -> bool:
        return self.used_at > 0


def test_derived_properties_follow_the_fields_and_may_be_left_out() -> None:
    record = Ticket(7)
    assert record.to_json() == {"used_at": 7, "used": True}
    assert record.to_obj() == {"used_at": 7}  # the wire form holds the fields only
    assert Ticket.from_json({"used_at": 7, "used": True}) == record
    assert Ticket.from_json({"used_at": 7}) == record
    with pytest.raises(FinchainError) as info:
        Ticket.from_json({"used_at": 0, "used": True})
    assert ErrInvalidMsg.matches(info.value)
    assert info.value.message == "ticket: used True disagrees with the record"
    with pytest.raises(FinchainError, match="unknown fields"):
        Ticket.from_obj({"used_at": 7, "used": True})


def _even(value: int, name: str) -> int:
    if value % 2:
        raise ErrBadQuery(f"{name} must be even")
    return value


def test_checked_applies_its_rule_after_the_base_codec_in_both_forms() -> None:
    codec = Checked(Integer(low=0, high=9), _even)
    assert codec.decode(4, "n") == 4 and decode_json(codec, 4, "n") == 4
    for value, error in ((3, ErrBadQuery), (12, ErrInvalidMsg)):
        with pytest.raises(FinchainError) as info:
            codec.decode(value, "n")
        assert error.matches(info.value), value
    blob = Checked(Blob(max_len=2), lambda value, name: value)
    assert encode_json(blob, b"\x01") == "01" and decode_json(blob, "01", "b") == b"\x01"
