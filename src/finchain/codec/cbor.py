"""Canonical DAG-CBOR: the only byte form finchain hashes or signs.

Two nodes must derive the same hash from the same meaning, and a signature must
cover exactly one byte string. DAG-CBOR (sorted map keys, minimal integers,
definite lengths) gives one encoding per value; the decoder additionally
re-encodes what it parsed and rejects the input unless the bytes are identical,
which catches every non-minimal form the parser tolerates. Floats are refused
both ways: amounts are integers and a float's rounding is not portable.

Encoding goes through ``finchain_native.encode_dag_cbor`` (native/src/dag_cbor.rs,
loaded through :mod:`finchain.native`), not libipld's encoder: libipld writes
any ``bytes`` that happen to parse as a CID (a signature starting with 0x01
may) as a tag-42 link, so a third-party reader would see a link where finchain
meant bytes. Here bytes are always a plain byte string, and a tag-42 input
fails :func:`decode` as non-canonical. libipld still parses (it reads a link
back as its bytes, which the re-encoding then refuses).
"""

from __future__ import annotations

from typing import Any

import libipld

from finchain import native
from finchain.codec.errors import ErrFloat, ErrMalformed, ErrNonCanonical, ErrTooLarge

_FLOAT_MESSAGE = "floating-point numbers are not allowed; use integers or decimal strings"


def encode(value: Any) -> bytes:
    """Encode ``value`` (dict with str keys, list, str, bytes, int within 64 bits, bool, None)."""
    try:
        return native.encode_dag_cbor(value)
    except native.FloatError:
        raise ErrFloat(_FLOAT_MESSAGE) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise ErrMalformed(f"cannot encode value canonically: {exc}") from None


def encode_trusted(value: Any) -> bytes:
    """Encode a record finchain assembles itself from typed fields (a block record).

    The same encoding as :func:`encode` (the native encoder checks types as it
    writes, so no separate pass is saved any more); kept as the name of the
    call sites that encode records rather than outside input.
    """
    return encode(value)


def decode_trusted(data: bytes) -> Any:
    """Decode bytes finchain itself wrote to its authenticated state.

    State values were produced by :func:`encode` and are covered by the app
    hash, so the canonical re-encoding check (the expensive part) is skipped.
    Never use this on bytes that came from outside the node.
    """
    return libipld.decode_dag_cbor(data)


def decode(data: bytes, *, max_size: int) -> Any:
    """Decode canonical bytes, rejecting anything that would re-encode differently.

    A float anywhere fails the re-encoding with ErrFloat, so callers need no
    float walk of their own.
    """
    if len(data) > max_size:
        raise ErrTooLarge(f"{len(data)} bytes exceeds the limit of {max_size} bytes")
    try:
        value = libipld.decode_dag_cbor(data)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # RecursionError: libipld recurses per nesting level, bounded by Python's limit.
        raise ErrMalformed(f"not valid DAG-CBOR: {exc}") from None
    try:
        again = native.encode_dag_cbor(value)
    except native.FloatError:
        raise ErrFloat(_FLOAT_MESSAGE) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise ErrNonCanonical(f"decoded value cannot be re-encoded: {exc}") from None
    if again != data:
        raise ErrNonCanonical("bytes are not in canonical DAG-CBOR form (re-encoding differs)")
    return value
