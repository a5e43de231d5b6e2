"""The knobs that keep a flood of requests from taking the node down."""

from __future__ import annotations

from dataclasses import dataclass

from finchain.node.config import ApiSection

#: The bounds a node's owner may set in ``[api]`` default to that section's defaults.
_CONFIGURED = ApiSection()


@dataclass(frozen=True, slots=True)
class ApiLimits:
    """Bounds on what one client, or many at once, can make the API do.

    Every bound fails fast with a stable error code instead of queueing: a
    queue in front of a busy node only turns overload into timeouts for
    everyone, while a quick 429/503 lets well-behaved clients back off.

    Parameters:
        max_body_bytes: largest request body; larger ones get 413 before they are read.
        max_concurrency: requests being processed at once (event streams excluded); beyond
            → 429. A request with a body takes its slot only once the body is in.
        max_uploads: request bodies being received at once; beyond → 429. Separate from
            ``max_concurrency`` so that slow uploads cannot take the slots reads need.
        max_connections: client connections the native front end (``[api] front``) serves
            at once; more wait in the listen backlog until one closes.
        head_timeout: seconds a client has to send a whole request head (request line and
            headers), counted from the connection or from the head's first byte; then the
            connection is closed (with 408 ``api:16`` if part of a head arrived).
        body_timeout: seconds of grace for receiving a request body: the body must arrive
            within ``body_timeout + bytes received / body_min_rate`` seconds of the
            head → 408 ``api:16`` after, and the connection is closed.
        body_min_rate: bytes per second a body must keep up on average beyond the grace.
        request_timeout: seconds a request may spend waiting for the node → 504 after.
            Also the upper bound of ``?timeout=`` for commit-mode submissions.
        max_batch: transactions in one ``POST /v1/txs/batch``.
        max_event_streams: open ``GET /v1/events`` streams at once; beyond → 429.
        keepalive_interval: seconds between keep-alive comments on an idle event stream,
            so proxies and clients can tell a quiet chain from a dead connection.
        commit_grace: seconds the API waits beyond a commit-mode ``timeout`` for the
            node to report ``timed_out`` itself, before giving up with 504.
    """

    max_body_bytes: int = _CONFIGURED.max_body_bytes
    max_concurrency: int = _CONFIGURED.max_concurrency
    max_uploads: int = _CONFIGURED.max_uploads
    max_connections: int = _CONFIGURED.max_connections
    head_timeout: float = _CONFIGURED.head_timeout
    body_timeout: float = _CONFIGURED.body_timeout
    body_min_rate: int = _CONFIGURED.body_min_rate
    request_timeout: float = _CONFIGURED.request_timeout
    max_batch: int = _CONFIGURED.max_batch
    max_event_streams: int = 64
    keepalive_interval: float = 15.0
    commit_grace: float = 5.0

    def __post_init__(self) -> None:
        for name in (
            "max_body_bytes",
            "max_concurrency",
            "max_uploads",
            "max_connections",
            "body_min_rate",
            "max_batch",
            "max_event_streams",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ApiLimits.{name} must be a positive integer, got {value!r}")
        for name in (
            "head_timeout",
            "body_timeout",
            "request_timeout",
            "keepalive_interval",
            "commit_grace",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"ApiLimits.{name} must be a positive number, got {value!r}")
