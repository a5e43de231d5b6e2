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

from fastapi import APIRouter, Path, Query
from pydantic import WithJsonSchema

from finchain.modules.evidence.queries import MAX_LIMIT
from finchain.modules.evidence.types import HASH_ALGS, HASH_BYTES
from finchain.node.api.context import Ctx
from finchain.node.api.encode import query_json
from finchain.node.api.models import QueryModel
from finchain.node.api.parse import MAX_HEIGHT
from finchain.node.api.responses import JSONResponse
from finchain.node.api.routes.common import (
    ACCOUNT_PATTERN,
    HeightParam,
    ListingHeightParam,
    ProveParam,
    errors,
)

router = APIRouter(tags=["evidence"])
_DOC = {200: {"model": QueryModel}, **errors(400, 404)}
_LISTING_DOC = {200: {"model": QueryModel}, **errors(400)}  # an unknown submitter has no records
# The query checks these itself (400 tx:25); the schema says the same. FastAPI only bounds
# their length, so that an oversized value never reaches the node.
_MAX_TIME_NS = 2**63 - 1
_TIME = {
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": _MAX_TIME_NS},
        {"type": "string", "format": "date-time"},
    ],
    "description": "nanoseconds since the epoch, or an RFC 3339 time with a zone "
    "(between 1970 and 2262)",
}
_Time = Annotated[str | None, Query(max_length=64), WithJsonSchema(_TIME)]


@router.get(
    "/evidence/{alg}/{hash_hex}", summary="The evidence record of a document hash", responses=_DOC
)
async def record(
    alg: Annotated[
        str, Path(description="hash algorithm", json_schema_extra={"enum": list(HASH_ALGS)})
    ],
    hash_hex: Annotated[
        str,
        Path(
            description="the document hash, lowercase hex",
            json_schema_extra={"pattern": f"^[0-9a-f]{{{2 * HASH_BYTES}}}$"},
        ),
    ],
    ctx: Ctx,
    height: HeightParam = None,
    prove: ProveParam = False,
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
    responses=_LISTING_DOC,
)
async def listing(
    ctx: Ctx,
    submitter: Annotated[
        str | None,
        Query(max_length=64, description="records of this account only"),
        WithJsonSchema({"type": "string", "pattern": ACCOUNT_PATTERN}),
    ] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=64), WithJsonSchema(_TIME)] = None,
    to: _Time = None,
    limit: Annotated[
        str | None,
        Query(max_length=64, description="records per page (default 50)"),
        WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=64, description="next_cursor of the previous page"),
        WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_HEIGHT}),
    ] = None,
    height: ListingHeightParam = None,
) -> JSONResponse:
    given = {"submitter": submitter, "from": from_, "to": to, "limit": limit, "cursor": cursor}
    params: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    path = "evidence/by_submitter" if submitter is not None else "evidence/by_time"
    response = await ctx.call(
        partial(ctx.node.query, path, params, height=height, prove=False), what=f"query {path}"
    )
    return JSONResponse(query_json(response, prove=False))
