"""ZIP 215 Ed25519 verification (native/src/lib.rs). Both functions release the GIL."""

from collections.abc import Sequence

def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """ZIP 215 verdict; a key or signature of the wrong length gives False."""

def verify_batch(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """One ZIP 215 verdict per (public_key, message, signature), equal to verify(*item)."""
