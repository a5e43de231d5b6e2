"""Read-only queries of the securities module, served on committed state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.core.query import int_param, str_param
from finchain.modules.securities.keeper import SecuritiesView, owed
from finchain.modules.securities.types import MAX_PAYMENTS, is_valid_isin


def _isin(params: dict[str, Any]) -> str:
    return str_param(params, "isin", is_valid_isin, "an ISIN with a valid check digit")


def security(view: SecuritiesView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """The security's terms and status (``supply``: units outstanding, from the bank)."""
    found = view.require(reader, _isin(params))
    return {"security": found.to_json()}


def schedule(view: SecuritiesView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """Every payment with its status; once recorded, its amounts (``per_bond``: what one bond
    of record receives, rounded down)."""
    isin = _isin(params)
    found = view.require(reader, isin)
    payments = []
    for payment in view.payments(reader, isin):
        entry = payment.to_json()
        for name in ("outstanding", "total", "paid", "remainder"):
            entry[name] = str(getattr(payment, name))
        entry["per_bond"] = str(owed(found, payment, 1))
        payments.append(entry)
    return {"isin": isin, "payments": payments}


def holders_of_record(
    view: SecuritiesView, reader: KVReader, params: dict[str, Any]
) -> dict[str, Any]:
    """The snapshot a payment was made on: each holder's bonds at the record date, and what
    the payment gives it."""
    isin = _isin(params)
    found = view.require(reader, isin)
    index = int_param(params.get("payment"), "payment", low=0, high=MAX_PAYMENTS + 1)
    payment = view.payment(reader, isin, index)
    return {
        "isin": isin,
        "payment": index,
        "status": payment.status,
        "holders": [
            {
                "account": account,
                "quantity": str(quantity),
                "amount": str(owed(found, payment, quantity)),
            }
            for account, quantity in view.holders_of_record(reader, isin, index)
        ],
    }


QUERIES: Mapping[str, KeeperQuery] = {
    "securities/security": security,
    "securities/schedule": schedule,
    "securities/holders_of_record": holders_of_record,
}
