"""The regulator's view (``/v1/regulator/…``): penetrating queries on chain state and alerts.

Every route depends on ``require_regulator``: the caller proves, per request,
the keys of an account the chain lists as a regulator (docs/regulation/regulator.md).
The state views (``penetrate.py``) answer ``{"height", "value"}`` like the
node's queries, every part read at that one height.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Query

from finchain.formats.did import is_did
from finchain.node.api import penetrate
from finchain.node.api.alerts import (
    AlertFilter,
    alert_frames,
    check_resume_point,
    parse_event_id,
)
from finchain.node.api.context import ApiContext, Ctx
from finchain.node.api.errors import ErrBadParameter, ErrTooManyRequests
from finchain.node.api.models import STREAM_ITEM_SCHEMA
from finchain.node.api.regulator_auth import Regulator
from finchain.node.api.responses import JSONResponse
from finchain.node.api.routes.common import AccountPath, error_response, errors
from finchain.node.api.sse import EventStreamResponse

router = APIRouter(prefix="/regulator", tags=["regulator"])
#: Every regulator route can answer these besides 200: bad parameters, the signature
#: refusals (401), not a regulator (403), and the node's own statuses.
REGULATOR_ERRORS = {
    **errors(400, 404),
    401: error_response(
        "Finchain-Signature missing, malformed, stale, replayed, by an unknown account or "
        "key, not verifying or short of the threshold (regauth:2-9)"
    ),
    403: error_response(
        "the signing account is not active (regauth:10) or not a regulator (regauth:11)"
    ),
}
DEFAULT_LIMIT = 20
MAX_LIMIT = 100

LimitParam = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"accounts per page (at most {MAX_LIMIT})")
]
CursorParam = Annotated[
    str, Query(max_length=14, description="the previous page's next_cursor (an account id)")
]
ReportTypeParam = Annotated[
    str,
    Query(max_length=64, pattern="^[a-z0-9_]*$", description="only alerts of this report type"),
]
InstitutionParam = Annotated[
    str,
    Query(max_length=256, description="only alerts where either side's institution is this DID"),
]


def _did(did: str, name: str = "did") -> str:
    if not is_did(did):
        raise ErrBadParameter(f"{did[:80]!r} is not a did:finchain DID", parameter=name)
    return did


async def _view(ctx: ApiContext, read: Any, what: str) -> JSONResponse:
    value, height = await ctx.call(partial(penetrate.consistent, ctx.node, read), what=what)
    return JSONResponse({"height": height, "value": value})


@router.get(
    "/whoami",
    summary="The regulator account this request was proven to come from",
    responses=REGULATOR_ERRORS,
)
async def whoami(regulator: Regulator) -> JSONResponse:
    return JSONResponse(
        {
            "account": regulator.account,
            "name": regulator.name,
            "height": regulator.height,
            "keys": list(regulator.key_ids),
        }
    )


@router.get(
    "/dids/{did}",
    summary="Everything behind a DID: its controller and bound accounts, each with holdings, "
    "frozen amounts and interventions",
    responses=REGULATOR_ERRORS,
)
async def did_view(did: str, regulator: Regulator, ctx: Ctx) -> JSONResponse:
    _did(did)
    return await _view(ctx, lambda snap: penetrate.did_view(snap, did), "DID view")


@router.get(
    "/institutions/{did}",
    summary="Accounts whose KYC claim this institution recorded, with the claim and holdings "
    "(paged in account id order)",
    responses=REGULATOR_ERRORS,
)
async def institution_view(
    did: str,
    regulator: Regulator,
    ctx: Ctx,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = "",
) -> JSONResponse:
    _did(did)
    return await _view(
        ctx,
        lambda snap: penetrate.institution_view(snap, did, cursor, limit),
        "institution view",
    )


@router.get(
    "/accounts/{account}",
    summary="One account's full present state: record, holdings, claims, DIDs, "
    "interventions, open settlement instructions, escrows and loans",
    responses=REGULATOR_ERRORS,
)
async def account_view(account: AccountPath, regulator: Regulator, ctx: Ctx) -> JSONResponse:
    return await _view(ctx, lambda snap: penetrate.account_view(snap, account), "account view")


@router.get(
    "/alerts/stream",
    summary="Server-Sent Events: compliance alerts, filtered, resumable with Last-Event-ID",
    response_class=EventStreamResponse,
    status_code=200,
    responses={
        200: {
            "description": "an endless stream of `alert` frames, id `<height>-<n>`",
            "content": {"text/event-stream": {"itemSchema": STREAM_ITEM_SCHEMA}},
        },
        **REGULATOR_ERRORS,
        **errors(429, node=False),
    },
)
async def alert_stream(
    regulator: Regulator,
    ctx: Ctx,
    report_type: ReportTypeParam = "",
    institution: InstitutionParam = "",
    last_event_id: Annotated[
        str | None, Header(max_length=40, description="resume after this alert id")
    ] = None,
) -> EventStreamResponse:
    """Frames are ``event: alert``, ``id: <height>-<n>`` (the n-th alert of that block),
    ``data:`` the alert's attributes with ``height``, ``n`` and ``tx_id``."""
    if institution:
        _did(institution, "institution")
    after = None if last_event_id is None else parse_event_id(last_event_id)
    if after is not None:
        await check_resume_point(ctx, after)
    flt = AlertFilter(report_type=report_type, institution=institution)
    gate, cap = ctx.gate, ctx.limits.max_event_streams
    if gate.streams >= cap:
        raise ErrTooManyRequests(f"{cap} event streams already open", limit=cap)
    gate.streams += 1

    def release() -> None:
        gate.streams -= 1

    ready = anyio.Event()
    return EventStreamResponse(
        alert_frames(ctx, flt, after, ready),
        keepalive=ctx.limits.keepalive_interval,
        on_close=release,
        frame=lambda chunk: chunk,
        ready=ready,
    )
