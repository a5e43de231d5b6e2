"""State queries: accounts, balances, assets, and a generic pass-through.

Every endpoint takes ``?height=``; single-entry ones also ``?prove=true``,
which adds the Merkle proof of each state entry the answer was read from,
against the app hash (``root``) of that height. Listings cannot be proven
(the application refuses), so their endpoints do not offer ``prove``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from finchain.node.api.context import Ctx
from finchain.node.api.errors import ErrBadParameter
from finchain.node.api.models import QueryModel
from finchain.node.api.parse import parse_hex
from finchain.node.api.responses import JSONResponse
from finchain.node.api.routes.common import (
    AccountPath,
    AssetPath,
    HeightParam,
    ListingHeightParam,
    ProveParam,
    answer_query,
    errors,
)

router = APIRouter(tags=["state"])
_DOC = {200: {"model": QueryModel}, **errors(400, 404)}
# Listings and balances answer empty or 0 for an unknown account or asset, never 404.
_ALWAYS_FOUND = {200: {"model": QueryModel}, **errors(400)}
_RESERVED = frozenset({"height", "prove"})
_MAX_PARAMS = 32


@router.get("/accounts/{account}", summary="An account: key policy, status, nonce", responses=_DOC)
async def account(
    account: AccountPath, ctx: Ctx, height: HeightParam = None, prove: ProveParam = False
) -> JSONResponse:
    return await answer_query(ctx, "accounts/account", {"account": account}, height, prove)


@router.get(
    "/accounts/{account}/balances", summary="Every balance of an account", responses=_ALWAYS_FOUND
)
async def balances(
    account: AccountPath, ctx: Ctx, height: ListingHeightParam = None
) -> JSONResponse:
    return await answer_query(ctx, "bank/balances", {"account": account}, height, False)


@router.get(
    "/accounts/{account}/balances/{asset}",
    summary="One balance of an account (0 for an unknown account or asset)",
    responses=_ALWAYS_FOUND,
)
async def balance(
    account: AccountPath,
    asset: AssetPath,
    ctx: Ctx,
    height: HeightParam = None,
    prove: ProveParam = False,
) -> JSONResponse:
    return await answer_query(
        ctx, "bank/balance", {"account": account, "asset": asset}, height, prove
    )


@router.get("/assets", summary="Every asset with its supply", responses=_ALWAYS_FOUND)
async def assets(ctx: Ctx, height: ListingHeightParam = None) -> JSONResponse:
    return await answer_query(ctx, "bank/assets", {}, height, False)


@router.get("/assets/{symbol}", summary="One asset with its supply", responses=_DOC)
async def asset(
    symbol: AssetPath, ctx: Ctx, height: HeightParam = None, prove: ProveParam = False
) -> JSONResponse:
    return await answer_query(ctx, "bank/asset", {"asset": symbol}, height, prove)


@router.get(
    "/query/{path:path}",
    summary="Any registered query path; other query parameters pass through as strings",
    responses=_DOC,
)
async def query(
    path: str, request: Request, ctx: Ctx, height: HeightParam = None, prove: ProveParam = False
) -> JSONResponse:
    """``store`` takes ``key`` as hex and answers with the raw value (hex)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in _RESERVED]
    if len(items) > _MAX_PARAMS:
        raise ErrBadParameter(f"at most {_MAX_PARAMS} query parameters")
    params: dict[str, Any] = {}
    for name, value in items:
        if name in params:
            raise ErrBadParameter(f"parameter {name!r} given twice", parameter=name)
        params[name] = value
    if path == "store" and "key" in params:
        params["key"] = parse_hex(params["key"], what="store key")
    return await answer_query(ctx, path, params, height, prove)
