"""Read-only queries of the evidence module, served on committed state.

Parameters may be typed values or strings (the HTTP API passes every
parameter as a string): ``hash`` as 64 hex digits, times as integer
nanoseconds since the epoch or RFC 3339 (``2026-01-01T00:00:00Z``), ``limit``
and ``cursor`` as decimal numbers. A listing answers ``records`` in the order
they were written and ``next_cursor`` (null on the last page); pass it back
as ``cursor`` for the next page. Every page costs point reads only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from finchain.core.errors import ErrBadQuery
from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.core.query import int_param
from finchain.modules.accounts.types import account_param
from finchain.modules.evidence.keeper import EvidenceView
from finchain.modules.evidence.types import HASH_ALGS, HASH_BYTES, EvidenceRecord

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_MAX_TIME = 2**63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HEX_HASH = re.compile(f"[0-9a-f]{{{2 * HASH_BYTES}}}")


def _hash_alg(params: dict[str, Any]) -> str:
    alg = params.get("hash_alg")
    if alg not in HASH_ALGS:
        raise ErrBadQuery(f"parameter 'hash_alg' must be one of {list(HASH_ALGS)}")
    return str(alg)


def _hash(params: dict[str, Any]) -> bytes:
    value = params.get("hash")
    if isinstance(value, str) and _HEX_HASH.fullmatch(value):
        value = bytes.fromhex(value)
    if not isinstance(value, bytes) or len(value) != HASH_BYTES:
        raise ErrBadQuery(f"parameter 'hash' must be {2 * HASH_BYTES} lowercase hex digits")
    return value


def parse_time_ns(value: Any, name: str) -> int:
    """Nanoseconds since the epoch from an integer, its decimal string or RFC 3339 text."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is None or moment.utcoffset() is None:
            raise ErrBadQuery(
                f"parameter {name!r} must be nanoseconds since the epoch or an RFC 3339 time "
                "with a zone, like 2026-01-01T00:00:00Z"
            )
        value = (moment - _EPOCH) // timedelta(microseconds=1) * 1000
    return int_param(value, name, low=0, high=_MAX_TIME)


def _time_bounds(params: dict[str, Any]) -> tuple[int, int]:
    """``[from, to)``; either may be absent (the start of time, the end of time)."""
    low = 0 if params.get("from") is None else parse_time_ns(params["from"], "from")
    high = _MAX_TIME if params.get("to") is None else parse_time_ns(params["to"], "to")
    if low > high:
        raise ErrBadQuery("parameter 'from' must not be after 'to'")
    return low, high


def _first_at_or_after(record_at: Callable[[int], EvidenceRecord], count: int, time_ns: int) -> int:
    """The first position whose time is >= ``time_ns`` (the list is sorted by time)."""
    low, high = 0, count
    while low < high:
        middle = (low + high) // 2
        if record_at(middle).time_ns < time_ns:
            low = middle + 1
        else:
            high = middle
    return low


def _page(
    params: dict[str, Any], count: int, record_at: Callable[[int], EvidenceRecord]
) -> dict[str, Any]:
    low, high = _time_bounds(params)
    limit = int_param(params.get("limit"), "limit", low=1, high=MAX_LIMIT, default=DEFAULT_LIMIT)
    if params.get("cursor") is None:
        position = _first_at_or_after(record_at, count, low)
    else:
        position = int_param(params.get("cursor"), "cursor", low=0, high=count)
    records: list[dict[str, Any]] = []
    while position < count and len(records) < limit:
        found = record_at(position)
        if found.time_ns >= high:
            position = count
            break
        if found.time_ns >= low:
            records.append(found.to_json())
        position += 1
    done = position >= count or record_at(position).time_ns >= high
    return {"records": records, "next_cursor": None if done else str(position)}


def record(view: EvidenceView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    return view.require(reader, _hash_alg(params), _hash(params)).to_json()


def by_submitter(view: EvidenceView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """Records of ``submitter``, optionally within ``[from, to)``."""
    submitter = account_param(params, "submitter")
    count = view.submitter_count(reader, submitter)
    answer = _page(params, count, lambda i: view.submitter_record(reader, submitter, i))
    return {"submitter": submitter, **answer}


def by_time(view: EvidenceView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """Records of every submitter whose block time is within ``[from, to)``."""
    return _page(params, view.count(reader), lambda i: view.at(reader, i))


QUERIES: Mapping[str, KeeperQuery] = {
    "evidence/record": record,
    "evidence/by_submitter": by_submitter,
    "evidence/by_time": by_time,
}
