"""The event stream of a node: committed blocks and tx events, fanned out to subscribers.

Both engines publish here when a block is committed (the solo producer thread,
the CometBFT node's ABCI worker thread); each subscriber is an async iterator
living on the event loop of the API request that opened it. Publishing never
blocks the publisher: items are handed to each subscriber's loop, and a
subscriber too slow to keep up is cut off (its stream ends) rather than
buffered without bound.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from finchain.app import Event, TxResult
from finchain.service.interface import EventFilter, StreamItem

SUBSCRIBER_QUEUE = 10_000


@dataclass
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[StreamItem | None]
    filter: EventFilter
    closed: bool = False


class StreamHub:
    """Subscribers of one node; ``publish`` and ``close`` may be called from any thread.

    Example::

        hub = StreamHub()
        async for item in hub.subscribe(EventFilter(account=alice)): ...
        hub.publish(block_items(height, time_ns, app_hash, tx_ids, results))  # producer
    """

    def __init__(self, *, queue_size: int = SUBSCRIBER_QUEUE) -> None:
        self.queue_size = queue_size
        self._lock = threading.Lock()
        self._subscribers: list[_Subscriber] = []

    @property
    def active(self) -> bool:
        """Whether anyone listens (so a publisher can skip building items)."""
        return bool(self._subscribers)

    async def subscribe(self, flt: EventFilter) -> AsyncIterator[StreamItem]:
        """Items from the next published block on; ends when the hub closes."""
        sub = _Subscriber(asyncio.get_running_loop(), asyncio.Queue(self.queue_size), flt)
        with self._lock:
            self._subscribers.append(sub)
        try:
            while True:
                item = await sub.queue.get()
                if item is None:
                    return
                yield item
        finally:
            with self._lock:
                if sub in self._subscribers:
                    self._subscribers.remove(sub)

    def publish(self, items: Sequence[StreamItem]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            for item in items:
                if matches(item, sub.filter):
                    self._offer(sub, item)

    def close(self) -> None:
        """End every open stream (node shutdown)."""
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            self._offer(sub, None)

    def _offer(self, sub: _Subscriber, item: StreamItem | None) -> None:
        limit = self.queue_size - 1

        def put() -> None:
            if sub.closed:
                return
            if item is None or sub.queue.qsize() >= limit:
                sub.closed = True  # a subscriber too slow to keep up is cut off
                sub.queue.put_nowait(None)
                return
            sub.queue.put_nowait(item)

        try:
            sub.loop.call_soon_threadsafe(put)
        except RuntimeError:
            sub.closed = True  # its event loop is gone


def block_items(
    height: int,
    time_ns: int,
    app_hash: bytes,
    tx_ids: Sequence[bytes],
    results: Sequence[TxResult],
) -> list[StreamItem]:
    """The stream items of one committed block: the block, then each tx event in order."""
    items = [
        StreamItem(
            "block",
            height,
            {"height": height, "time_ns": time_ns, "app_hash": app_hash.hex(), "txs": len(tx_ids)},
        )
    ]
    for tx_id, result in zip(tx_ids, results, strict=True):
        for event in result.events:
            items.append(
                StreamItem("tx_event", height, {"tx_id": tx_id.hex(), "event": event.to_obj()})
            )
    return items


def matches(item: StreamItem, flt: EventFilter) -> bool:
    """Block items pass only an empty filter; tx events must meet every given condition."""
    if item.kind == "block":
        return not (flt.account or flt.asset or flt.event_types)
    event = Event.from_obj(item.data["event"])
    if flt.event_types and event.type not in flt.event_types:
        return False
    values = {value for _, value in event.attributes}
    if flt.account and flt.account not in values:
        return False
    return not (flt.asset and event.get("asset") != flt.asset)
