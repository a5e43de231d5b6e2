"""JSON values in and out: strict parsing and RFC 8785 (JCS) canonical bytes.

Proofs sign the JCS form of a document, so what is signed must be plain
JSON: objects with string keys, arrays, strings, booleans, null, integers in
the I-JSON safe range and finite numbers. ``parse_json`` refuses what JSON
parsers disagree on (duplicate keys, NaN/Infinity, lone surrogates), since a
document that two verifiers read differently could verify for one and mean
something else to the other.
"""

from __future__ import annotations

import json
from typing import Any, cast

import rfc8785

from finchain.offchain.vc.errors import ErrMalformedJson

MAX_JSON_BYTES = 1 << 20
"""Largest JSON text ``parse_json`` accepts by default (1 MiB)."""

MAX_DEPTH = 64
_SAFE_INTEGER = 2**53 - 1


def canonicalize(value: object) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``.

    Raises ``ErrMalformedJson`` for anything that is not plain JSON (tuples,
    bytes, non-string keys, NaN, integers beyond 2^53-1, lone surrogates,
    nesting deeper than :data:`MAX_DEPTH`).
    """
    _check(value, 0)
    try:
        return rfc8785.dumps(cast(Any, value))
    except (rfc8785.CanonicalizationError, UnicodeError, ValueError) as exc:
        raise ErrMalformedJson(f"value cannot be canonicalised: {exc}") from None


def parse_json(text: str | bytes, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Parse a JSON text strictly (see the module docstring); ``ErrMalformedJson`` otherwise."""
    if not isinstance(text, str | bytes):
        raise ErrMalformedJson(f"JSON input must be str or bytes, got a {type(text).__name__}")
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > max_bytes:
        raise ErrMalformedJson(f"JSON input is {size} bytes, more than the {max_bytes} allowed")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise ErrMalformedJson(f"not valid JSON: {exc}") from None
    _check(value, 0)
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate object key {key[:40]!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check(value: object, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ErrMalformedJson(f"JSON nests deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, int):
        if abs(value) > _SAFE_INTEGER:
            raise ErrMalformedJson(
                f"integer {value} is outside the I-JSON range ±(2^53-1): encode it as a string"
            )
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ErrMalformedJson("NaN and Infinity are not JSON numbers")
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ErrMalformedJson(f"object keys must be strings, got a {type(key).__name__}")
            _check_text(key)
            _check(item, depth + 1)
    else:
        raise ErrMalformedJson(f"a {type(value).__name__} is not a JSON value")


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ErrMalformedJson("string contains a lone surrogate: it has no UTF-8 form") from None
