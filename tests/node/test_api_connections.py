"""Connections that misbehave cannot lock the API, and an error does not poison one.

Scenarios, each against a real uvicorn serving the API over a real solo node:

1. 64 clients send a request body slowly and stall: they sit in upload slots, so
   a client still reads ``/v1/status`` and commits a transaction.
2. A stalled or trickled body gets 408 ``api:16`` and a closed connection after its
   deadline, which frees its upload slot; while the upload slots are full,
   ``/v1/health`` says ``overloaded`` (503) and a new upload gets 429.
3. A request head that does not arrive in time (nothing, half a head, a head
   trickled byte by byte, or the second head on a kept-alive connection) ends in a
   closed connection, with 408 ``api:16`` if part of a head had arrived.
4. An unexpected exception answers the JSON 500 ``api:1``, logged once, and the
   same keep-alive connection then serves the next request.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import socket
import time
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import httpx
import pytest

from finchain.client import Client
from finchain.client import builders as b
from finchain.node.api import ApiLimits, create_app
from finchain.node.api.context import ApiContext
from finchain.service.interface import NodeStatus, SubmitMode, SubmitResult
from tests.client.live import LiveNode, live_node, serve
from tests.support import wait_until

log = logging.getLogger("test.connections")
SOCKET_WAIT = 15.0  # a bound on any single socket read: the server answers long before


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    with live_node(tmp_path_factory.mktemp("connections")) as node:
        yield node


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def _body_head(length: int, path: str = "/v1/txs", *, close: bool = False) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: node", "Content-Type: application/json"]
    lines += [f"Content-Length: {length}"] + (["Connection: close"] if close else [])
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (a reset also counts as closed)."""
    sock.settimeout(SOCKET_WAIT)
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the server kept the connection open; received so far: {answer[:200]!r}")
    return answer


