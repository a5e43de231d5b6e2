"""Solo block headers: what the validator key signs so a receipt can be checked offline.

A header commits to the chain, the height and time, the previous block (hash
chain), the block's tx root and the app hash after executing it. Its hash is
the suite hash of its canonical bytes; the validator signs a domain-separated
copy of those bytes. Verification needs only the header, the signature and the
trusted validator key (from genesis).
"""

from __future__ import annotations

from typing import Any

from finchain.codec import encode
from finchain.crypto import get_suite, verify_signature

HEADER_DOMAIN = b"finchain/block-header/v1\x00"
HEADER_FIELDS = (
    "chain_id",
    "height",
    "time_ns",
    "last_block_hash",
    "tx_root",
    "app_hash",
    "proposer",
)


def build_header(
    *,
    chain_id: str,
    height: int,
    time_ns: int,
    last_block_hash: bytes,
    tx_root: bytes,
    app_hash: bytes,
    proposer: bytes,
) -> dict[str, Any]:
    return {
        "chain_id": chain_id,
        "height": height,
        "time_ns": time_ns,
        "last_block_hash": last_block_hash,
        "tx_root": tx_root,
        "app_hash": app_hash,
        "proposer": proposer,
    }


def header_hash(header: dict[str, Any], suite: str) -> bytes:
    return get_suite(suite).hash(encode(header))


def header_sign_bytes(header: dict[str, Any]) -> bytes:
    return HEADER_DOMAIN + encode(header)


def verify_header(header: dict[str, Any], signature: bytes, scheme: str, public_key: bytes) -> bool:
    """True iff ``signature`` by the validator key ``public_key`` covers exactly this header."""
    if set(header) != set(HEADER_FIELDS) or header.get("proposer") != public_key:
        return False
    return verify_signature(scheme, public_key, header_sign_bytes(header), signature)
