"""The native HTTP front end (``finchain_native.Front``, native/src/front.rs).

Each test runs a real Front on a fresh 127.0.0.1 socket, a thread playing the
core (``next_batch`` then ``respond`` with a body naming the transaction), and a
small asyncio backend on a unix socket standing in for uvicorn: it reads the
PROXY line, then keeps the connection for request after request, answering each
with what it received (a few targets answer otherwise: chunked, event stream,
truncated, closing). Clients are raw sockets, so every byte sent and received is
the test's.

1. Hot submissions are answered natively: in turn on one kept-alive connection,
   pipelined (answers in request order), with ``mode=sync`` or an empty query.
2. Forwarding: every other request the front can delimit (no body or a
   ``content-length`` one, HTTP/1.1, no upgrade or ``expect``) reaches the
   backend behind ``PROXY TCP4 <client> <front>`` (``TCP6`` for an IPv6
   client) with its bytes intact, on a backend connection of the client
   connection's own, reused for its next forwarded requests; after the answer
   the connection is hot again. Bodies are streamed within the body deadline;
   chunked answers are relayed to their end (trailers included); HEAD answers
   have no body; the client's ``connection: close`` is honoured; a backend that
   closed its idle connection gets a new one (a new PROXY line); one idle past
   half ``keep_alive`` is replaced before reuse; when the backend's close races
   the request, a GET, HEAD or OPTIONS is sent again on a new connection, any
   other method never (the client connection is closed); a backend failing
   mid-answer closes the client.
3. Tunnel: each request the front cannot delimit (chunked body, HTTP/1.0,
   ``expect``, upgrade, two lengths, oversized head or body, malformed head)
   and each answer it cannot delimit (an event stream without length,
   ``connection: close``) turns the connection into a tunnel, bytes streamed as
   they come; a client that half-closes still gets its answer; no backend closes
   the client.
4. Limits: ``max_inflight`` gives the ``busy`` answer (429, retry-after); an
   unanswered request gets ``timeout`` (504) and the connection still serves;
   a partial head gets 408 and a close, no bytes a silent close; a slow body gets
   408 and a close; an idle kept-alive connection is closed; ``connection: close``
   is honoured.
5. ``close()`` makes ``next_batch`` raise (also one already waiting), stops
   accepting, and is idempotent; bad arguments raise.
6. From the security review: what llhttp reads otherwise than httparse (a bare LF,
   CONNECT) is tunneled, never answered or framed here; an expired request leaves the
   queue; ``max_connections`` holds; a tunnel whose client reads nothing is closed; a
   body over 64 KiB is forwarded rather than held whole; huge deadlines do not panic.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from finchain_native import Front

ERRORS = {
    "busy": (429, b'{"error":"busy"}'),
    "timeout": (504, b'{"error":"timeout"}'),
    "head_timeout": (408, b'{"error":"head_timeout"}'),
    "body_timeout": (408, b'{"error":"body_timeout"}'),
}
MAX_BODY = 4096
READ_WAIT = 10.0  # a bound on any single socket read: every answer comes long before


# ---------------------------------------------------------------- backend and core


@dataclass
class Exchange:
    """One request as the backend read it."""

    conn: int  # the backend connection it came on, numbered from 1
    proxy: bytes  # that connection's PROXY line
    raw: bytes


class Backend:
    """A keep-alive HTTP/1.1 server on a unix socket: the PROXY line, then requests in turn.

    The answer's JSON body echoes the connection number, PROXY line and request's
    raw bytes (base64), with ``content-length``; every request is kept in
    ``received``. It says ``connection: close`` and closes after a request that
    says so or is not HTTP/1.1. By target path:

    - ``/chunked``: the echo in two chunks (an extension, a pause, a trailer);
    - ``/events``: an event stream without length: ``data: 1``, then ``data: 2``
      once ``release`` is set, then close;
    - ``/truncated``: ``content-length: 100``, 10 bytes, close;
    - ``/bye``: the echo, then close (a keep-alive expiry);
    - ``/drop-next``: the echo; the next request on that connection is read
      and the connection closed without an answer (an expiry racing a request);
    - ``/ignore-close``: the echo, keeping the connection whatever the request says.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.received: list[Exchange] = []
        self.connections = 0
        self.closed = 0  # connections over, on either side
        self.release = threading.Event()
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_unix_server(self._handle, path=str(self.path))
        self._started.set()
        async with server:
            await self._stop.wait()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        conn = self.connections
        drop_next = False
        try:
            proxy = await reader.readline()
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                method, target, version = [*request_line.split(" "), "", ""][:3]
                fields: dict[str, str] = {}
                for line in lines:
                    name, _, value = line.partition(":")
                    fields.setdefault(name.strip().lower(), value.strip().lower())
                body = b""
                if fields.get("transfer-encoding") == "chunked":
                    body = await reader.readuntil(b"0\r\n\r\n")
                elif "content-length" in fields:
                    body = await reader.readexactly(int(fields["content-length"]))
                self.received.append(Exchange(conn, proxy, head + body))
                if drop_next:
                    return
                path = target.split("?")[0]
                tokens = {token.strip() for token in fields.get("connection", "").split(",")}
                close = path != "/ignore-close" and ("close" in tokens or version != "HTTP/1.1")
                answer = json.dumps(
                    {
                        "conn": conn,
                        "proxy": proxy.decode(),
                        "raw": base64.b64encode(head + body).decode(),
                    }
                ).encode()
                if path == "/events":
                    writer.write(
                        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\ndata: 1\n\n"
                    )
                    await writer.drain()
                    await asyncio.to_thread(self.release.wait, READ_WAIT)
                    writer.write(b"data: 2\n\n")
                    await writer.drain()
                    return
                if path == "/truncated":
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n" + b"x" * 10)
                    await writer.drain()
                    return
                if path == "/chunked":
                    half = len(answer) // 2
                    writer.write(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                        b"transfer-encoding: chunked\r\n\r\n"
                        b"%x;note=first\r\n%s\r\n" % (half, answer[:half])
                    )
                    await writer.drain()
                    await asyncio.sleep(0.05)
                    rest = answer[half:]
                    writer.write(b"%x\r\n%s\r\n0\r\nx-trailer: yes\r\n\r\n" % (len(rest), rest))
                    await writer.drain()
                    continue
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n%s\r\n%s"
                    % (
                        len(answer),
                        b"connection: close\r\n" if close else b"",
                        b"" if method == "HEAD" else answer,
                    )
                )
                await writer.drain()
                if close or path == "/bye":
                    return
                drop_next = path == "/drop-next"
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self.closed += 1

    def __enter__(self) -> Backend:
        self._thread.start()
        assert self._started.wait(10), "the backend did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


