"""The identity module's key layout: the only place its store keys are spelled.

DIDs are keyed by their counter value (8 bytes big-endian), so key order is
creation order. The current version of a DID lives under ``did/``; each
superseded version moves to ``ver/<number>/<version>`` when the next one is
written, so history costs one copy per change and a past version is one read.
"""

from __future__ import annotations

from finchain.core.collections import StoreKey

PREFIX = b"identity/"
STORE = StoreKey("identity", PREFIX)
NEXT_NUMBER = PREFIX + b"next"
DID = PREFIX + b"did/"
VERSION = PREFIX + b"ver/"
BINDING = PREFIX + b"bind/"
BOUND = PREFIX + b"bound/"
CONTROLLED = PREFIX + b"ctl/"


def _u64(number: int) -> bytes:
    return number.to_bytes(8, "big")


def did(number: int) -> bytes:
    return DID + _u64(number)


def version(number: int, version_id: int) -> bytes:
    return VERSION + _u64(number) + _u64(version_id)


def binding(account: str) -> bytes:
    """account → the DID number it is bound to (an account binds to one DID at most)."""
    return BINDING + account.encode()


def bound_of(number: int) -> bytes:
    return BOUND + _u64(number)


def bound(number: int, account: str) -> bytes:
    """DID → each bound account (value: the height it was bound), for listing and cleanup."""
    return bound_of(number) + account.encode()


def controlled_by(account: str) -> bytes:
    return CONTROLLED + account.encode() + b"/"


def controlled(account: str, number: int) -> bytes:
    """controller account → the DIDs it controls directly."""
    return controlled_by(account) + _u64(number)


def number_at(key: bytes, prefix: bytes) -> int:
    return int.from_bytes(key[len(prefix) : len(prefix) + 8], "big")