def _parse(answer: bytes) -> tuple[int, dict[bytes, bytes], dict[str, Any]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, json.loads(body)


def _expect_error(answer: bytes, status: int, code: int) -> dict[bytes, bytes]:
    got, headers, body = _parse(answer)
    assert (got, body["codespace"], body["code"]) == (status, "api", code), body
    assert set(body) == {"code", "codespace", "message", "details"} and body["message"]
    return headers


@contextlib.contextmanager
def _slow_uploads(
    url: str, count: int, *, sent: bytes = b'{"tx": "'
) -> Iterator[list[socket.socket]]:
    """``count`` connections that each send a POST head and the start of its body, then stall."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.create_connection(_address(url), timeout=SOCKET_WAIT)
            sock.sendall(_body_head(1000) + sent)
            socks.append(sock)
        yield socks
    finally:
        for sock in socks:
            sock.close()


def _transfer(live: LiveNode, amount: int) -> bytes:
    return live.signer("alice").sign(b.transfer((live.ids["bob"], "CNY", amount)))


def test_64_slow_uploads_leave_reads_and_submissions_working(live: LiveNode) -> None:
    app = create_app(live.node, limits=ApiLimits(body_timeout=120.0))  # they stay for the test
    ctx: ApiContext = app.state.finchain
    with serve(app) as url, _slow_uploads(url, 64):
        wait_until(lambda: ctx.gate.uploads == 64, what="64 uploads in progress")
        log.info("64 uploads stall in upload slots; processing slots in use: %d", ctx.gate.requests)
        assert ctx.gate.requests == 0  # a request takes a processing slot only with its body
        with Client(url, retries=0) as client:
            assert client.status().chain_id == live.node.app.chain_id
            receipt = client.submit_tx(_transfer(live, 3), mode="commit")
            assert receipt.committed and receipt.deliver is not None and receipt.deliver.ok
            assert client.tx(receipt.tx_id).height == receipt.height
            assert client.health() is True  # 64 of 128 upload slots: not overloaded
        assert ctx.gate.uploads == 64  # the stalled uploads were there all along
    wait_until(lambda: ctx.gate.uploads == 0, what="upload slots released on disconnect")


def test_stalled_and_trickled_bodies_get_408_and_free_their_slots(live: LiveNode) -> None:
    limits = ApiLimits(max_uploads=4, body_timeout=1.0, body_min_rate=1024)
    app = create_app(live.node, limits=limits)
    ctx: ApiContext = app.state.finchain
    with serve(app) as url, httpx.Client(base_url=url, timeout=SOCKET_WAIT) as http:
        with _slow_uploads(url, 3) as stalled:
            # The fourth keeps sending, 10 bytes every 0.1 s: 100 B/s, below the 1024 B/s
            # the deadline asks for beyond its grace, so it is cut although never idle.
            trickler = socket.create_connection(_address(url), timeout=SOCKET_WAIT)
            trickler.sendall(_body_head(100_000) + b'{"tx": "')
            wait_until(lambda: ctx.gate.uploads == 4, what="4 uploads in progress")

            health = http.get("/v1/health")
            assert health.status_code == 503 and health.headers["retry-after"] == "1"
            assert health.json()["status"] == "overloaded"
            assert health.json()["details"]["exhausted"] == ["uploads"]
            assert health.json()["details"]["uploads"] == {"in_use": 4, "limit": 4}
            assert http.get("/v1/status").status_code == 200  # reads need no upload slot
            refused = http.post("/v1/txs", json={"tx": "AAAA"})
            assert refused.status_code == 429 and refused.json()["code"] == 12

            trickler.settimeout(0.1)
            answer = b""
            for _ in range(int(SOCKET_WAIT / 0.1)):
                with contextlib.suppress(TimeoutError):
                    answer += trickler.recv(65536)
                if answer:
                    break
                with contextlib.suppress(OSError):
                    trickler.sendall(b"A" * 10)
            answer += _read_until_closed(trickler)
            headers = _expect_error(answer, 408, 16)
            assert headers[b"connection"] == b"close"
            for sock in stalled:
                _expect_error(_read_until_closed(sock), 408, 16)
            trickler.close()

        wait_until(lambda: ctx.gate.uploads == 0, what="upload slots freed by the deadline")
        assert http.get("/v1/health").json() == {"status": "ok"}
        # A body that keeps up with the rate is not cut, however long it takes beyond the grace.
        with socket.create_connection(_address(url), timeout=SOCKET_WAIT) as sock:
            tx = _transfer(live, 4)
            body = json.dumps({"tx": base64.b64encode(tx).decode()}).encode()
            body += b" " * (3000 - len(body))  # padding: about 2 s at 1500 B/s
            sock.sendall(_body_head(len(body), "/v1/txs?mode=commit", close=True))
            for start in range(0, len(body), 150):
                sock.sendall(body[start : start + 150])
                time.sleep(0.1)
            status, _, receipt = _parse(_read_until_closed(sock))
            assert status == 200 and receipt["deliver"]["code"] == 0, receipt


def test_request_heads_have_a_deadline(live: LiveNode) -> None:
    app = create_app(live.node, limits=ApiLimits(head_timeout=1.0))
    with serve(app) as url:
        started = time.monotonic()
        with socket.create_connection(_address(url), timeout=SOCKET_WAIT) as silent:
            assert _read_until_closed(silent) == b""  # nothing sent: closed without a word
        log.info("a silent connection was closed after %.2f s", time.monotonic() - started)

        with socket.create_connection(_address(url), timeout=SOCKET_WAIT) as half:
            half.sendall(b"GET /v1/status HTTP/1.1\r\nHo")
            headers = _expect_error(_read_until_closed(half), 408, 16)
            assert headers[b"connection"] == b"close"

        # Trickled, never idle for long: the deadline counts the whole head, not the gaps.
        with socket.create_connection(_address(url), timeout=SOCKET_WAIT) as trickled:
            trickled.settimeout(0.2)
            answer = b""
            for byte in b"GET /v1/status HTTP/1.1\r\nHost: node\r\n" * 10:
                try:
                    trickled.sendall(bytes([byte]))
                    answer += trickled.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if answer:
                    break
            answer += _read_until_closed(trickled)
            _expect_error(answer, 408, 16)

        # On a kept-alive connection the next head has the same deadline.
        with socket.create_connection(_address(url), timeout=SOCKET_WAIT) as kept:
            kept.sendall(b"GET /v1/health HTTP/1.1\r\nHost: node\r\n\r\n")
            first = b""
            while b'"ok"}' not in first:
                first += kept.recv(65536)
            assert first.startswith(b"HTTP/1.1 200 ")
            kept.sendall(b"GET /v1/status HTTP/1.1\r\n")
            _expect_error(_read_until_closed(kept), 408, 16)


class FailingOnce:
    """The live node, except that ``status`` and ``submit`` raise the first time.

    The exception's message holds a secret that must reach the log only, never a client.
    """

    def __init__(self, node: Any) -> None:
        self._node = node
        self.failed: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._node, name)

    def _fail_once(self, what: str) -> None:
        if what not in self.failed:
            self.failed.add(what)
            raise RuntimeError(f"{what} broke; password=hunter2")

    def status(self) -> NodeStatus:
        self._fail_once("status")
        status: NodeStatus = self._node.status()
        return status

    def submit(self, raws: Any, mode: SubmitMode, *, timeout: float) -> list[SubmitResult]:
        self._fail_once("submit")
        results: list[SubmitResult] = self._node.submit(raws, mode, timeout=timeout)
        return results

    def admit(self, raws: Any) -> Future[list[SubmitResult]]:
        self._fail_once("submit")
        answer: Future[list[SubmitResult]] = self._node.admit(raws)
        return answer


def _local_address(response: httpx.Response) -> Any:
    """The client side's address of the connection that carried ``response``."""
    return response.extensions["network_stream"].get_extra_info("client_addr")


def test_a_500_leaves_the_keep_alive_connection_usable(
    live: LiveNode, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(FailingOnce(live.node))
    tx = base64.b64encode(_transfer(live, 5)).decode()
    with (
        serve(app) as url,
        httpx.Client(base_url=url, timeout=SOCKET_WAIT) as http,
        caplog.at_level(logging.ERROR),
    ):
        broken = http.get("/v1/status")
        assert broken.status_code == 500 and broken.json()["code"] == 1, broken.text
        assert broken.json()["codespace"] == "api" and "hunter2" not in broken.text
        assert "close" not in broken.headers.get("connection", "")
        healed = http.get("/v1/status")
        assert healed.status_code == 200
        assert _local_address(healed) == _local_address(broken)  # the same connection

        broken = http.post("/v1/txs", params={"mode": "commit"}, json={"tx": tx})
        assert broken.status_code == 500 and broken.json()["code"] == 1
        healed = http.post("/v1/txs", params={"mode": "commit"}, json={"tx": tx})
        assert healed.status_code == 200 and healed.json()["deliver"]["code"] == 0
        assert _local_address(healed) == _local_address(broken)

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "unhandled error serving GET /v1/status",
        "unhandled error serving POST /v1/txs",
    ]
    assert all(r.exc_info is not None for r in errors)  # once each, with the traceback
    assert all("hunter2" not in r.getMessage() for r in errors)
