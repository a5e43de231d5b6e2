"""The regulator's alert stream: ``compliance_alert`` events as SSE, filtered and resumable.

Built on the node's event stream (``NodeService.subscribe``, the one
``/v1/events`` serves). Each alert gets the id ``<height>-<n>``: the n-th
``compliance_alert`` (from 0) among the tx events of that block, counted
before any filter, so an id names the same alert for every regulator and
every filter. A client that reconnects with ``Last-Event-ID`` gets every
matching alert after that id, then the live ones, with no gap and no
duplicate:

1. subscribe to live alerts (buffered from the next committed block on);
2. read the committed blocks after the resume point up to the latest height
   ``top`` read *after* subscribing, and send their alerts;
3. send live alerts of blocks above ``top`` (those at or below it were in step 2).

A resume point more than ``MAX_REPLAY_BLOCKS`` behind, or in blocks this node
no longer keeps, is refused: the SQL index (``/v1/regulator/alerts`` once
indexed) holds the full history.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from functools import partial

import anyio

from finchain.core.events import Event
from finchain.modules.compliance.events import ALERT as COMPLIANCE_ALERT
from finchain.node.api.context import ApiContext
from finchain.node.api.errors import ErrBadParameter
from finchain.service.interface import BlockView, EventFilter, StreamItem

ALERT = COMPLIANCE_ALERT
MAX_REPLAY_BLOCKS = 10_000
READ_BATCH = 100
EVENT_ID = re.compile(r"(0|[1-9][0-9]{0,18})-(0|[1-9][0-9]{0,8})")


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """Both conditions must hold; empty = any. ``institution`` matches either side's."""

    report_type: str = ""
    institution: str = ""

    def matches(self, attributes: dict[str, str]) -> bool:
        if self.report_type and attributes.get("report_type") != self.report_type:
            return False
        sides = (attributes.get("institution"), attributes.get("counterparty_institution"))
        return not self.institution or self.institution in sides


def parse_event_id(text: str) -> tuple[int, int]:
    """``"<height>-<n>"`` → (height, n); ``api:11`` otherwise."""
    found = EVENT_ID.fullmatch(text.strip())
    if found is None:
        raise ErrBadParameter(
            f"Last-Event-ID {text[:40]!r} is not <height>-<n> as this stream's ids are; "
            "reconnect with an id the stream sent, or without one",
            parameter="Last-Event-ID",
        )
    return int(found.group(1)), int(found.group(2))


def alert_frame(height: int, n: int, tx_id: str, event: Event) -> bytes:
    """``event: alert`` / ``id: <height>-<n>`` / ``data:`` the alert's attributes (strings)
    with ``height`` (the block's, an int), ``n`` and ``tx_id`` (the including tx's id)."""
    data = {**dict(event.attributes), "height": height, "n": n, "tx_id": tx_id}
    body = json.dumps(data, separators=(",", ":"))
    return f"event: alert\nid: {height}-{n}\ndata: {body}\n\n".encode()


def block_alerts(block: BlockView) -> list[tuple[int, str, Event]]:
    """(n, tx id hex, event) of each alert among the block's tx events, in order."""
    found: list[tuple[int, str, Event]] = []
    for tx_id, result in zip(block.tx_ids, block.results, strict=True):
        for event in result.events:
            if event.type == ALERT:
                found.append((len(found), tx_id.hex(), event))
    return found


def _read_blocks(ctx: ApiContext, heights: Sequence[int]) -> list[BlockView]:
    blocks = []
    for height in heights:
        block = ctx.node.block(height)
        if block is None:
            raise ErrBadParameter(
                f"block {height} is no longer kept by this node: resume from the SQL index "
                "or reconnect without Last-Event-ID",
                parameter="Last-Event-ID",
            )
        blocks.append(block)
    return blocks


async def check_resume_point(ctx: ApiContext, after: tuple[int, int]) -> None:
    """Refuse at once (a 400, before the stream opens) a resume point that cannot be served."""
    status = await ctx.call(ctx.node.status, what="node status")
    if after[0] > status.height:
        raise ErrBadParameter(
            f"Last-Event-ID names height {after[0]}, above the latest ({status.height}): "
            "it is not an id of this chain's stream",
            parameter="Last-Event-ID",
        )
    if status.height - after[0] > MAX_REPLAY_BLOCKS:
        raise ErrBadParameter(
            f"Last-Event-ID is {status.height - after[0]} blocks behind, over the "
            f"{MAX_REPLAY_BLOCKS} this stream replays: read older alerts from the SQL index",
            parameter="Last-Event-ID",
        )


async def alert_frames(
    ctx: ApiContext, flt: AlertFilter, after: tuple[int, int] | None, ready: anyio.Event
) -> AsyncIterator[bytes]:
    """The stream's frames (see the module docstring); ends when the node's stream ends.

    Sets ``ready`` once subscribed, so the response's "connected" comment promises every
    alert committed after it.
    """
    queue: asyncio.Queue[StreamItem | None] = asyncio.Queue()
    subscription = ctx.node.subscribe(EventFilter(event_types=frozenset({ALERT})))

    async def pump() -> None:
        try:
            async for item in subscription:
                queue.put_nowait(item)
        finally:
            queue.put_nowait(None)

    task = asyncio.ensure_future(pump())
    await asyncio.sleep(0)  # the pump (scheduled first) has subscribed when this resumes
    ready.set()
    try:
        top = 0
        if after is not None:
            status = await ctx.call(ctx.node.status, what="node status")
            top = status.height
            for start in range(after[0], top + 1, READ_BATCH):
                heights = range(start, min(start + READ_BATCH, top + 1))
                blocks = await ctx.call(partial(_read_blocks, ctx, heights), what="read blocks")
                for block in blocks:
                    for n, tx_id, event in block_alerts(block):
                        if (block.height, n) > after and flt.matches(dict(event.attributes)):
                            yield alert_frame(block.height, n, tx_id, event)
        height, n = -1, -1
        while (item := await queue.get()) is not None:
            n = n + 1 if item.height == height else 0
            height = item.height
            event = Event.from_obj(item.data["event"])
            if height > top and flt.matches(dict(event.attributes)):
                yield alert_frame(height, n, item.data["tx_id"], event)
    finally:
        # Cancelling the pump ends its ``async for``, which closes the subscription (the
        # node's hub forgets the subscriber). Not awaited: this may run while the stream's
        # own task is being cancelled, and awaiting here could swallow that cancellation.
        task.cancel()