class Core(threading.Thread):
    """Plays the node: takes batches and answers ``{"len": n, "tx": hex}`` while ``answering``."""

    def __init__(self, front: Front) -> None:
        super().__init__(daemon=True)
        self.front = front
        self.answering = threading.Event()
        self.answering.set()
        self.seen: list[tuple[int, bytes]] = []
        self.raised: BaseException | None = None

    def run(self) -> None:
        while True:
            try:
                batch = self.front.next_batch(64, 0.05)
            except RuntimeError as error:
                self.raised = error
                return
            self.seen.extend(batch)
            if self.answering.is_set():
                self.front.respond([(rid, 200, answer_body(raw)) for rid, raw in batch])


def answer_body(raw: bytes) -> bytes:
    return json.dumps({"len": len(raw), "tx": raw.hex()}).encode()


@dataclass
class Harness:
    front: Front
    port: int
    core: Core
    backend: Backend
    host: str = "127.0.0.1"
    sockets: list[socket.socket] = field(default_factory=list)

    def connect(self) -> tuple[socket.socket, BinaryIO]:
        sock = socket.create_connection((self.host, self.port), timeout=READ_WAIT)
        self.sockets.append(sock)
        return sock, sock.makefile("rb")

    def proxy_line(self, sock: socket.socket) -> str:
        client_port = sock.getsockname()[1]
        family = "TCP6" if ":" in self.host else "TCP4"
        return f"PROXY {family} {self.host} {self.host} {client_port} {self.port}\r\n"

    def stats(self) -> dict[str, int]:
        return self.front.stats()


@pytest.fixture
def harness() -> Iterator[Callable[..., Harness]]:
    """Makes a started Front (keyword arguments override the defaults); all closed at the end."""
    directory = Path(tempfile.mkdtemp(prefix="front-"))  # unix socket paths must stay short
    made: list[Harness] = []
    with Backend(directory / "backend.sock") as backend:

        def make(
            *,
            core: bool = True,
            backend_path: Path | None = None,
            host: str = "127.0.0.1",
            **overrides: Any,
        ) -> Harness:
            options: dict[str, Any] = {
                "max_body": MAX_BODY,
                "max_inflight": 64,
                "head_timeout": 5.0,
                "body_timeout": 5.0,
                "body_min_rate": 1024,
                "request_timeout": 5.0,
                "keep_alive": 5.0,
                "errors": ERRORS,
                **overrides,
            }
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as listener:
                listener.bind((host, 0))
                listener.listen(128)
                front = Front(listener.fileno(), str(backend_path or backend.path), **options)
                port = listener.getsockname()[1]
            worker = Core(front)
            if core:
                worker.start()
            made.append(Harness(front, port, worker, backend, host))
            return made[-1]

        try:
            yield make
        finally:
            for item in made:
                item.front.close()
                for sock in item.sockets:
                    sock.close()
                if item.core.is_alive():
                    item.core.join(5)
    shutil.rmtree(directory, ignore_errors=True)


# ---------------------------------------------------------------- HTTP on raw sockets


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    trailers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def read_fields(reader: BinaryIO) -> dict[str, str]:
    fields: dict[str, str] = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        fields[name.strip().lower()] = value.strip()
    return fields


def read_response(reader: BinaryIO, *, head: bool = False) -> Response:
    """One response; its body by ``content-length`` or chunked framing (none for
    ``head`` or without either: the caller reads on)."""
    status_line = reader.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    response = Response(int(status_line.split()[1]), read_fields(reader), b"")
    if head:
        return response
    if "content-length" in response.headers:
        response.body = reader.read(int(response.headers["content-length"]))
    elif response.headers.get("transfer-encoding") == "chunked":
        while size := int(reader.readline().split(b";")[0], 16):
            response.body += reader.read(size)
            assert reader.readline() == b"\r\n"
        response.trailers = read_fields(reader)
    return response


