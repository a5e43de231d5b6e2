"""ZIP 215 Ed25519 verification, SM2 verification and canonical DAG-CBOR encoding (native/src/)."""

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

def sm2_verify_digest(public_key: bytes, digest: bytes, signature: bytes) -> bool:
    """GB/T 32918.2 verdict for a 65-byte ``04||X||Y`` key, ``e = SM3(Z||M)`` and raw ``r||s``.

    r and s must lie in [1, n-1]; the key must be on the curve; ``[s]G + [t]P`` at
    infinity reads as x = 0 (GmSSL's reading). Wrong sizes give False. Prints
    nothing, raises only for arguments that are not bytes, releases the GIL.
    """

def sm2_verify_digest_batch(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """One verdict per (public_key, digest, signature), equal to sm2_verify_digest(*item)."""

def encode_dag_cbor(value: Any) -> bytes:
    """Canonical DAG-CBOR of None, bool, int, str, bytes, list and dict with str keys.

    bytes are always a plain byte string (major type 2), never a tag-42 link.
    Raises FloatError for a float, OverflowError for an int outside -2**64 .. 2**64-1,
    TypeError for any other type (tuples included) or a non-str key, ValueError for
    a lone surrogate or nesting deeper than MAX_DEPTH.
    """
