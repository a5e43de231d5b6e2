"""Read-only queries of the bank module, served on committed state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.core.errors import ErrBadQuery
from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.modules.accounts.types import is_account_id
from finchain.modules.bank.keeper import BankView
from finchain.modules.bank.types import SYMBOL


def _param(params: dict[str, Any], name: str, *, symbol: bool = False) -> str:
    value = params.get(name)
    ok = isinstance(value, str) and (SYMBOL.fullmatch(value) if symbol else is_account_id(value))
    if not ok:
        kind = "an asset symbol" if symbol else "an account id"
        raise ErrBadQuery(f"parameter {name!r} must be {kind}")
    return str(value)


def balance(view: BankView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    account = _param(params, "account")
    asset = _param(params, "asset", symbol=True)
    total, frozen = view.holding(reader, account, asset)
    return {
        "account": account,
        "asset": asset,
        "amount": str(total),
        "frozen": str(frozen),
        "spendable": str(total - frozen),
    }


def balances(view: BankView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    account = _param(params, "account")
    return {
        "account": account,
        "balances": [
            {"asset": s, "amount": str(a)}
            for s, a in sorted(view.balances(reader, account).items())
        ],
    }


def asset(view: BankView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    symbol = _param(params, "asset", symbol=True)
    found = view.require_asset(reader, symbol)
    return {"asset": found.to_obj(), "supply": str(view.supply(reader, symbol))}


def assets(view: BankView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "assets": [
            {**a.to_obj(), "supply": str(view.supply(reader, a.symbol))}
            for a in view.iterate_assets(reader)
        ]
    }


QUERIES: Mapping[str, KeeperQuery] = {
    "bank/balance": balance,
    "bank/balances": balances,
    "bank/asset": asset,
    "bank/assets": assets,
}
