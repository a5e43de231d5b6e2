"""Solo block headers: what the validator key signs so a block can be checked offline.

A header commits to the chain, the height and time, the previous block (hash
chain), the block's tx root and the app hash after executing it. Its hash is
the suite hash of its canonical bytes; the validator signs a domain-separated
copy of those bytes. The byte forms and the check are the offline verifier's
(:mod:`finchain.light.solo`, standard library only), so producer and verifier
cannot drift apart; this module builds headers and binds the check to the
chain's suite and ``finchain.crypto``'s signature rules.
"""

from __future__ import annotations

from typing import Any

from finchain.crypto import get_suite, verify_signature
from finchain.light import solo
from finchain.light.solo import HEADER_DOMAIN, HEADER_FIELDS, header_sign_bytes

__all__ = [
    "HEADER_DOMAIN",
    "HEADER_FIELDS",
    "build_header",
    "header_hash",
    "header_sign_bytes",
    "verify_header",
]


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
    """The block hash under the chain's ``suite`` (``gm`` / ``intl``)."""
    return solo.header_hash(header, get_suite(suite).hash)


def verify_header(header: dict[str, Any], signature: bytes, scheme: str, public_key: bytes) -> bool:
    """True iff ``signature`` by the validator key ``public_key`` covers exactly this header."""
    return solo.verify_header(header, signature, scheme, public_key, verify=verify_signature)
