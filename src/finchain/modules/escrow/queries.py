"""Read-only queries of the escrow module, served on committed state.

Parameters may be typed values or strings (the HTTP API passes strings:
``GET /v1/query/escrow/by_payer?payer=FC…&status=open``). A listing answers
``escrows`` in id order and ``next_cursor`` (null on the last page): pass it
back as ``cursor``. ``status`` filters (open, released, refunded, cancelled).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.core.errors import ErrBadQuery
from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.core.query import int_param, str_param
from finchain.modules.accounts.types import account_param
from finchain.modules.bank.types import SYMBOL
from finchain.modules.escrow.keeper import EscrowView
from finchain.modules.escrow.types import MAX_ID, STATUSES

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def escrow(view: EscrowView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """One escrow with its conditions, approvals, status and (once released) preimage."""
    escrow_id = int_param(params.get("id"), "id", low=1, high=MAX_ID)
    return view.require(reader, escrow_id).to_json()


def _listing(view: EscrowView, reader: KVReader, params: dict[str, Any], role: str) -> Any:
    account = account_param(params, role)
    status = params.get("status")
    if status is not None and status not in STATUSES:
        raise ErrBadQuery(f"parameter 'status' must be one of {list(STATUSES)}")
    limit = int_param(params.get("limit"), "limit", low=1, high=MAX_LIMIT, default=DEFAULT_LIMIT)
    cursor = int_param(params.get("cursor"), "cursor", low=0, high=MAX_ID, default=0)
    found: list[dict[str, Any]] = []
    next_cursor = None
    for escrow_id in view.ids_of(reader, role, account):
        if escrow_id < cursor:
            continue
        if len(found) == limit:
            next_cursor = str(escrow_id)
            break
        record = view.require(reader, escrow_id)
        if status is None or record.status == status:
            found.append(record.to_json())
    return {role: account, "escrows": found, "next_cursor": next_cursor}


def by_payer(view: EscrowView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """Escrows the account ``payer`` locked funds in."""
    return dict(_listing(view, reader, params, "payer"))


def by_payee(view: EscrowView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """Escrows that would pay the account ``payee``."""
    return dict(_listing(view, reader, params, "payee"))


def locked(view: EscrowView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """How much of ``account``'s ``asset`` open escrows hold (part of the bank's frozen)."""
    account = account_param(params)
    asset = str_param(params, "asset", SYMBOL.fullmatch, "an asset symbol")
    return {"account": account, "asset": asset, "locked": str(view.locked(reader, account, asset))}


QUERIES: Mapping[str, KeeperQuery] = {
    "escrow/escrow": escrow,
    "escrow/by_payer": by_payer,
    "escrow/by_payee": by_payee,
    "escrow/locked": locked,
}
