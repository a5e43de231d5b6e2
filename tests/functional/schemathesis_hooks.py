"""schemathesis hooks (``schemathesis.toml``): positive data acceptance, less what no schema says.

schemathesis's ``positive_data_acceptance`` fails any schema-valid request that is
refused. Some refusals depend on things a JSON Schema cannot state: a check digit,
the chain's current height, a relation between two parameters, the parameters of
a query named by the path. ``excuse`` names each; everything else is checked as
schemathesis does.
"""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from finchain.errors import FinchainError
from finchain.formats.did import parse_did
from finchain.formats.times import parse_time
from finchain.modules.accounts.types import is_account_id
from finchain.modules.evidence.queries import parse_time_ns
from finchain.modules.securities.types import is_valid_isin
from finchain.modules.settlement.types import REFERENCE

#: Operations that list: served at the latest height only (an earlier one is a 400).
LISTINGS = frozenset(
    {
        "/v1/assets",
        "/v1/accounts/{account}/balances",
        "/v1/evidence",
        "/v1/settlement/instructions",
        "/v1/escrows",
        "/v1/netting/cycles/{cycle_id}/unsettled",
        "/v1/securities/{isin}/schedule",
        "/v1/securities/{isin}/payments/{payment}/holders",
        "/v1/loans",
        "/v1/invoices",
    }
)
#: Query parameters naming an account, and which of them a finance listing needs one of.
ACCOUNTS = ("account", "submitter", "party", "payer", "payee", "holder", "buyer")
ONE_OF = {"/v1/escrows": ("payer", "payee"), "/v1/invoices": ("holder", "buyer", "hash")}
#: ``/v1/query/{path}`` passes its other parameters to the query the path names.
PASS_THROUGH = "/v1/query/{path}"


def _fails(parse: Any, value: object) -> bool:
    try:
        parse(value)
    except FinchainError:
        return True
    return False


def excuse(case: schemathesis.Case, chain_height: int) -> str | None:
    """Why a schema-valid request may still be a 400, or None: what no schema can say."""
    path, query = case.operation.path, dict(case.query or {})
    values = {**(case.path_parameters or {}), **query}
    if path == PASS_THROUGH:
        return "the query parameters depend on the query path"
    for name in ACCOUNTS:
        if name in values and not is_account_id(values[name]):
            return "account id check digits"
    if "isin" in values and not is_valid_isin(values["isin"]):
        return "ISIN check digit"
    if "after" in query and _fails(lambda v: REFERENCE.decode(v, "after"), query["after"]):
        return "not a settlement reference"
    if path in ONE_OF:
        if sum(query.get(name) is not None for name in ONE_OF[path]) != 1:
            return "exactly one of " + ", ".join(ONE_OF[path])
        if ("hash" in query) != ("hash_alg" in query) or (
            "hash" in query and ({"limit", "cursor"} & set(query))
        ):
            return "hash_alg goes with hash, which takes no limit or cursor"
    if "did" in values and _fails(parse_did, values["did"]):
        return "DID check digits"
    if "versionTime" in values and _fails(parse_time, values["versionTime"]):
        return "not a real date, or a zone offset beyond 14:00"
    height = query.get("height")
    if height is not None and path in LISTINGS:
        return "listings are served at the latest height only"
    if height is not None and int(height) > chain_height:
        return "height not committed yet"
    if path == "/v1/evidence":
        if query.get("cursor") not in (None, 0, "0"):
            return "cursor beyond the end of the listing (this chain has no evidence)"
        given = {n: query[n] for n in ("from", "to") if query.get(n) is not None}
        try:
            ns = {n: parse_time_ns(v, n) for n, v in given.items()}
        except FinchainError:
            return "a time outside 1970 to 2262 (nanoseconds in 63 bits)"
        if len(ns) == 2 and ns["from"] > ns["to"]:
            return "'from' after 'to' (a relation between two parameters)"
    return None


@schemathesis.check
def schema_valid_request_accepted(ctx: Any, response: Any, case: schemathesis.Case) -> Any:
    """``positive_data_acceptance``, less the 400s that ``excuse`` explains."""
    meta = case.meta
    if response.status_code == 400 and meta is not None and meta.generation.mode.is_positive:
        base = case.operation.schema.get_base_url().rstrip("/")
        height = httpx.get(f"{base}/v1/status", timeout=10).json()["height"]
        if excuse(case, height) is not None:
            return None
    return positive_data_acceptance(ctx, response, case)
