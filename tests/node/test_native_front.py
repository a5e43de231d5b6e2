"""The native HTTP front end (``finchain_native.Front``, native/src/front.rs).

Each test runs a real Front on a fresh 127.0.0.1 socket, a thread playing the
core (``next_batch`` then ``respond`` with a body naming the transaction), and a
minimal asyncio backend on a unix socket that reads the PROXY line and one HTTP
request and answers with what it received (plain uvicorn does not read PROXY
lines). Clients are raw sockets, so every byte sent and received is the test's.

1. Hot submissions are answered natively: in turn on one kept-alive connection,
   pipelined (answers in request order), with ``mode=sync`` or an empty query.
2. Each tunnel trigger (other path or mode, content type, duplicate key, bad or
   escaped base64, extra member, chunked body, HTTP/1.0, ``expect``, oversized
   head or body) reaches the backend behind ``PROXY TCP4 <client> <front>`` with
   the request's bytes intact (``TCP6`` for an IPv6 client); a hot request followed by another on the same
   connection is answered natively, then the rest is tunneled; a client that
   half-closes still gets the backend's answer; no backend closes the client.
3. Limits: ``max_inflight`` gives the ``busy`` answer (429, retry-after); an
   unanswered request gets ``timeout`` (504) and the connection still serves;
   a partial head gets 408 and a close, no bytes a silent close; a slow body gets
   408 and a close; an idle kept-alive connection is closed; ``connection: close``
   is honoured.
4. ``close()`` makes ``next_batch`` raise (also one already waiting), stops
   accepting, and is idempotent; bad arguments raise.
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


class Backend:
    """An asyncio unix-socket server: PROXY line, one HTTP request, one answer, close.

    The answer's JSON body echoes the PROXY line and the request's raw bytes
    (base64); both are also kept in ``received``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.received: list[tuple[bytes, bytes]] = []
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
        try:
            proxy = await reader.readline()
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").lower().split("\r\n")
            body = b""
            if "transfer-encoding: chunked" in lines:
                body = await reader.readuntil(b"0\r\n\r\n")
            else:
                lengths = [line for line in lines if line.startswith("content-length:")]
                if lengths:
                    body = await reader.readexactly(int(lengths[0].split(":")[1]))
            self.received.append((proxy, head + body))
            answer = json.dumps(
                {"proxy": proxy.decode(), "raw": base64.b64encode(head + body).decode()}
            ).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(answer), answer)
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def __enter__(self) -> Backend:
        self._thread.start()
        assert self._started.wait(10), "the backend did not start"
        return self

    def __exit__(self, *exc: object) -> None:
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

    def json(self) -> Any:
        return json.loads(self.body)


def read_response(reader: BinaryIO) -> Response:
    status_line = reader.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    headers: dict[str, str] = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers["content-length"]))
    return Response(int(status_line.split()[1]), headers, body)


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


def hot(tx: bytes, **kwargs: Any) -> bytes:
    return request(json.dumps({"tx": base64.b64encode(tx).decode()}).encode(), **kwargs)


def tunneled(h: Harness, payload: bytes) -> None:
    """``payload`` sent on a fresh connection reaches the backend intact behind the PROXY line."""
    sock, reader = h.connect()
    sock.sendall(payload)
    answer = read_response(reader).json()
    assert answer["proxy"] == h.proxy_line(sock)
    assert base64.b64decode(answer["raw"]) == payload
    assert_closed(reader)


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


# ---------------------------------------------------------------- 2. tunnel

TUNNEL_TRIGGERS = {
    "other path": b"GET /v1/status HTTP/1.1\r\nHost: node\r\n\r\n",
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
    "chunked body": (
        b"POST /v1/txs HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
        b'Transfer-Encoding: chunked\r\n\r\nd\r\n{"tx":"AAAA"}\r\n0\r\n\r\n'
    ),
    "HTTP/1.0": request(b'{"tx":"AAAA"}', version="HTTP/1.0"),
    "expect": request(b'{"tx":"AAAA"}', extra=("Expect: 100-continue",)),
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
    tunneled(h, payload)
    stats = h.stats()
    assert stats["tunneled"] == 1 and stats["hot"] == 0
    assert h.backend.received[0][1] == payload


def test_near_misses_stay_hot(harness: Callable[..., Harness]) -> None:
    """What the rules allow: a charset parameter, header case, `connection: keep-alive`."""
    h = harness()
    sock, reader = h.connect()
    sock.sendall(hot(b"\x01", content_type="Application/JSON ; charset=utf-8"))
    assert read_response(reader).status == 200
    sock.sendall(hot(b"\x02", extra=("CONNECTION: keep-alive",)))
    assert read_response(reader).status == 200
    assert h.stats()["tunneled"] == 0


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6")
def test_ipv6_client_gets_a_tcp6_proxy_line(harness: Callable[..., Harness]) -> None:
    try:
        h = harness(host="::1")
    except OSError as error:
        pytest.skip(f"no IPv6 loopback: {error}")
    tunneled(h, b"GET /v1/status HTTP/1.1\r\nHost: node\r\n\r\n")
    sock, reader = h.connect()
    sock.sendall(hot(b"\x06"))
    assert read_response(reader).json() == {"len": 1, "tx": "06"}


def test_hot_then_the_rest_of_the_connection_is_tunneled(harness: Callable[..., Harness]) -> None:
    h = harness()
    sock, reader = h.connect()
    other = b"GET /v1/events HTTP/1.1\r\nHost: node\r\n\r\n"
    sock.sendall(hot(b"\x07") + other)  # pipelined: the second is already buffered
    assert read_response(reader).json() == {"len": 1, "tx": "07"}
    answer = read_response(reader).json()
    assert answer["proxy"] == h.proxy_line(sock)
    assert base64.b64decode(answer["raw"]) == other
    assert_closed(reader)
    assert h.stats()["hot"] == 1 and h.stats()["tunneled"] == 1


def test_partial_request_is_tunneled_whole(harness: Callable[..., Harness]) -> None:
    """The tunnel forwards bytes of a request whose body is still arriving."""
    h = harness()
    payload = request(b'{"tx":"AAAA"}', target="/v1/other")
    sock, reader = h.connect()
    sock.sendall(payload[:-5])
    wait_for(lambda: h.stats()["tunneled"] == 1)
    sock.sendall(payload[-5:])
    assert base64.b64decode(read_response(reader).json()["raw"]) == payload


def test_half_closed_client_gets_its_tunneled_answer(harness: Callable[..., Harness]) -> None:
    h = harness()
    sock, reader = h.connect()
    payload = b"GET /v1/status HTTP/1.1\r\nHost: node\r\n\r\n"
    sock.sendall(payload)
    sock.shutdown(socket.SHUT_WR)
    assert base64.b64decode(read_response(reader).json()["raw"]) == payload
    assert_closed(reader)


def test_unreachable_backend_closes_the_client(
    harness: Callable[..., Harness], tmp_path: Path
) -> None:
    h = harness(backend_path=tmp_path / "nobody.sock")
    sock, reader = h.connect()
    sock.sendall(b"GET /v1/status HTTP/1.1\r\nHost: node\r\n\r\n")
    assert_closed(reader)
    assert h.stats()["backend_errors"] == 1


# ---------------------------------------------------------------- 3. limits


def wait_for(predicate: Callable[[], bool], timeout: float = READ_WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


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


# ---------------------------------------------------------------- 4. lifecycle


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
