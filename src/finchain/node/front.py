"""The native front end: the API's socket in Rust, single submissions answered there.

A client that sends one transaction per request cost the node ~0.2 ms of
interpreter time in HTTP parsing, JSON, base64 and the ASGI stack, all under
the one interpreter lock that block execution needs too. ``finchain_native.Front``
(native/src/front.rs) owns the public listening socket on its own threads,
parses requests without the lock and queues the plain ``POST /v1/txs`` (sync
mode, body ``{"tx": "<canonical base64>"}``) for this module's ingress thread,
which admits each queued bunch as one micro-batch through ``NodeService.admit``
and hands back the answers, encoded exactly as the API's route encodes them.

Every other request goes to the full Python API (uvicorn on a unix socket in a
private directory, behind a PROXY protocol line naming the client), which gives
every other route and every documented error: malformed HTTP, limits, event
streams. The front forwards such requests one by one over a backend
connection of the client connection's own and relays each answer, so a client
that reads and submits on one kept-alive connection keeps the fast path; what
it cannot delimit (a chunked upload, an upgrade, HTTP/1.0, a malformed head, an
answer without a length) turns the connection into a plain tunnel from there.
The front itself answers only what it must time: 429 when ``max_concurrency``
single submissions already wait, 504 past ``request_timeout``, 408 for a head
or body that does not arrive; those bodies are encoded here, by the API's own
error encoder.
"""

from __future__ import annotations

import logging
import socket
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from finchain.errors import FinchainError
from finchain.native import Front
from finchain.node.api.calls import timeout_error
from finchain.node.api.encode import submit_json
from finchain.node.api.errors import ErrInternal, ErrRequestTimeout, encode_error
from finchain.node.api.fastsubmit import SUBMIT_HINT
from finchain.node.api.guard import too_many_requests
from finchain.node.api.limits import ApiLimits
from finchain.node.api.protocol import head_timeout_error
from finchain.node.api.responses import encode_json
from finchain.service.interface import NodeService

log = logging.getLogger("finchain.api")
#: Single submissions admitted in one micro-batch at most.
_BATCH = 4096
#: How often the ingress thread looks whether it is stopping while no request comes.
_POLL = 0.5
#: uvicorn's default idle time between requests on a kept-alive connection.
KEEP_ALIVE = 5.0


def error_answers(limits: ApiLimits) -> dict[str, tuple[int, bytes]]:
    """The answers the front gives by itself, as the Python API would word them."""
    grace, rate = limits.body_timeout, limits.body_min_rate
    errors = {
        "busy": too_many_requests(limits),
        "timeout": timeout_error("submit", limits.request_timeout, SUBMIT_HINT),
        "head_timeout": head_timeout_error(limits.head_timeout),
        "body_timeout": ErrRequestTimeout(
            f"the request body did not arrive in time (a body gets {grace:g} s plus 1 s per "
            f"{rate} bytes received)",
            body_timeout=grace,
            body_min_rate=rate,
        ),
    }
    return {name: encode_error(exc) for name, exc in errors.items()}


class NativeFront:
    """The front end and its ingress thread; see the module docstring.

    Example::

        front = NativeFront(node, limits, backend=Path("/run/finchain/api.sock"))
        front.start(listener)   # a bound, listening TCP socket; the front takes it over
        ...
        front.stop()
    """

    def __init__(self, node: NodeService, limits: ApiLimits, *, backend: Path) -> None:
        self.node = node
        self.limits = limits
        self.backend = backend
        self._front: Front | None = None
        self._thread: threading.Thread | None = None

    def start(self, listener: socket.socket) -> None:
        limits = self.limits
        self._front = Front(
            listener.fileno(),
            str(self.backend),
            max_body=limits.max_body_bytes,
            max_inflight=limits.max_concurrency,
            head_timeout=limits.head_timeout,
            body_timeout=limits.body_timeout,
            body_min_rate=limits.body_min_rate,
            request_timeout=limits.request_timeout,
            keep_alive=KEEP_ALIVE,
            errors=error_answers(limits),
            max_connections=limits.max_connections,
        )
        listener.close()  # the front holds its own copy
        self._thread = threading.Thread(
            target=self._ingress, args=(self._front,), name="finchain-ingress", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._front is not None:
            self._front.close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def stats(self) -> dict[str, int]:
        return self._front.stats() if self._front is not None else {}

    def _ingress(self, front: Front) -> None:
        while True:
            try:
                batch = front.next_batch(_BATCH, _POLL)
            except RuntimeError:  # closed
                return
            if batch:
                front.respond(self._answers(batch))

    def _answers(self, batch: list[tuple[int, bytes]]) -> list[tuple[int, int, bytes]]:
        """Each request's (id, status, body): its check result, or the node's refusal."""
        ids = [request_id for request_id, _ in batch]
        try:
            results = self.node.admit([raw for _, raw in batch]).result(
                timeout=self.limits.request_timeout
            )
        except FinchainError as exc:  # halted, shutting down: the same for every request
            status, body = encode_error(exc)
            return [(request_id, status, body) for request_id in ids]
        except FutureTimeout:
            return []  # the front answers each with 504 at its own deadline
        except Exception:  # a bug: answered as the API's LastResort would, the thread lives on
            log.exception("unhandled error admitting %d single submissions", len(ids))
            status, body = encode_error(ErrInternal("internal error: see the node log"))
            return [(request_id, status, body) for request_id in ids]
        return [
            (request_id, 200, encode_json(submit_json(result)))
            for request_id, result in zip(ids, results, strict=True)
        ]
