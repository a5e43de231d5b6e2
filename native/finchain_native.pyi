"""ZIP 215 Ed25519 verification, SM2 verification, canonical DAG-CBOR encoding and the native HTTP
front end of the API (native/src/)."""

from collections.abc import Iterable, Sequence
from typing import Any

MAX_DEPTH: int
"""Deepest nesting of lists and dicts that encode_dag_cbor accepts."""

class FloatError(TypeError):
    """encode_dag_cbor met a float, which finchain's encoding does not allow."""

def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """ZIP 215 verdict; a key or signature of the wrong length gives False. Releases the GIL."""

def verify_batch(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """One ZIP 215 verdict per (public_key, message, signature), equal to verify(*item)."""

def sm2_verify_digest(public_key: bytes, digest: bytes, signature: bytes) -> bool:
    """GB/T 32918.2 verdict for a 65-byte ``04||X||Y`` key, ``e = SM3(Z||M)`` and raw ``r||s``.

    r and s must lie in [1, n-1]; the key must be on the curve; ``[s]G + [t]P`` at
    infinity reads as x = 0 (GmSSL's reading). Wrong sizes give False. Prints
    nothing, raises only for arguments that are not bytes, releases the GIL.
    """

def sm2_verify_digest_batch(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """One verdict per (public_key, digest, signature), equal to sm2_verify_digest(*item)."""

def encode_dag_cbor(value: Any) -> bytes:
    """Canonical DAG-CBOR of None, bool, int, str, bytes, list and dict with str keys.

    bytes are always a plain byte string (major type 2), never a tag-42 link.
    Raises FloatError for a float, OverflowError for an int outside -2**64 .. 2**64-1,
    TypeError for any other type (tuples included) or a non-str key, ValueError for
    a lone surrogate or nesting deeper than MAX_DEPTH.
    """

class Front:
    """Native HTTP/1.1 front end on the public socket (native/src/front.rs).

    Answers ``POST /v1/txs`` (no query or ``mode=sync``) whose body is exactly
    ``{"tx": "<canonical padded base64>"}`` by handing the decoded transaction to
    Python (``next_batch``/``respond``). Every other request goes to the Python
    server on ``backend_path``, bytes unchanged, on a connection of the client
    connection's own that starts with a PROXY protocol v1 line: one it can delimit
    (HTTP/1.1, no body or a ``content-length`` one) is forwarded on its own and its
    delimited answer relayed, after which the connection may carry submissions
    again; one it cannot (chunked body, upgrade, ``expect``, HTTP/1.0, ...), or an
    answer it cannot delimit (event streams, ``connection: close``), turns the
    connection into a tunnel for the rest of its life.
    """

    def __init__(
        self,
        listen_fd: int,
        backend_path: str,
        *,
        max_body: int,
        max_inflight: int,
        head_timeout: float,
        body_timeout: float,
        body_min_rate: int,
        request_timeout: float,
        keep_alive: float,
        errors: dict[str, tuple[int, bytes]],
        threads: int = 1,
        max_connections: int = 4096,
    ) -> None:
        """Serve the bound, listening TCP socket ``listen_fd`` (duplicated: close your copy).

        ``errors`` holds the pre-encoded JSON answers ``busy`` (more than ``max_inflight``
        submissions waiting), ``timeout`` (no answer within ``request_timeout``),
        ``head_timeout`` and ``body_timeout`` as ``(status, body)``. Timeouts are seconds
        (> 0); the body may take ``body_timeout`` plus 1 s per ``body_min_rate`` bytes.
        At most ``max_connections`` client connections are served at once; more wait in
        the listen backlog.
        Raises ValueError for a bad argument or a missing error, OSError for a bad socket.
        """

    def next_batch(self, max_items: int, timeout: float) -> list[tuple[int, bytes]]:
        """Queued submissions ``(request_id, raw transaction)``, at most ``max_items``.

        Waits without the GIL up to ``timeout`` seconds for the first; ``[]`` on timeout.
        Raises RuntimeError once the front is closed.
        """

    def respond(self, answers: Iterable[tuple[int, int, bytes]]) -> None:
        """Answer ``(request_id, status, JSON body)``; ids no longer waiting are ignored.

        A status outside 100..599 raises ValueError before any answer of the batch is sent.
        """

    def close(self) -> None:
        """Stop accepting, close every connection, make ``next_batch`` raise. Idempotent."""

    def stats(self) -> dict[str, int]:
        """Counters and gauges by name.

        Counters: accepted (connections), hot (submissions queued for Python), forwarded
        (other requests relayed one at a time), tunneled (connections handed to the backend
        for the rest of their life), backend_connections (opened to the backend),
        timeouts (504), busy (429), head_timeouts, body_timeouts (408), backend_errors
        (backend unreachable or failing before its answer is whole). Gauges: inflight
        (submissions waiting for an answer), queued (not yet taken by next_batch).
        """
