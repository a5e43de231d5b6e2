"""Query parameters: typed values or the strings the HTTP API passes, refused with tx:25."""

from __future__ import annotations

from typing import Any

import pytest

from finchain.core.errors import ErrBadQuery
from finchain.core.query import int_param, str_param
from finchain.errors import FinchainError


@pytest.mark.parametrize(("value", "expected"), [(7, 7), ("7", 7), ("0", 0), (None, 3)])
def test_an_integer_parameter_is_an_int_or_its_decimal_string(value: Any, expected: int) -> None:
    assert int_param(value, "n", low=0, high=9, default=3) == expected


@pytest.mark.parametrize("value", [None, "", "x", "-1", "10", "٣", " 7", True, 7.0, 10, -1])
def test_anything_else_is_refused_naming_the_parameter(value: Any) -> None:
    with pytest.raises(FinchainError) as info:
        int_param(value, "n", low=0, high=9)
    assert ErrBadQuery.matches(info.value)
    assert info.value.message == "parameter 'n' must be an integer in [0, 9]"


def test_a_string_parameter_must_pass_its_check() -> None:
    assert str_param({"s": "ab"}, "s", str.isalpha, "letters") == "ab"
    for params in ({}, {"s": 1}, {"s": "a1"}):
        with pytest.raises(FinchainError) as info:
            str_param(params, "s", str.isalpha, "letters")
        assert ErrBadQuery.matches(info.value)
        assert info.value.message == "parameter 's' must be letters"
