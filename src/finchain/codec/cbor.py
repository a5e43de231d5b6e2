"""Canonical DAG-CBOR: the only byte form finchain hashes or signs.

Two nodes must derive the same hash from the same meaning, and a signature must
cover exactly one byte string. DAG-CBOR (sorted map keys, minimal integers,
definite lengths) gives one encoding per value; the decoder additionally
re-encodes what it parsed and rejects the input unless the bytes are identical,
which catches every non-minimal form the parser tolerates. Floats are refused
both ways: amounts are integers and a float's rounding is not portable.
"""

from __future__ import annotations

from typing import Any

import libipld

from finchain.codec.errors import ErrFloat, ErrMalformed, ErrNonCanonical, ErrTooLarge

_SCALARS = (str, bytes, int, bool, type(None))


# Every CBOR float starts with one of these bytes (half, single, double precision).
# Bytes without any of them cannot hold a float, which spares the walk over the value.
def _may_hold_float(data: bytes) -> bool:
    return b"\xfb" in data or b"\xfa" in data or b"\xf9" in data


def encode(value: Any) -> bytes:
    """Encode ``value`` (dict with str keys, list, str, bytes, int within 64 bits, bool, None)."""
    try:
        data = bytes(libipld.encode_dag_cbor(value))
    except (ValueError, TypeError, OverflowError) as exc:
        raise ErrMalformed(f"cannot encode value canonically: {exc}") from None
    if _may_hold_float(data):
        reject_floats(value)
    return data


def encode_trusted(value: Any) -> bytes:
    """Encode a record finchain assembles itself from typed fields (a block record).

    Such records hold only bytes, strings and integers by construction, and
    they are large: the float walk of :func:`encode` would cost more than the
    encoding itself, so it is skipped. Anything built from outside input goes
    through :func:`encode`.
    """
    try:
        return bytes(libipld.encode_dag_cbor(value))
    except (ValueError, TypeError, OverflowError) as exc:
        raise ErrMalformed(f"cannot encode value canonically: {exc}") from None


def decode_trusted(data: bytes) -> Any:
    """Decode bytes finchain itself wrote to its authenticated state.

    State values were produced by :func:`encode` and are covered by the app
    hash, so the canonical re-encoding check (the expensive part) is skipped.
    Never use this on bytes that came from outside the node.
    """
    return libipld.decode_dag_cbor(data)


def decode(data: bytes, *, max_size: int, floats_checked_by_caller: bool = False) -> Any:
    """Decode canonical bytes, rejecting anything that would re-encode differently.

    ``floats_checked_by_caller`` is for decoders with an exact schema (the
    transaction envelope) that check each field's type and walk only the
    free-form parts for floats, which is cheaper than walking everything here.
    """
    if len(data) > max_size:
        raise ErrTooLarge(f"{len(data)} bytes exceeds the limit of {max_size} bytes")
    try:
        value = libipld.decode_dag_cbor(data)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ErrMalformed(f"not valid DAG-CBOR: {exc}") from None
    if not floats_checked_by_caller and _may_hold_float(data):
        reject_floats(value)
    try:
        again = libipld.encode_dag_cbor(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ErrNonCanonical(f"decoded value cannot be re-encoded: {exc}") from None
    if again != data:
        raise ErrNonCanonical("bytes are not in canonical DAG-CBOR form (re-encoding differs)")
    return value


def reject_floats(value: Any) -> None:
    """Raise ErrFloat if a float hides anywhere inside ``value``."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _SCALARS):
            continue
        if isinstance(item, float):
            raise ErrFloat(
                "floating-point numbers are not allowed; use integers or decimal strings"
            )
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        else:
            raise ErrMalformed(f"type {type(item).__name__} has no canonical encoding")
