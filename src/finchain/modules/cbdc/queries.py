"""Read-only queries of the cbdc module, served on committed state.

``cbdc/overview`` is the central bank's aggregate view (per operator: quota,
issued, reserves, float, wallets and what they hold); ``cbdc/operator`` one
operator with its reserves; ``cbdc/wallets`` an operator's wallets, paged by
owner; ``cbdc/wallet`` one wallet. Amounts are int strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.core.query import int_param
from finchain.modules.accounts.types import account_param
from finchain.modules.cbdc.errors import ErrUnknownWallet
from finchain.modules.cbdc.keeper import CbdcView
from finchain.modules.cbdc.types import Operator

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _operator(view: CbdcView, reader: KVReader, op: Operator) -> dict[str, Any]:
    count = held = 0
    for found in view.wallets_of(reader, op.account):
        count += 1
        held += view.balance(reader, found.owner)
    return {
        "operator": op.account,
        "quota": str(op.quota),
        "issued": str(op.issued),
        "reserves": str(sum(r.amount for r in view.reserves(reader, op.account))),
        "float": str(view.balance(reader, op.account)),
        "wallets": count,
        "wallet_balances": str(held),
    }


def overview(view: CbdcView, reader: KVReader, params: dict[str, Any]) -> Any:
    """The designation, the supply, and the aggregates of every operator (account order)."""
    config = view.config(reader)
    if config is None:
        return {"central_bank": None, "asset": None, "issued": "0", "operators": []}
    ops = [_operator(view, reader, op) for op in view.operators(reader)]
    return {
        "central_bank": config.central_bank,
        "asset": config.asset,
        "issued": str(sum(int(op["issued"]) for op in ops)),
        "operators": ops,
    }


def operator(view: CbdcView, reader: KVReader, params: dict[str, Any]) -> Any:
    """One operator's aggregates and its reserve records (reference order)."""
    account = account_param(params, "operator")
    op = view.require_operator(reader, account)
    return {
        **_operator(view, reader, op),
        "reserve_records": [r.to_json() for r in view.reserves(reader, account)],
    }


def wallets(view: CbdcView, reader: KVReader, params: dict[str, Any]) -> Any:
    """The wallets under ``operator`` with their balances, from ``cursor`` (an owner) on."""
    account = account_param(params, "operator")
    view.require_operator(reader, account)
    limit = int_param(params.get("limit"), "limit", low=1, high=MAX_LIMIT, default=DEFAULT_LIMIT)
    cursor = str(params.get("cursor") or "")
    found: list[dict[str, Any]] = []
    next_cursor = None
    for wallet in view.wallets_of(reader, account):
        if wallet.owner < cursor:
            continue
        if len(found) == limit:
            next_cursor = wallet.owner
            break
        found.append({**wallet.to_json(), "balance": str(view.balance(reader, wallet.owner))})
    return {"operator": account, "wallets": found, "next_cursor": next_cursor}


def wallet(view: CbdcView, reader: KVReader, params: dict[str, Any]) -> Any:
    """One wallet: its owner, operator, tier and balance."""
    owner = account_param(params, "owner")
    found = view.wallet(reader, owner)
    if found is None:
        raise ErrUnknownWallet(f"{owner} has no wallet: check the account")
    return {**found.to_json(), "balance": str(view.balance(reader, owner))}


QUERIES: Mapping[str, KeeperQuery] = {
    "cbdc/overview": overview,
    "cbdc/operator": operator,
    "cbdc/wallets": wallets,
    "cbdc/wallet": wallet,
}
