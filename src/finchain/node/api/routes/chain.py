"""Chain-level reads: node status, liveness, blocks."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter

from finchain.node.api.context import Ctx
from finchain.node.api.encode import block_json, status_json
from finchain.node.api.errors import ErrNotFound
from finchain.node.api.models import BlockModel, HealthModel, StatusModel
from finchain.node.api.parse import parse_block_height
from finchain.node.api.responses import JSONResponse
from finchain.node.api.routes.common import errors

router = APIRouter(tags=["chain"])


@router.get("/health", summary="Liveness", responses={200: {"model": HealthModel}})
async def health() -> JSONResponse:
    """200 while the API serves; exempt from the concurrency limit so probes work in a flood.

    It does not touch the node: use ``/v1/status`` to see whether the chain advances.
    """
    return JSONResponse({"status": "ok"})


@router.get(
    "/status",
    summary="Chain id, suite, height, app hash, validators, sync state",
    responses={200: {"model": StatusModel}, **errors()},
)
async def status(ctx: Ctx) -> JSONResponse:
    return JSONResponse(status_json(await ctx.call(ctx.node.status, what="status")))


@router.get(
    "/blocks/{height}",
    summary="A committed block by height, or 'latest'",
    responses={200: {"model": BlockModel}, **errors(400, 404)},
)
async def block(height: str, ctx: Ctx) -> JSONResponse:
    at = parse_block_height(height)
    view = await ctx.call(partial(ctx.node.block, at), what="block lookup")
    if view is None:
        raise ErrNotFound(
            "no block committed yet" if at is None else f"no committed block at height {at}",
            height=at,
        )
    return JSONResponse(block_json(view))
