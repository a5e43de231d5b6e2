"""Evidence queries: one record by hash (provable), and pages by submitter or time.

``GET /v1/evidence/{alg}/{hash}`` answers the record of a document hash;
``?prove=true`` adds the Merkle proof of the record's state entry against the
app hash, so the answer can be checked offline against a signed header.
``GET /v1/evidence`` lists records in the order they were written, filtered
by ``submitter`` and/or the time range ``[from, to)`` (nanoseconds or RFC
3339), ``limit`` per page and ``cursor`` = the previous page's ``next_cursor``.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query

from finchain.node.api.context import Ctx
from finchain.node.api.encode import query_json
from finchain.node.api.models import QueryModel
from finchain.node.api.responses import JSONResponse
from finchain.node.api.routes.common import HeightParam, ProveParam, errors

router = APIRouter(tags=["evidence"])
_DOC = {200: {"model": QueryModel}, **errors(400, 404)}
_Text = Annotated[str | None, Query(max_length=64)]


@router.get(
    "/evidence/{alg}/{hash_hex}", summary="The evidence record of a document hash", responses=_DOC
)
async def record(
    alg: str, hash_hex: str, ctx: Ctx, height: HeightParam = None, prove: ProveParam = False
) -> JSONResponse:
    params = {"hash_alg": alg, "hash": hash_hex}
    response = await ctx.call(
        partial(ctx.node.query, "evidence/record", params, height=height, prove=prove),
        what="query evidence/record",
    )
    return JSONResponse(query_json(response, prove=prove))


@router.get(
    "/evidence",
    summary="A page of evidence records by submitter and/or time range",
    responses=_DOC,
)
async def listing(
    ctx: Ctx,
    submitter: _Text = None,
    from_: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    to: _Text = None,
    limit: _Text = None,
    cursor: _Text = None,
    height: HeightParam = None,
) -> JSONResponse:
    given = {"submitter": submitter, "from": from_, "to": to, "limit": limit, "cursor": cursor}
    params: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    path = "evidence/by_submitter" if submitter is not None else "evidence/by_time"
    response = await ctx.call(
        partial(ctx.node.query, path, params, height=height, prove=False), what=f"query {path}"
    )
    return JSONResponse(query_json(response, prove=False))
