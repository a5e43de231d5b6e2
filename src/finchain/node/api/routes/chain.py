"""Chain-level reads: node status, liveness, blocks."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter

from finchain.node.api.context import Ctx
from finchain.node.api.encode import block_json, status_json
from finchain.node.api.errors import ErrNotFound
from finchain.node.api.models import BlockModel, HealthModel, HealthStatus, StatusModel
from finchain.node.api.parse import parse_block_height
from finchain.node.api.responses import JSONResponse
from finchain.node.api.routes.common import BlockHeightPath, errors

router = APIRouter(tags=["chain"])


@router.get(
    "/health",
    summary="Readiness: ok, overloaded or halted",
    responses={
        200: {"model": HealthModel, "description": '`{"status": "ok"}`: there is room'},
        503: {
            "model": HealthModel,
            "description": "`overloaded`: a slot pool is full, so requests would be refused "
            "now (details name the pools); Retry-After. `halted`: the node stopped "
            "committing blocks for good (details give the reason): send clients elsewhere",
        },
    },
)
async def health(ctx: Ctx) -> JSONResponse:
    """200 ``{"status": "ok"}`` while requests can be admitted; 503 ``overloaded`` when
    the processing slots (``max_concurrency``), the upload slots (``max_uploads``) or the
    node call slots are all taken, and 503 ``halted`` when the node stopped committing
    blocks for good (storage damage), so a load balancer can send clients elsewhere.

    Exempt from every limit, so probes work in a flood. It does not touch the node: use
    ``/v1/status`` to see whether the chain advances.
    """
    reason = ctx.node.fault()
    if reason:
        return JSONResponse(
            {"status": HealthStatus.HALTED, "details": {"reason": reason}}, status_code=503
        )
    pools = {
        "requests": (ctx.gate.requests, ctx.limits.max_concurrency),
        "uploads": (ctx.gate.uploads, ctx.limits.max_uploads),
        "node_calls": (ctx.calls.running, ctx.calls.max_threads),
    }
    exhausted = [name for name, (in_use, limit) in pools.items() if in_use >= limit]
    if not exhausted:
        return JSONResponse({"status": HealthStatus.OK})
    details: dict[str, Any] = {"exhausted": exhausted}
    details.update({name: {"in_use": n, "limit": m} for name, (n, m) in pools.items()})
    return JSONResponse(
        {"status": HealthStatus.OVERLOADED, "details": details},
        status_code=503,
        headers={"Retry-After": "1"},
    )


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
async def block(height: BlockHeightPath, ctx: Ctx) -> JSONResponse:
    at = parse_block_height(height)
    view = await ctx.call(partial(ctx.node.block, at), what="block lookup")
    if view is None:
        raise ErrNotFound(
            "no block committed yet" if at is None else f"no committed block at height {at}",
            height=at,
        )
    return JSONResponse(block_json(view))
