"""Read-only queries of the netting module, served on committed state.

Parameters may be typed values or decimal strings (the HTTP API passes strings).

- ``netting/cycle`` ``{cycle}``: the cycle; once settled also its ``report`` and
  each member's settled ``positions`` (net = received - paid, decimal strings).
- ``netting/unsettled`` ``{cycle, cursor?, limit?}``: the obligations the close
  removed, in removal order, with their reason; ``next_cursor`` null on the last page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.core.query import int_param
from finchain.modules.netting.keeper import NettingView
from finchain.modules.netting.types import MAX_ID

DEFAULT_LIMIT = 100
MAX_LIMIT = 1_000


def _cycle_id(params: dict[str, Any]) -> int:
    return int_param(params.get("cycle"), "cycle", low=1, high=MAX_ID)


def cycle(view: NettingView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    found = view.require_cycle(reader, _cycle_id(params))
    answer = found.to_json()
    report = view.report(reader, found.id)
    if report is not None:
        answer["report"] = report.to_json()
        answer["positions"] = {m: str(n) for m, n in view.positions(reader, found.id).items()}
    return answer


def unsettled(view: NettingView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    cycle_id = _cycle_id(params)
    view.require_cycle(reader, cycle_id)
    start = int_param(params.get("cursor"), "cursor", low=0, high=MAX_ID, default=0)
    limit = int_param(params.get("limit"), "limit", low=1, high=MAX_LIMIT, default=DEFAULT_LIMIT)
    page = view.unsettled(reader, cycle_id, start, limit + 1)
    items = [
        {
            "batch": ob.batch,
            "index": ob.index,
            "payer": ob.payer,
            "payee": ob.payee,
            "amount": str(ob.amount),
            "reason": reason,
        }
        for _, ob, reason in page[:limit]
    ]
    more = len(page) > limit
    return {
        "cycle": cycle_id,
        "obligations": items,
        "next_cursor": str(start + limit) if more else None,
    }


QUERIES: Mapping[str, KeeperQuery] = {
    "netting/cycle": cycle,
    "netting/unsettled": unsettled,
}
