"""Read-only queries of the lending module, served on committed state.

A query has no clock of its own: amounts owed and loan-to-value are computed at
``time_ns`` (nanoseconds since the epoch, as an integer or its decimal string),
by default the loan's last accrual time (its last change). Parameters may be
typed values or strings (the HTTP API passes strings).
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
from finchain.modules.lending.keeper import LendingView
from finchain.modules.lending.types import (
    ACTIVE,
    INTEREST_DENOM,
    OFFERED,
    Loan,
    ltv_above,
    ltv_bps_floor,
    round_half_up,
    scheduled_principal,
)

_MAX_TIME = 2**63 - 1
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _loan(view: LendingView, reader: KVReader, params: dict[str, Any]) -> Loan:
    return view.require(reader, int_param(params.get("loan_id"), "loan_id", low=1, high=_MAX_TIME))


def _at(params: dict[str, Any], loan: Loan) -> int:
    if params.get("time_ns") is None:
        return loan.accrued_to
    at = int_param(params["time_ns"], "time_ns", low=0, high=_MAX_TIME)
    if at < loan.accrued_to:
        raise ErrBadQuery(
            f"parameter 'time_ns' must not be before the loan's last change {loan.accrued_to}"
        )
    return at


def loan(view: LendingView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """The loan's record, with ``owed`` at ``time_ns`` for an active loan."""
    found = _loan(view, reader, params)
    answer = found.to_json()
    if found.status == ACTIVE:
        answer["owed"] = str(found.owed_at(_at(params, found)))
    return answer


def loans(view: LendingView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """Loans where ``account`` is lender or borrower, by id, with its role: a page of at
    most ``limit`` (default 50, at most 200) after the id ``cursor``; ``next_cursor`` is
    null on the last page."""
    account = account_param(params)
    limit = int_param(params.get("limit"), "limit", low=1, high=MAX_LIMIT, default=DEFAULT_LIMIT)
    cursor = int_param(params.get("cursor"), "cursor", low=0, high=_MAX_TIME, default=0)
    ids = [i for i in view.loan_ids_of(reader, account) if i > cursor]
    page = [view.require(reader, loan_id) for loan_id in ids[:limit]]
    return {
        "account": account,
        "next_cursor": str(page[-1].id) if len(ids) > limit else None,
        "loans": [
            {
                "id": item.id,
                "role": "lender" if item.lender == account else "borrower",
                "counterparty": item.borrower if item.lender == account else item.lender,
                "asset": item.asset,
                "principal": str(item.principal),
                "outstanding": str(item.outstanding),
                "state": item.state,
            }
            for item in page
        ],
    }


def schedule(view: LendingView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """Each instalment: fallen due (amounts fixed, paid parts, ``paid``/``overdue``) or
    ``scheduled``, with amounts projected from the outstanding principal (no prepayment;
    an offer's first interest is null, its start being unknown until acceptance)."""
    found = _loan(view, reader, params)
    rows: list[dict[str, Any]] = []
    count = len(found.instalments)
    offered = found.status == OFFERED
    remaining = found.principal if offered else found.unfixed_principal()
    since = found.accrued_to
    for index, item in enumerate(found.instalments):
        row: dict[str, Any] = {"due_time": item.due_time}
        if index < found.fixed:
            row.update(
                state="paid" if item.unpaid == 0 else "overdue",
                principal_due=str(item.principal_due),
                interest_due=str(item.interest_due),
                principal_paid=str(item.principal_paid),
                interest_paid=str(item.interest_paid),
            )
        else:
            planned = scheduled_principal(found.schedule, found.principal, count, index)
            principal = remaining if index == count - 1 else min(planned, remaining)
            exact = remaining * found.rate_bps * max(item.due_time - since, 0)
            if index == found.fixed:
                exact += found.accrued_num
            interest = round_half_up(exact, INTEREST_DENOM)
            if index == found.fixed:
                interest += found.interest_carried
            row.update(
                state="scheduled",
                principal_due=str(principal),
                # before acceptance the start (and so the first period) is not known
                interest_due=None if offered and index == 0 else str(interest),
            )
            remaining -= principal
            since = item.due_time
        rows.append(row)
    return {"loan_id": found.id, "state": found.state, "instalments": rows}


def ltv(view: LendingView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """Loan-to-value at ``time_ns`` with the latest price (basis points rounded down), and
    whether it is above the margin-call threshold (compared exactly)."""
    found = _loan(view, reader, params)
    at = _at(params, found)
    owed = found.owed_at(at)
    price = view.price(reader, found.collateral_asset, found.asset)
    answer: dict[str, Any] = {
        "loan_id": found.id,
        "time_ns": at,
        "owed": str(owed),
        "collateral": str(found.collateral),
        "price": None if price is None else price.to_json(),
        "ltv_bps": None,
        "above_margin_call": None,
    }
    if price is not None:
        answer["ltv_bps"] = ltv_bps_floor(owed, found.collateral, price)
        answer["above_margin_call"] = ltv_above(owed, found.collateral, price, found.margin_ltv_bps)
    return answer


def _symbol(params: dict[str, Any], name: str) -> str:
    return str_param(params, name, SYMBOL.fullmatch, "an asset symbol")


def price(view: LendingView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    found = view.price(reader, _symbol(params, "asset"), _symbol(params, "quote"))
    return {"price": None if found is None else found.to_json()}


def oracle(view: LendingView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    found = view.oracle(reader)
    return {"oracle": None if found is None else found.to_json()}


QUERIES: Mapping[str, KeeperQuery] = {
    "lending/loan": loan,
    "lending/loans": loans,
    "lending/schedule": schedule,
    "lending/ltv": ltv,
    "lending/price": price,
    "lending/oracle": oracle,
}
