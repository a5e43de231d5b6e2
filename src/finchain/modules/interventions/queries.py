"""Read-only queries of the interventions module, served on committed state.

Every intervention and every approval stays queryable forever: by id, by the
affected account (what an institution reads about its own accounts:
``GET /v1/query/interventions/by_account?account=FC…``) and by status. A
listing answers ``interventions`` in id order and ``next_cursor`` (null on the
last page): pass it back as ``cursor``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from typing import Any

from finchain.core.errors import ErrBadQuery
from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.core.query import int_param, str_param
from finchain.modules.accounts.types import account_param
from finchain.modules.bank.types import SYMBOL
from finchain.modules.interventions.keeper import InterventionsView
from finchain.modules.interventions.types import MAX_ID, STATUSES

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def intervention(view: InterventionsView, reader: KVReader, params: dict[str, Any]) -> Any:
    """One intervention with its terms, approvals, status and what it still holds."""
    intervention_id = int_param(params.get("id"), "id", low=1, high=MAX_ID)
    return view.require(reader, intervention_id).to_json()


def _page(
    view: InterventionsView, reader: KVReader, params: dict[str, Any], ids: Iterator[int]
) -> dict[str, Any]:
    limit = int_param(params.get("limit"), "limit", low=1, high=MAX_LIMIT, default=DEFAULT_LIMIT)
    cursor = int_param(params.get("cursor"), "cursor", low=0, high=MAX_ID, default=0)
    found: list[dict[str, Any]] = []
    next_cursor = None
    for intervention_id in ids:
        if intervention_id < cursor:
            continue
        if len(found) == limit:
            next_cursor = str(intervention_id)
            break
        found.append(view.require(reader, intervention_id).to_json())
    return {"interventions": found, "next_cursor": next_cursor}


def by_account(view: InterventionsView, reader: KVReader, params: dict[str, Any]) -> Any:
    """Interventions affecting ``account``: the account frozen or debited, or the recipient
    of a forced transfer (both lists are in id order; merged, they stay so)."""
    account = account_param(params)
    ids = heapq.merge(
        view.ids_by(reader, "by_account", account), view.ids_by(reader, "by_recipient", account)
    )
    return {"account": account, **_page(view, reader, params, ids)}


def by_status(view: InterventionsView, reader: KVReader, params: dict[str, Any]) -> Any:
    """Interventions in ``status`` (proposed, in_effect, done, lifted, lapsed)."""
    status = params.get("status")
    if status not in STATUSES:
        raise ErrBadQuery(f"parameter 'status' must be one of {list(STATUSES)}")
    ids = view.ids_by(reader, "by_status", str(status))
    return {"status": status, **_page(view, reader, params, ids)}


def officers(view: InterventionsView, reader: KVReader, params: dict[str, Any]) -> Any:
    """The authorised officers and the threshold (empty until governance sets them)."""
    found = view.officers(reader)
    return {"officers": list(found.officers), "threshold": found.threshold}


def held(view: InterventionsView, reader: KVReader, params: dict[str, Any]) -> Any:
    """How much of ``account``'s ``asset`` interventions hold frozen (part of the bank's)."""
    account = account_param(params)
    asset = str_param(params, "asset", SYMBOL.fullmatch, "an asset symbol")
    return {"account": account, "asset": asset, "held": str(view.held(reader, account, asset))}


def paused(view: InterventionsView, reader: KVReader, params: dict[str, Any]) -> Any:
    """Whether ``asset`` is paused, and by which intervention (null: not paused)."""
    asset = str_param(params, "asset", SYMBOL.fullmatch, "an asset symbol")
    return {"asset": asset, "paused_by": view.paused_asset_by(reader, asset)}


QUERIES: Mapping[str, KeeperQuery] = {
    "interventions/intervention": intervention,
    "interventions/by_account": by_account,
    "interventions/by_status": by_status,
    "interventions/officers": officers,
    "interventions/held": held,
    "interventions/paused": paused,
}
