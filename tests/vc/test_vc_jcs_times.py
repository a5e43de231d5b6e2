"""Strict JSON parsing, JCS canonical form, and dateTimeStamp handling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.errors import FinchainError
from finchain.formats.times import format_time, parse_time
from finchain.offchain.vc.errors import ErrInvalidTime, ErrMalformedJson
from finchain.offchain.vc.jcs import canonicalize, parse_json


def test_canonical_form_sorts_keys_and_normalises_numbers() -> None:
    assert (
        canonicalize({"b": [1.0, 1e21, "é"], "a": None}) == '{"a":null,"b":[1,1e+21,"é"]}'.encode()
    )
    assert (
        canonicalize(parse_json('{"z": 1, "y": {"b": 2, "a": 1}}')) == b'{"y":{"a":1,"b":2},"z":1}'
    )


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        '{"a": NaN}',
        "[Infinity]",
        "[9007199254740993]",
        '"\\ud800"',
        "[" * 100 + "]" * 100,
        "{",
        b"\xff",
    ],
)
def test_parse_json_refuses_ambiguous_input(text: str | bytes) -> None:
    with pytest.raises(FinchainError) as info:
        parse_json(text)
    assert ErrMalformedJson.matches(info.value)


def test_parse_json_caps_size() -> None:
    with pytest.raises(FinchainError) as info:
        parse_json("[" + "1," * 100 + "1]", max_bytes=100)
    assert ErrMalformedJson.matches(info.value)


@pytest.mark.parametrize("value", [(1, 2), b"x", {1: 2}, float("nan"), {"a": {1, 2}}, 2**60])
def test_canonicalize_refuses_non_json(value: object) -> None:
    with pytest.raises(FinchainError) as info:
        canonicalize(value)
    assert ErrMalformedJson.matches(info.value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_fuzz_parse_json_raises_only_registered_errors(text: str | bytes) -> None:
    try:
        canonicalize(parse_json(text))
    except FinchainError as exc:
        assert exc.codespace == "vc"


def test_times_are_utc_z_and_offsets_are_honoured() -> None:
    moment = datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    assert format_time(moment) == "2025-03-01T00:00:00Z"
    assert parse_time("2025-03-01T08:00:00+08:00") == datetime(2025, 3, 1, tzinfo=UTC)
    assert parse_time("2025-03-01T00:00:00.5Z") == datetime(2025, 3, 1, 0, 0, 0, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-01T00:00:00",
        "2025-02-30T00:00:00Z",
        "2025-03-01 00:00:00Z",
        "2025-03-01T00:00:00+15:00",
        5,
    ],
)
def test_bad_times_are_refused(text: object) -> None:
    with pytest.raises(FinchainError) as info:
        parse_time(text)
    assert ErrInvalidTime.matches(info.value)
    with pytest.raises(FinchainError):
        format_time(datetime(2025, 1, 1))
