"""Strict readers for message fields.

Messages arrive as plain maps; each message class reads its fields with these
helpers so that a wrong type, an unknown field or an oversized value is refused
with a message naming the field, before any state is touched.
"""

from __future__ import annotations

from typing import Any

from finchain.core.errors import ErrInvalidMsg


def expect_fields(
    value: Any, required: set[str], what: str, optional: set[str] | None = None
) -> None:
    if not isinstance(value, dict):
        raise ErrInvalidMsg(f"{what} must be a map")
    allowed = required | (optional or set())
    missing = sorted(required - value.keys())
    unknown = sorted(value.keys() - allowed)
    if missing or unknown:
        raise ErrInvalidMsg(f"{what}: missing fields {missing}, unknown fields {unknown}")


def get_str(
    value: dict[str, Any], name: str, *, max_len: int = 128, allow_empty: bool = False
) -> str:
    item = value.get(name)
    if type(item) is not str:
        raise ErrInvalidMsg(f"field {name!r} must be a string")
    if not allow_empty and not item:
        raise ErrInvalidMsg(f"field {name!r} must not be empty")
    if len(item.encode()) > max_len:
        raise ErrInvalidMsg(f"field {name!r} is longer than {max_len} bytes")
    return item


def get_int(value: dict[str, Any], name: str, *, low: int, high: int) -> int:
    item = value.get(name)
    if type(item) is not int or not low <= item <= high:
        raise ErrInvalidMsg(f"field {name!r} must be an integer in [{low}, {high}]")
    return item


def get_bytes(value: dict[str, Any], name: str, *, max_len: int) -> bytes:
    item = value.get(name)
    if type(item) is not bytes:
        raise ErrInvalidMsg(f"field {name!r} must be a byte string")
    if len(item) > max_len:
        raise ErrInvalidMsg(f"field {name!r} is longer than {max_len} bytes")
    return item


def get_list(value: dict[str, Any], name: str, *, max_items: int, min_items: int = 0) -> list[Any]:
    item = value.get(name)
    if type(item) is not list:
        raise ErrInvalidMsg(f"field {name!r} must be a list")
    if not min_items <= len(item) <= max_items:
        raise ErrInvalidMsg(f"field {name!r} must hold {min_items} to {max_items} items")
    return item


def get_str_list(
    value: dict[str, Any], name: str, *, max_items: int, max_len: int = 128
) -> list[str]:
    items = get_list(value, name, max_items=max_items)
    for item in items:
        if type(item) is not str or not item or len(item.encode()) > max_len:
            raise ErrInvalidMsg(
                f"field {name!r} must hold non-empty strings of at most {max_len} bytes"
            )
    if len(set(items)) != len(items):
        raise ErrInvalidMsg(f"field {name!r} holds duplicates")
    return items
