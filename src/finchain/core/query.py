"""Query parameters, read strictly: what a module's queries take from their ``params`` map.

Parameters come from the HTTP API as strings and from in-process callers as typed
values; these readers take either and refuse anything else with ``tx:25``
(``ErrBadQuery``) naming the parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from finchain.core.errors import ErrBadQuery

__all__ = ["int_param", "str_param"]


def int_param(value: Any, name: str, *, low: int, high: int, default: int | None = None) -> int:
    """An integer in ``[low, high]`` given as an int or its decimal string; ``default``
    (when given) for a parameter that is absent or null."""
    if value is None and default is not None:
        return default
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if type(value) is not int or not low <= value <= high:
        raise ErrBadQuery(f"parameter {name!r} must be an integer in [{low}, {high}]")
    return value


def str_param(
    params: Mapping[str, Any], name: str, valid: Callable[[str], object], what: str
) -> str:
    """Parameter ``name``: a string ``valid`` accepts; refused as not being ``what``."""
    value = params.get(name)
    if not isinstance(value, str) or not valid(value):
        raise ErrBadQuery(f"parameter {name!r} must be {what}")
    return value
