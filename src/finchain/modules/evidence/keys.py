"""The evidence module's key layout: the only place its store keys are spelled.

Numbers are 8 big-endian bytes, so byte order is numeric order. Besides the
record itself (keyed by hash algorithm and hash) there are two append-only
lists, each a counter plus one entry per position:

- ``seq/<n>``: every record in the order it was written. Block times never go
  backwards, so this list is sorted by time and a time range is found by
  binary search, then read entry by entry;
- ``sub/<account>/<k>``: the records of one submitter, in the same order.

Both answer a page with point reads only (no scan from the start of a
prefix), whatever the position of the page.
"""

from __future__ import annotations

from finchain.core.collections import StoreKey

PREFIX = b"evidence/"
STORE = StoreKey("evidence", PREFIX)
RECORD = PREFIX + b"rec/"
COUNT = PREFIX + b"count"
SEQ = PREFIX + b"seq/"
SUBMITTER_COUNT = PREFIX + b"sub_count/"
SUBMITTER = PREFIX + b"sub/"


def _u64(number: int) -> bytes:
    return number.to_bytes(8, "big")


def record(alg_code: int, digest: bytes) -> bytes:
    """``alg_code`` is the one-byte code of the hash algorithm (types.ALG_CODES)."""
    return RECORD + bytes([alg_code]) + digest


def seq(position: int) -> bytes:
    return SEQ + _u64(position)


def submitter_count(account: str) -> bytes:
    return SUBMITTER_COUNT + account.encode()


def by_submitter(account: str, position: int) -> bytes:
    return SUBMITTER + account.encode() + b"/" + _u64(position)
