"""Read-only queries of the bank module, served on committed state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.core.query import str_param
from finchain.modules.accounts.types import account_param
from finchain.modules.bank.keeper import BankView
from finchain.modules.bank.types import SYMBOL


def _asset(params: dict[str, Any]) -> str:
    return str_param(params, "asset", SYMBOL.fullmatch, "an asset symbol")


def balance(view: BankView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    account = account_param(params)
    asset = _asset(params)
    total, frozen = view.holding(reader, account, asset)
    return {
        "account": account,
        "asset": asset,
        "amount": str(total),
        "frozen": str(frozen),
        "spendable": str(total - frozen),
    }


def balances(view: BankView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    account = account_param(params)
    return {
        "account": account,
        "balances": [
            {"asset": s, "amount": str(a)}
            for s, a in sorted(view.balances(reader, account).items())
        ],
    }


def asset(view: BankView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    symbol = _asset(params)
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
