"""ZIP 215 Ed25519 verification and canonical DAG-CBOR encoding (native/src/)."""

from collections.abc import Sequence
from typing import Any

MAX_DEPTH: int
"""Deepest nesting of lists and dicts that encode_dag_cbor accepts."""

class FloatError(TypeError):
    """encode_dag_cbor met a float, which finchain's encoding does not allow."""

def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """ZIP 215 verdict; a key or signature of the wrong length gives False. Releases the GIL."""

def verify_batch(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """One ZIP 215 verdict per (public_key, message, signature), equal to verify(*item)."""

def encode_dag_cbor(value: Any) -> bytes:
    """Canonical DAG-CBOR of None, bool, int, str, bytes, list and dict with str keys.

    bytes are always a plain byte string (major type 2), never a tag-42 link.
    Raises FloatError for a float, OverflowError for an int outside -2**64 .. 2**64-1,
    TypeError for any other type (tuples included) or a non-str key, ValueError for
    a lone surrogate or nesting deeper than MAX_DEPTH.
    """
