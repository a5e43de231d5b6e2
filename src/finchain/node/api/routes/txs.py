"""Submitting transactions, one or a batch, and reading a committed one back with its proof."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import WithJsonSchema

from finchain.node.api.context import ApiContext, Ctx
from finchain.node.api.encode import submit_json, tx_json
from finchain.node.api.errors import (
    ErrBadParameter,
    ErrBatchTooLarge,
    ErrMethodNotAllowed,
    error_response,
)
from finchain.node.api.fastsubmit import SUBMIT_HINT
from finchain.node.api.jsonbody import StrictJsonRoute
from finchain.node.api.models import (
    SubmitBatchModel,
    SubmitBatchRequest,
    SubmitResultModel,
    SubmitTxRequest,
    TxModel,
)
from finchain.node.api.responses import JSONResponse
from finchain.node.api.routes.common import BODY_STATUSES, TxIdPath, committed_tx, errors
from finchain.service.interface import SubmitMode, SubmitResult

router = APIRouter(tags=["transactions"], route_class=StrictJsonRoute)

#: Commit-mode wait when the client gives no ``timeout`` (capped by request_timeout).
DEFAULT_COMMIT_WAIT = 10.0

ModeParam = Annotated[
    SubmitMode,
    Query(
        description="async: queued, returns the id; sync: returns check_tx's result; "
        "commit: waits for the including block (or timeout)"
    ),
]
TimeoutParam = Annotated[
    float | None,
    Query(gt=0, description="commit mode: seconds to wait for inclusion (<= request_timeout)"),
    # `maximum` is the node's request_timeout, written in by openapi.py
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0}),
]


async def _submit(
    ctx: ApiContext, raws: list[bytes], mode: SubmitMode, timeout: float | None
) -> list[SubmitResult]:
    limit = ctx.limits.request_timeout
    if timeout is not None and timeout > limit:
        raise ErrBadParameter(
            f"timeout {timeout:g} s exceeds this node's request_timeout of {limit:g} s",
            parameter="timeout",
        )
    wait = min(DEFAULT_COMMIT_WAIT, limit) if timeout is None else timeout
    # In commit mode the node itself reports timed_out after `wait`; the grace lets it.
    deadline = wait + ctx.limits.commit_grace if mode is SubmitMode.COMMIT else limit
    return await ctx.call(
        partial(ctx.node.submit, raws, mode, timeout=wait),
        what="submit",
        timeout=deadline,
        hint=SUBMIT_HINT,
    )


@router.post(
    "/txs",
    summary="Submit one signed transaction",
    responses={200: {"model": SubmitResultModel}, **errors(*BODY_STATUSES)},
)
async def submit_tx(
    body: SubmitTxRequest, ctx: Ctx, mode: ModeParam = SubmitMode.SYNC, timeout: TimeoutParam = None
) -> JSONResponse:
    """A rejected transaction is still a 200: its check result carries the chain's code."""
    (result,) = await _submit(ctx, [body.tx], mode, timeout)
    return JSONResponse(submit_json(result))


@router.post(
    "/txs/batch",
    summary="Submit many signed transactions in one request",
    responses={200: {"model": SubmitBatchModel}, **errors(*BODY_STATUSES)},
)
async def submit_batch(
    body: SubmitBatchRequest,
    ctx: Ctx,
    mode: ModeParam = SubmitMode.SYNC,
    timeout: TimeoutParam = None,
) -> JSONResponse:
    """Results come back in request order, one per transaction."""
    if len(body.txs) > ctx.limits.max_batch:
        raise ErrBatchTooLarge(
            f"{len(body.txs)} transactions in one batch; this node takes at most "
            f"{ctx.limits.max_batch}: split it",
            limit=ctx.limits.max_batch,
        )
    results = await _submit(ctx, body.txs, mode, timeout)
    return JSONResponse({"results": [submit_json(r) for r in results]})


@router.get(
    "/txs/{tx_id}",
    summary="A committed transaction with its inclusion proof",
    responses={200: {"model": TxModel}, **errors(400, 404)},
)
async def get_tx(tx_id: TxIdPath, ctx: Ctx) -> JSONResponse:
    """The proof checks against ``header.tx_root``; the header is signed by the validator."""
    if tx_id == "batch":  # a path of its own, for POST only: not a malformed tx id
        error = ErrMethodNotAllowed("GET is not allowed on /v1/txs/batch: POST a batch there")
        return error_response(error, headers={"Allow": "POST"})
    return JSONResponse(tx_json(await committed_tx(ctx, tx_id)))
