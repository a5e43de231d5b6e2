"""The event stream: new blocks and matching tx events as Server-Sent Events."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query

from finchain.node.api.context import Ctx
from finchain.node.api.errors import ErrBadParameter, ErrTooManyRequests
from finchain.node.api.models import STREAM_ITEM_SCHEMA
from finchain.node.api.routes.common import errors
from finchain.node.api.sse import EventStreamResponse
from finchain.service.interface import EventFilter

router = APIRouter(tags=["events"])
_NAME = "[a-z][a-z0-9_]{0,63}"
_MAX_TYPES = 32
#: Empty, or 1 to 32 snake_case names separated by single commas (no spaces).
TYPES_PATTERN = f"^(?:{_NAME}(?:,{_NAME}){{0,{_MAX_TYPES - 1}}})?$"
_NAME_RE = re.compile(_NAME)


def parse_types(types: str) -> frozenset[str]:
    """``transfer,coin_spent`` → the names; one spelling only (no spaces, no empty items)."""
    if not types:
        return frozenset()
    names = types.split(",")
    if len(names) > _MAX_TYPES:
        raise ErrBadParameter(f"at most {_MAX_TYPES} event types", parameter="types")
    for name in names:
        if not _NAME_RE.fullmatch(name):
            raise ErrBadParameter(
                f"event type {name[:80]!r} must be snake_case (a-z, 0-9, _), "
                "names separated by single commas",
                parameter="types",
            )
    return frozenset(names)


@router.get(
    "/events",
    summary="Server-Sent Events: blocks and tx events from the next block on",
    response_class=EventStreamResponse,
    status_code=200,
    responses={
        200: {
            "description": "an endless stream of `block` and `tx_event` frames",
            "content": {"text/event-stream": {"itemSchema": STREAM_ITEM_SCHEMA}},
        },
        **errors(400, 429, node=False),  # no node call: a stream ends, it does not time out
    },
)
async def events(
    ctx: Ctx,
    account: Annotated[str, Query(max_length=128, description="events naming this account")] = "",
    asset: Annotated[str, Query(max_length=64, description="events about this asset")] = "",
    types: Annotated[
        str,
        Query(
            max_length=2048,
            description="comma-separated event types, e.g. transfer,coin_spent",
            json_schema_extra={"pattern": TYPES_PATTERN},
        ),
    ] = "",
) -> EventStreamResponse:
    """Frames are ``event: block|tx_event``, ``id: <height>``, ``data: <JSON>``; comment lines
    (``: keep-alive``) arrive when the chain is quiet. Block frames come only unfiltered.
    """
    flt = EventFilter(account=account, asset=asset, event_types=parse_types(types))
    gate, limit = ctx.gate, ctx.limits.max_event_streams
    if gate.streams >= limit:
        raise ErrTooManyRequests(f"{limit} event streams already open", limit=limit)
    gate.streams += 1

    def release() -> None:
        gate.streams -= 1

    try:
        subscription = ctx.node.subscribe(flt)
    except BaseException:
        release()
        raise
    return EventStreamResponse(
        subscription, keepalive=ctx.limits.keepalive_interval, on_close=release
    )