def assert_closed(reader: BinaryIO) -> None:
    """The server closed the connection and sent nothing more."""
    with contextlib.suppress(ConnectionResetError):
        assert reader.read() == b""


def request(
    body: bytes,
    *,
    target: str = "/v1/txs",
    version: str = "HTTP/1.1",
    content_type: str = "application/json",
    extra: tuple[str, ...] = (),
) -> bytes:
    lines = [f"POST {target} {version}", "Host: node", f"Content-Type: {content_type}"]
    lines += [f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def get(target: str, *extra: str, method: str = "GET") -> bytes:
    return "\r\n".join([f"{method} {target} HTTP/1.1", "Host: node", *extra, "", ""]).encode()


def hot(tx: bytes, **kwargs: Any) -> bytes:
    return request(json.dumps({"tx": base64.b64encode(tx).decode()}).encode(), **kwargs)


def echoed(h: Harness, sock: socket.socket, response: Response, payload: bytes) -> int:
    """``response`` is the backend's echo of ``payload`` behind this client's PROXY line;
    the backend connection's number."""
    assert response.status == 200
    answer = response.json()
    assert answer["proxy"] == h.proxy_line(sock)
    assert base64.b64decode(answer["raw"]) == payload
    conn: int = answer["conn"]
    return conn


def wait_for(predicate: Callable[[], bool], timeout: float = READ_WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# ---------------------------------------------------------------- 1. hot path


def test_hot_requests_on_one_kept_alive_connection_and_pipelined(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    sock, reader = h.connect()
    for size, target in [(1, "/v1/txs"), (200, "/v1/txs?mode=sync"), (3, "/v1/txs?")]:
        tx = bytes(range(size % 256)) * (size // 256 + 1)
        tx = tx[:size] or b"\x00"
        sock.sendall(hot(tx, target=target))
        response = read_response(reader)
        assert response.status == 200
        assert response.headers["content-type"] == "application/json"
        assert "connection" not in response.headers
        assert response.json() == {"len": len(tx), "tx": tx.hex()}
    # JSON whitespace around the tokens is fine.
    sock.sendall(request(b' \r\n{ "tx" :\t"AAEC" } \n'))
    assert read_response(reader).json() == {"len": 3, "tx": "000102"}

    txs = [bytes([n]) * (n + 1) for n in range(8)]
    sock.sendall(b"".join(hot(tx) for tx in txs))
    assert [read_response(reader).json()["len"] for _ in txs] == [len(tx) for tx in txs]
    stats = h.stats()
    assert stats["accepted"] == 1 and stats["hot"] == 12 and stats["tunneled"] == 0
    assert stats["forwarded"] == 0 and stats["backend_connections"] == 0
    assert stats["inflight"] == 0 and stats["queued"] == 0
    assert len(h.backend.received) == 0


def test_many_connections_at_once(harness: Callable[..., Harness]) -> None:
    h = harness(threads=2)
    conns = [h.connect() for _ in range(20)]
    for n, (sock, _) in enumerate(conns):
        sock.sendall(hot(n.to_bytes(2, "big")))
    for n, (_, reader) in enumerate(conns):
        assert read_response(reader).json()["tx"] == n.to_bytes(2, "big").hex()
    assert h.stats()["hot"] == 20


def test_near_misses_stay_hot(harness: Callable[..., Harness]) -> None:
    """What the rules allow: a charset parameter, header case, `connection: keep-alive`."""
    h = harness()
    sock, reader = h.connect()
    sock.sendall(hot(b"\x01", content_type="Application/JSON ; charset=utf-8"))
    assert read_response(reader).status == 200
    sock.sendall(hot(b"\x02", extra=("CONNECTION: keep-alive",)))
    assert read_response(reader).status == 200
    assert h.stats()["tunneled"] == 0 and h.stats()["forwarded"] == 0


# ---------------------------------------------------------------- 2. forwarding

FORWARDED = {
    "other path": get("/v1/status"),
    "other hot-like path": request(b'{"tx":"AAAA"}', target="/v1/txs/"),
    "mode=commit": request(b'{"tx":"AAAA"}', target="/v1/txs?mode=commit"),
    "two queries": request(b'{"tx":"AAAA"}', target="/v1/txs?mode=sync&x=1"),
    "wrong content-type": request(b'{"tx":"AAAA"}', content_type="text/plain"),
    "duplicate tx key": request(b'{"tx":"AAAA","tx":"AAAA"}'),
    "unpadded base64": request(b'{"tx":"AAA"}'),
    "non-zero unused bits": request(b'{"tx":"AB=="}'),
    "url-safe alphabet": request(b'{"tx":"-_-_"}'),
    "escaped string": request(b'{"tx":"AA\\u0041A"}'),
    "empty tx": request(b'{"tx":""}'),
    "tx not a string": request(b'{"tx":1234}'),
    "extra field": request(b'{"tx":"AAAA","mode":"sync"}'),
    "not an object": request(b'["tx","AAAA"]'),
    "trailing garbage": request(b'{"tx":"AAAA"}x'),
    "no content-length": (
        b"POST /v1/txs HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n\r\n"
    ),
}


@pytest.mark.parametrize("payload", FORWARDED.values(), ids=FORWARDED.keys())
def test_each_other_request_is_forwarded_then_the_connection_is_hot_again(
    harness: Callable[..., Harness], payload: bytes
) -> None:
    h = harness()
    sock, reader = h.connect()
    sock.sendall(payload)
    echoed(h, sock, read_response(reader), payload)
    sock.sendall(hot(b"\x09"))
    assert read_response(reader).json() == {"len": 1, "tx": "09"}
    stats = h.stats()
    assert stats["forwarded"] == 1 and stats["hot"] == 1 and stats["tunneled"] == 0
    assert [exchange.raw for exchange in h.backend.received] == [payload]


def test_reads_and_hot_submissions_share_a_connection(harness: Callable[..., Harness]) -> None:
    """A pooled client's mix: the submission is the front's, the reads share one
    backend connection (one PROXY line)."""
    h = harness()
    sock, reader = h.connect()
    reads = [get("/v1/status"), get("/v1/accounts/a1"), get("/v1/status")]
    sock.sendall(reads[0])
    first = echoed(h, sock, read_response(reader), reads[0])
    sock.sendall(hot(b"\x11"))
    assert read_response(reader).json() == {"len": 1, "tx": "11"}
    sock.sendall(reads[1])
    assert echoed(h, sock, read_response(reader), reads[1]) == first
    # Pipelined, answers in request order.
    sock.sendall(hot(b"\x12") + reads[2] + hot(b"\x13"))
    assert read_response(reader).json()["tx"] == "12"
    assert echoed(h, sock, read_response(reader), reads[2]) == first
    assert read_response(reader).json()["tx"] == "13"
    stats = h.stats()
    assert stats["hot"] == 3 and stats["forwarded"] == 3 and stats["tunneled"] == 0
    assert stats["backend_connections"] == 1
    assert [exchange.raw for exchange in h.backend.received] == reads
    assert {exchange.proxy.decode() for exchange in h.backend.received} == {h.proxy_line(sock)}


def test_forwarded_body_is_streamed_as_it_arrives(harness: Callable[..., Harness]) -> None:
    h = harness()
    payload = request(bytes(range(256)) * 15, target="/v1/blobs", content_type="x/y")
    sock, reader = h.connect()
    sock.sendall(payload[:200])
    wait_for(lambda: h.stats()["forwarded"] == 1)
    for at in range(200, len(payload), 1500):
        time.sleep(0.05)
        sock.sendall(payload[at : at + 1500])
    echoed(h, sock, read_response(reader), payload)
    sock.sendall(hot(b"\x0a"))
    assert read_response(reader).json()["tx"] == "0a"


def test_forwarded_body_too_slow_answers_408_and_closes(harness: Callable[..., Harness]) -> None:
    h = harness(body_timeout=0.3, body_min_rate=1_000_000)
    sock, reader = h.connect()
    sock.sendall(request(b"x" * 100, target="/v1/blobs")[:-10])
    response = read_response(reader)
    assert (response.status, response.body) == ERRORS["body_timeout"]
    assert_closed(reader)
    assert h.stats()["body_timeouts"] == 1


def test_chunked_answer_is_relayed_then_the_connection_is_hot(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    sock, reader = h.connect()
    sock.sendall(get("/chunked"))
    response = read_response(reader)
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.trailers == {"x-trailer": "yes"}
    echoed(h, sock, response, get("/chunked"))
    sock.sendall(hot(b"\x0b"))
    assert read_response(reader).json()["tx"] == "0b"
    assert h.stats()["tunneled"] == 0 and len(h.backend.received) == 1


def test_head_answer_has_no_body(harness: Callable[..., Harness]) -> None:
    h = harness()
    sock, reader = h.connect()
    sock.sendall(get("/v1/status", method="HEAD"))
    response = read_response(reader, head=True)
    assert response.status == 200 and int(response.headers["content-length"]) > 0
    # Had the front waited for that many body bytes, this would not be answered.
    sock.sendall(hot(b"\x0c"))
    assert read_response(reader).json() == {"len": 1, "tx": "0c"}


def test_client_connection_close_is_honoured(harness: Callable[..., Harness]) -> None:
    h = harness()
    # The backend says close too (uvicorn does): the connection ends with its answer.
    sock, reader = h.connect()
    sock.sendall(get("/v1/status", "Connection: close"))
    response = read_response(reader)
    assert response.headers["connection"] == "close"
    echoed(h, sock, response, get("/v1/status", "Connection: close"))
    assert_closed(reader)
    # The backend keeps its connection: the front closes the client's after the answer.
    sock, reader = h.connect()
    sock.sendall(get("/ignore-close", "Connection: close"))
    response = read_response(reader)
    assert "connection" not in response.headers
    echoed(h, sock, response, get("/ignore-close", "Connection: close"))
    assert_closed(reader)
    wait_for(lambda: h.backend.closed == 2)


def test_backend_closing_between_requests_gets_a_new_connection(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    sock, reader = h.connect()
    sock.sendall(get("/bye"))
    first = echoed(h, sock, read_response(reader), get("/bye"))
    wait_for(lambda: h.backend.closed == 1)
    sock.sendall(get("/v1/status"))
    second = echoed(h, sock, read_response(reader), get("/v1/status"))  # a new PROXY line
    assert second != first
    stats = h.stats()
    assert stats["backend_connections"] == 2 and stats["backend_errors"] == 0


def test_backend_close_racing_an_idempotent_request_gets_it_sent_again_once(
    harness: Callable[..., Harness],
) -> None:
    """GET, HEAD and OPTIONS are sent once more on a new connection; then, on
    the same client connection, a POST in the same situation is not."""
    h = harness()
    sock, reader = h.connect()
    expected: list[tuple[int, bytes]] = []
    for method in ("GET", "HEAD", "OPTIONS"):
        sock.sendall(get("/drop-next"))
        first = echoed(h, sock, read_response(reader), get("/drop-next"))
        sock.sendall(get("/v1/status", method=method))
        response = read_response(reader, head=method == "HEAD")
        assert response.status == 200
        if method == "HEAD":
            conn = first + 1  # the backend numbers its connections in turn
        else:
            conn = echoed(h, sock, response, get("/v1/status", method=method))
        assert conn == first + 1
        expected += [
            (first, get("/drop-next")),
            (first, get("/v1/status", method=method)),  # read, then closed unanswered
            (conn, get("/v1/status", method=method)),
        ]
        assert h.stats()["backend_errors"] == 0
    sock.sendall(get("/drop-next"))
    first = echoed(h, sock, read_response(reader), get("/drop-next"))
    post = request(b'{"to":"x"}', target="/v1/other")
    sock.sendall(post)
    assert_closed(reader)
    expected += [(first, get("/drop-next")), (first, post)]
    assert [(e.conn, e.raw) for e in h.backend.received] == expected
    assert h.stats()["backend_errors"] == 1


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_backend_close_racing_a_non_idempotent_request_closes_the_client_unsent(
    harness: Callable[..., Harness], method: str
) -> None:
    """The backend may have applied it: it is never sent twice, the client decides."""
    h = harness()
    sock, reader = h.connect()
    sock.sendall(get("/drop-next"))
    first = echoed(h, sock, read_response(reader), get("/drop-next"))
    payload = request(b'{"to":"x"}', target="/v1/other").replace(b"POST", method.encode(), 1)
    sock.sendall(payload)
    assert_closed(reader)
    wait_for(lambda: h.backend.closed == 1)
    time.sleep(0.2)  # a resend, if any, would have reached the backend by now
    assert [(e.conn, e.raw) for e in h.backend.received] == [
        (first, get("/drop-next")),
        (first, payload),  # read, then the connection closed unanswered: once
    ]
    stats = h.stats()
    assert stats["backend_connections"] == 1 and stats["backend_errors"] == 1


def test_backend_connection_idle_beyond_half_keep_alive_is_replaced(
    harness: Callable[..., Harness],
) -> None:
    """With ``keep_alive=2`` a backend connection is reused within 1 s of its last
    exchange, and replaced after (a new PROXY line, the request sent once)."""
    h = harness(keep_alive=2.0)
    sock, reader = h.connect()
    sock.sendall(get("/v1/status"))
    first = echoed(h, sock, read_response(reader), get("/v1/status"))
    sock.sendall(get("/v1/status"))
    assert echoed(h, sock, read_response(reader), get("/v1/status")) == first  # reused
    time.sleep(1.4)  # idle past the reuse window, within the client's keep-alive
    post = request(b'{"to":"x"}', target="/v1/other")
    sock.sendall(post)
    second = echoed(h, sock, read_response(reader), post)  # checks the new PROXY line
    assert second != first
    wait_for(lambda: h.backend.closed == 1)  # the front closed the idle one
    assert [(e.conn, e.raw) for e in h.backend.received] == [
        (first, get("/v1/status")),
        (first, get("/v1/status")),
        (second, post),
    ]
    stats = h.stats()
    assert stats["backend_connections"] == 2 and stats["backend_errors"] == 0


def test_backend_failing_mid_answer_closes_the_client(harness: Callable[..., Harness]) -> None:
    h = harness()
    sock, reader = h.connect()
    sock.sendall(get("/truncated"))
    response = read_response(reader)
    assert response.headers["content-length"] == "100" and response.body == b"x" * 10
    assert_closed(reader)
    assert h.stats()["backend_errors"] == 1


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6")
def test_ipv6_client_gets_a_tcp6_proxy_line(harness: Callable[..., Harness]) -> None:
    try:
        h = harness(host="::1")
    except OSError as error:
        pytest.skip(f"no IPv6 loopback: {error}")
    sock, reader = h.connect()
    sock.sendall(get("/v1/status"))
    echoed(h, sock, read_response(reader), get("/v1/status"))
    sock.sendall(hot(b"\x06"))
    assert read_response(reader).json() == {"len": 1, "tx": "06"}


def test_unreachable_backend_closes_the_client(
    harness: Callable[..., Harness], tmp_path: Path
) -> None:
    h = harness(backend_path=tmp_path / "nobody.sock")
    sock, reader = h.connect()
    sock.sendall(get("/v1/status"))
    assert_closed(reader)
    assert h.stats()["backend_errors"] == 1


# ---------------------------------------------------------------- 3. tunnel

CHUNKED = (
    b"POST /v1/txs HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
    b'Transfer-Encoding: chunked\r\n\r\nd\r\n{"tx":"AAAA"}\r\n0\r\n\r\n'
)
TUNNEL_TRIGGERS = {
    "chunked body": CHUNKED,
    "HTTP/1.0": request(b'{"tx":"AAAA"}', version="HTTP/1.0"),
    "expect": request(b'{"tx":"AAAA"}', extra=("Expect: 100-continue",)),
    "upgrade": get("/v1/ws", "Connection: Upgrade", "Upgrade: websocket"),
    "connection upgrade": get("/v1/ws", "Connection: keep-alive, upgrade"),
    "two content-lengths": request(b'{"tx":"AAAA"}', extra=("Content-Length: 13",)),
    "oversized head": request(b'{"tx":"AAAA"}', extra=("X-Pad: " + "p" * 17_000,)),
    "oversized body": request(b'{"tx":"' + b"A" * (MAX_BODY + 4) + b'"}'),
    "malformed head": b"POST /v1/txs HTTP/1.1\r\nbad header line\r\nContent-Length: 0\r\n\r\n",
}


@pytest.mark.parametrize("payload", TUNNEL_TRIGGERS.values(), ids=TUNNEL_TRIGGERS.keys())
def test_each_trigger_tunnels_with_proxy_line_and_bytes_intact(
    harness: Callable[..., Harness], payload: bytes
) -> None:
    h = harness()
    sock, reader = h.connect()
    sock.sendall(payload)
    response = read_response(reader)
    echoed(h, sock, response, payload)
    if response.headers.get("connection") == "close":
        assert_closed(reader)
    else:  # the rest of the connection is the backend's: a hot request too
        sock.sendall(hot(b"\x08"))
        echoed(h, sock, read_response(reader), hot(b"\x08"))
    stats = h.stats()
    assert stats["tunneled"] == 1 and stats["hot"] == 0 and stats["forwarded"] == 0
    assert h.backend.received[0].raw == payload


def test_forwarded_then_a_trigger_tunnels_on_a_new_backend_connection(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    sock, reader = h.connect()
    sock.sendall(get("/v1/status"))
    first = echoed(h, sock, read_response(reader), get("/v1/status"))
    sock.sendall(CHUNKED)
    assert echoed(h, sock, read_response(reader), CHUNKED) != first
    assert h.stats()["tunneled"] == 1 and h.stats()["backend_connections"] == 2


def test_event_stream_turns_into_a_tunnel_streaming_as_it_comes(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    sock, reader = h.connect()
    sock.sendall(get("/v1/status"))
    echoed(h, sock, read_response(reader), get("/v1/status"))
    sock.sendall(get("/events"))
    response = read_response(reader)
    assert response.headers["content-type"] == "text/event-stream"
    assert "content-length" not in response.headers and response.body == b""
    assert reader.readline() == b"data: 1\n" and reader.readline() == b"\n"  # before the rest
    h.backend.release.set()
    assert reader.readline() == b"data: 2\n" and reader.readline() == b"\n"
    assert_closed(reader)
    stats = h.stats()
    assert stats["forwarded"] == 2 and stats["tunneled"] == 1
    assert stats["backend_connections"] == 1


def test_partial_request_is_tunneled_whole(harness: Callable[..., Harness]) -> None:
    """The tunnel forwards bytes of a request whose body is still arriving."""
    h = harness()
    sock, reader = h.connect()
    sock.sendall(CHUNKED[:-12])
    wait_for(lambda: h.stats()["tunneled"] == 1)
    sock.sendall(CHUNKED[-12:])
    echoed(h, sock, read_response(reader), CHUNKED)


def test_half_closed_client_gets_its_answer(harness: Callable[..., Harness]) -> None:
    h = harness()
    for payload in [get("/v1/status"), CHUNKED]:  # forwarded, tunneled
        sock, reader = h.connect()
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        echoed(h, sock, read_response(reader), payload)
        assert_closed(reader)


# ---------------------------------------------------------------- 4. limits


def test_busy_then_timeout_then_the_connection_still_serves(
    harness: Callable[..., Harness],
) -> None:
    h = harness(max_inflight=1, request_timeout=0.5)
    h.core.answering.clear()
    waiting, waiting_reader = h.connect()
    waiting.sendall(hot(b"\x01"))
    wait_for(lambda: h.stats()["inflight"] == 1)

    sock, reader = h.connect()
    sock.sendall(hot(b"\x02"))
    busy = read_response(reader)
    assert (busy.status, busy.body) == ERRORS["busy"]
    assert busy.headers["retry-after"] == "1"

    started = time.monotonic()
    late = read_response(waiting_reader)
    assert (late.status, late.body) == ERRORS["timeout"]
    assert time.monotonic() - started < 3
    stats = h.stats()
    assert stats["busy"] == 1 and stats["timeouts"] == 1 and stats["inflight"] == 0
    # Python's late answer is ignored; the connection serves the next request.
    h.front.respond([(rid, 200, b"{}") for rid, _ in h.core.seen])
    h.core.answering.set()
    waiting.sendall(hot(b"\x03"))
    assert read_response(waiting_reader).json() == {"len": 1, "tx": "03"}
    sock.sendall(hot(b"\x04"))
    assert read_response(reader).json() == {"len": 1, "tx": "04"}


def test_head_timeout_with_partial_head_answers_408_and_closes(
    harness: Callable[..., Harness],
) -> None:
    h = harness(head_timeout=0.3)
    sock, reader = h.connect()
    started = time.monotonic()
    sock.sendall(b"POST /v1/txs HTTP/1.1\r\nHost: node\r\n")
    response = read_response(reader)
    assert (response.status, response.body) == ERRORS["head_timeout"]
    assert response.headers["connection"] == "close"
    assert_closed(reader)
    assert 0.25 < time.monotonic() - started < 3
    assert h.stats()["head_timeouts"] == 1


def test_head_timeout_without_bytes_closes_silently(harness: Callable[..., Harness]) -> None:
    h = harness(head_timeout=0.3)
    _, reader = h.connect()
    started = time.monotonic()
    assert_closed(reader)
    assert 0.25 < time.monotonic() - started < 3


def test_second_head_timeout_on_a_kept_alive_connection(harness: Callable[..., Harness]) -> None:
    h = harness(head_timeout=0.3)
    sock, reader = h.connect()
    sock.sendall(hot(b"\x01"))
    assert read_response(reader).status == 200
    sock.sendall(b"POST /v1/txs HTTP/1.1\r\n")
    assert read_response(reader).status == 408
    assert_closed(reader)


def test_idle_kept_alive_connection_is_closed(harness: Callable[..., Harness]) -> None:
    h = harness(keep_alive=0.3)
    sock, reader = h.connect()
    sock.sendall(hot(b"\x01"))
    assert read_response(reader).status == 200
    started = time.monotonic()
    assert_closed(reader)
    assert 0.25 < time.monotonic() - started < 3


def test_body_timeout_answers_408_and_closes(harness: Callable[..., Harness]) -> None:
    h = harness(body_timeout=0.3, body_min_rate=1_000_000)
    sock, reader = h.connect()
    payload = hot(b"\x01" * 30)
    sock.sendall(payload[:-10])
    response = read_response(reader)
    assert (response.status, response.body) == ERRORS["body_timeout"]
    assert response.headers["connection"] == "close"
    assert_closed(reader)
    assert h.stats()["body_timeouts"] == 1


def test_slow_body_within_its_deadline_is_hot(harness: Callable[..., Harness]) -> None:
    h = harness(body_timeout=0.5)
    sock, reader = h.connect()
    payload = hot(b"\x01" * 30)
    sock.sendall(payload[:-10])
    time.sleep(0.2)
    sock.sendall(payload[-10:])
    assert read_response(reader).json()["len"] == 30


def test_connection_close_is_honoured(harness: Callable[..., Harness]) -> None:
    h = harness()
    sock, reader = h.connect()
    sock.sendall(hot(b"\x05", extra=("Connection: keep-alive, Close",)))
    response = read_response(reader)
    assert response.status == 200 and response.headers["connection"] == "close"
    assert_closed(reader)


# ---------------------------------------------------------------- 6. review: framing, bounds

# llhttp (the Python server's parser) refuses a bare LF line end that httparse takes, and
# treats CONNECT as an upgrade: the front must neither answer nor frame such a request.
LLHTTP_ONLY = {
    "bare LF in a hot request": (
        b"POST /v1/txs HTTP/1.1\r\nHost: node\nContent-Type: application/json\r\n"
        b'Content-Length: 13\r\n\r\n{"tx":"AAAA"}'
    ),
    "CONNECT": b"CONNECT node:443 HTTP/1.1\r\nHost: node:443\r\n\r\n",
}


@pytest.mark.parametrize("payload", LLHTTP_ONLY.values(), ids=LLHTTP_ONLY.keys())
def test_requests_llhttp_reads_otherwise_are_tunneled(
    harness: Callable[..., Harness], payload: bytes
) -> None:
    h = harness()
    sock, reader = h.connect()
    sock.sendall(payload)
    echoed(h, sock, read_response(reader), payload)
    stats = h.stats()
    assert stats["tunneled"] == 1 and stats["hot"] == 0 and stats["forwarded"] == 0
    assert h.core.seen == []


def test_requests_expired_in_the_queue_leave_it(harness: Callable[..., Harness]) -> None:
    """Python stalled: each expired request leaves the queue, which stays within max_inflight
    (it grew by max_inflight per request_timeout before), and is never admitted after its 504."""
    h = harness(core=False, max_inflight=2, request_timeout=0.3)
    for round_ in range(3):
        conns = [h.connect() for _ in range(2)]
        for n, (sock, _) in enumerate(conns):
            sock.sendall(hot(bytes([round_, n])))
        for _, reader in conns:
            assert read_response(reader).status == 504
        stats = h.stats()
        assert stats["queued"] == 0 and stats["inflight"] == 0, stats
    assert h.front.next_batch(64, 0.0) == []


def test_connections_beyond_max_connections_wait_in_the_backlog(
    harness: Callable[..., Harness],
) -> None:
    h = harness(max_connections=2)
    first, _ = h.connect()
    second, second_reader = h.connect()
    second.sendall(hot(b"\x02"))
    assert read_response(second_reader).status == 200
    third, third_reader = h.connect()  # in the backlog: connected, not served
    third.sendall(hot(b"\x03"))
    third.settimeout(0.5)
    with pytest.raises(TimeoutError):
        third.recv(1)
    third.settimeout(READ_WAIT)
    first.close()
    assert read_response(third_reader).json() == {"len": 1, "tx": "03"}
    assert h.stats()["accepted"] == 3
    with pytest.raises(ValueError, match="max_connections"):
        harness(max_connections=0)


def test_tunnel_to_a_client_that_reads_nothing_is_closed(
    harness: Callable[..., Harness],
) -> None:
    """A tunneled answer the client does not take for keep_alive ends the tunnel (it held the
    client and backend connections for ever)."""
    h = harness(keep_alive=0.5)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(READ_WAIT)
    sock.connect((h.host, h.port))
    h.sockets.append(sock)
    body = b"x" * (16 << 20)  # echoed as ~21 MiB: more than the sockets' buffers hold
    sock.sendall(request(body, version="HTTP/1.0"))
    wait_for(lambda: h.backend.closed == 1)
    assert h.stats()["tunneled"] == 1


def test_large_hot_body_is_forwarded_not_held_whole(harness: Callable[..., Harness]) -> None:
    """Hot bodies are held whole until Python answers: beyond 64 KiB (max_body is 16 MiB by
    default) the request is forwarded, its body streamed under the Python server's bounds."""
    h = harness(max_body=1 << 20)
    sock, reader = h.connect()
    payload = hot(b"\x01" * 60_000)  # a body of 80 000 bytes
    sock.sendall(payload)
    echoed(h, sock, read_response(reader), payload)
    sock.sendall(hot(b"\x02" * 40_000))  # 53 000 bytes: still hot
    assert read_response(reader).json()["len"] == 40_000
    stats = h.stats()
    assert stats["forwarded"] == 1 and stats["hot"] == 1 and stats["tunneled"] == 0


def test_huge_configured_deadlines_are_cut_not_a_panic(harness: Callable[..., Harness]) -> None:
    h = harness(head_timeout=1e19, keep_alive=1e19, request_timeout=1e19, body_timeout=1e19)
    sock, reader = h.connect()
    sock.sendall(hot(b"\x07"))
    assert read_response(reader).json() == {"len": 1, "tx": "07"}


# ---------------------------------------------------------------- 5. lifecycle


def test_close_makes_next_batch_raise_and_stops_accepting(harness: Callable[..., Harness]) -> None:
    h = harness(core=False)
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            h.front.next_batch(8, 30.0)
        except RuntimeError as error:
            outcome.append(error)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    time.sleep(0.1)
    _, reader = h.connect()
    started = time.monotonic()
    h.front.close()
    waiter.join(5)
    assert outcome and time.monotonic() - started < 5
    assert_closed(reader)
    with pytest.raises(RuntimeError):
        h.front.next_batch(8, 0.0)
    h.front.close()  # idempotent
    h.front.respond([(1, 200, b"{}")])  # ignored
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", h.port), timeout=READ_WAIT).close()


def test_next_batch_times_out_empty_and_bounds_its_size(harness: Callable[..., Harness]) -> None:
    h = harness(core=False)
    assert h.front.next_batch(8, 0.05) == []
    conns = [h.connect() for _ in range(3)]
    for n, (sock, _) in enumerate(conns):
        sock.sendall(hot(bytes([n])))
    wait_for(lambda: h.stats()["queued"] == 3)
    first = h.front.next_batch(2, 1.0)
    second = h.front.next_batch(2, 1.0)
    assert len(first) == 2 and len(second) == 1
    assert sorted(raw for _, raw in first + second) == [b"\x00", b"\x01", b"\x02"]
    h.front.respond([(rid, 202, b'{"ok":true}') for rid, _ in first + second])
    for _, reader in conns:
        response = read_response(reader)
        assert response.status == 202 and response.body == b'{"ok":true}'


def test_bad_arguments_raise(harness: Callable[..., Harness]) -> None:
    h = harness()
    with pytest.raises(ValueError, match="busy"):
        harness(errors={k: v for k, v in ERRORS.items() if k != "busy"})
    with pytest.raises(ValueError, match="head_timeout"):
        harness(head_timeout=0.0)
    with pytest.raises(OSError):
        Front(
            10_000,
            "/nonexistent",
            max_body=1,
            max_inflight=1,
            head_timeout=1.0,
            body_timeout=1.0,
            body_min_rate=1,
            request_timeout=1.0,
            keep_alive=1.0,
            errors=ERRORS,
        )
    with pytest.raises(ValueError):
        h.front.respond([(1, 42, b"{}")])
