"""Read-only queries of the accounts module, served on committed state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.modules.accounts.errors import ErrAccountNotFound
from finchain.modules.accounts.keeper import AccountsView
from finchain.modules.accounts.types import account_param


def account(view: AccountsView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    account_id = account_param(params)
    found = view.get_account(reader, account_id)
    if found is None:
        raise ErrAccountNotFound(f"account {account_id} does not exist")
    pending = view.pending_reset(reader, account_id)
    return {
        "account": found.to_json(),
        "nonce": view.nonce(reader, account_id),
        "pending_reset": None if pending is None else pending.to_json(),
    }


def closed(view: AccountsView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    return {"closed": [{"account": a, "height": h} for a, h in view.closed_accounts(reader)]}


QUERIES: Mapping[str, KeeperQuery] = {
    "accounts/account": account,
    "accounts/closed": closed,
}
