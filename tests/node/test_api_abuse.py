"""Abuse of the HTTP API: every bad request gets a clear 4xx with a stable code, and a
flood degrades into 429/503 while the node keeps serving and stays consistent."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import socket
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from finchain.client import builders as b
from finchain.node.api import ApiLimits
from finchain.node.api.errors import ErrBodyTooLarge
from finchain.service.interface import SubmitMode
from tests.client.live import LiveNode, live_node, serve
from tests.support import code, wait_until

LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    limits = ApiLimits(max_body_bytes=LIMIT, max_concurrency=16, max_batch=10)
    with live_node(tmp_path_factory.mktemp("abuse"), limits) as node:
        raw = node.signer("operator").sign(b.transfer((node.ids["bob"], "CNY", 1)))
        node.node.submit([raw], SubmitMode.COMMIT, timeout=10)  # a first block: blocks/latest
        yield node


@pytest.fixture(scope="module")
def url(live: LiveNode) -> Iterator[str]:
    with serve(live.app) as base:
        yield base


@pytest.fixture(scope="module")
def http(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as client:
        yield client


def expect(response: httpx.Response, status: int, codespace: str, code: int) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert (response.status_code, body["codespace"], body["code"]) == (status, codespace, code), (
        body
    )
    assert set(body) == {"code", "codespace", "message", "details"} and body["message"]
    return body


JSON = {"content-type": "application/json"}
GOOD_TX = base64.b64encode(b"\xa1\x00\x00").decode()  # valid base64; the chain will refuse it

BAD_BODIES = [
    pytest.param(b'{"tx": ', JSON, 400, 2, id="truncated-json"),
    pytest.param(b"{'tx': 'AAAA'}", JSON, 400, 2, id="single-quotes"),
    pytest.param(b'{"tx": "AAAA"', JSON, 400, 2, id="unclosed-object"),
    pytest.param(b"\xff\xfe{}", JSON, 400, 2, id="not-utf8"),
    pytest.param(b'{"tx": "AAAA"}', {"content-type": "text/plain"}, 415, 3, id="text-plain"),
    pytest.param(b'{"tx": "AAAA"}', {}, 415, 3, id="no-content-type"),
    pytest.param(
        b"tx=AAAA", {"content-type": "application/x-www-form-urlencoded"}, 415, 3, id="form"
    ),
    pytest.param(b'{"tx": "AAAA", "fee": 1}', JSON, 400, 5, id="unknown-field"),
    pytest.param(b'{"TX": "AAAA"}', JSON, 400, 5, id="misspelt-field"),
    pytest.param(b'{"tx": "A!A="}', JSON, 400, 8, id="b64-alphabet"),
    pytest.param(b'{"tx": "AAA"}', JSON, 400, 8, id="b64-padding"),
    pytest.param(b'{"tx": "QR=="}', JSON, 400, 8, id="b64-noncanonical"),
    pytest.param(b'{"tx": "-_-_"}', JSON, 400, 8, id="b64-urlsafe"),
    pytest.param(b'{"tx": ""}', JSON, 400, 8, id="b64-empty"),
    pytest.param(b'{"tx": "AA AA"}', JSON, 400, 8, id="b64-space"),
    pytest.param(b'{"tx": 12}', JSON, 400, 6, id="tx-not-string"),
    pytest.param(b"{}", JSON, 400, 6, id="missing-tx"),
    pytest.param(b"[]", JSON, 400, 6, id="array"),
    pytest.param(b"", JSON, 400, 6, id="empty-body"),
    pytest.param(b"null", JSON, 400, 6, id="null"),
]


@pytest.mark.parametrize(("body", "headers", "status", "code"), BAD_BODIES)
def test_bad_bodies_get_stable_codes(
    http: httpx.Client, body: bytes, headers: dict[str, str], status: int, code: int
) -> None:
    expect(http.post("/v1/txs", content=body, headers=headers), status, "api", code)


def test_batch_bounds(http: httpx.Client) -> None:
    expect(http.post("/v1/txs/batch", json={"txs": []}), 400, "api", 6)
    expect(http.post("/v1/txs/batch", json={"txs": [GOOD_TX] * 11}), 400, "api", 15)
    expect(http.post("/v1/txs/batch", json={"txs": [GOOD_TX, "A"]}), 400, "api", 8)
    expect(http.post("/v1/txs/batch", json={"txs": GOOD_TX}), 400, "api", 6)


BAD_PARAMS = [
    pytest.param("GET", "/v1/txs/xyz", 400, 7, id="tx-id-not-hex"),
    pytest.param("GET", "/v1/txs/abc", 400, 7, id="tx-id-odd-length"),
    pytest.param("GET", "/v1/txs/" + "ab" * 31, 400, 7, id="tx-id-short"),
    pytest.param("GET", "/v1/txs/" + "ab" * 32, 404, 9, id="tx-id-unknown"),
    pytest.param("GET", "/v1/txs/" + "AB" * 32, 404, 9, id="tx-id-uppercase-unknown"),
    pytest.param("GET", "/v1/blocks/-1", 400, 11, id="block-negative"),
    pytest.param("GET", "/v1/blocks/0", 400, 11, id="block-zero"),
    pytest.param("GET", "/v1/blocks/abc", 400, 11, id="block-not-int"),
    pytest.param("GET", "/v1/blocks/1e3", 400, 11, id="block-float"),
    pytest.param("GET", "/v1/blocks/99999999999999999999", 400, 11, id="block-huge"),
    pytest.param("GET", "/v1/blocks/999999", 404, 9, id="block-future"),
    pytest.param("GET", "/v1/assets/CNY?height=-5", 400, 11, id="height-negative"),
    pytest.param("GET", "/v1/assets/CNY?height=abc", 400, 11, id="height-not-int"),
    pytest.param("GET", "/v1/assets/CNY?prove=maybe", 400, 11, id="prove-not-bool"),
    pytest.param("POST", "/v1/txs?mode=fast", 400, 11, id="mode-unknown"),
    pytest.param("POST", "/v1/txs?mode=commit&timeout=-1", 400, 11, id="timeout-negative"),
    pytest.param("POST", "/v1/txs?mode=commit&timeout=1e9", 400, 11, id="timeout-huge"),
    pytest.param("GET", "/v1/events?types=a,B", 400, 11, id="event-type-case"),
    pytest.param("GET", "/v1/nowhere", 404, 9, id="unknown-route"),
    pytest.param("DELETE", "/v1/txs", 405, 10, id="wrong-method"),
    pytest.param("PUT", "/v1/status", 405, 10, id="put-status"),
]


@pytest.mark.parametrize(("method", "path", "status", "code"), BAD_PARAMS)
def test_bad_parameters_get_stable_codes(
    http: httpx.Client, method: str, path: str, status: int, code: int
) -> None:
    body = {"tx": GOOD_TX} if method in ("POST", "PUT") else None
    expect(http.request(method, path, json=body), status, "api", code)


WRONG_METHODS = [
    pytest.param("PUT", "/v1/status", {"content-type": "text/plain"}, 405, "GET", id="put-status"),
    pytest.param("PATCH", "/v1/status", {}, 405, "GET", id="patch-status-no-type"),
    pytest.param("PUT", "/v1/txs", {"content-type": "text/plain"}, 405, "POST", id="put-txs"),
    pytest.param("POST", "/v1/status", JSON, 405, "GET", id="post-status-json"),
    pytest.param("POST", "/v1/nowhere", {"content-type": "text/plain"}, 404, None, id="no-route"),
]


@pytest.mark.parametrize(("method", "path", "headers", "status", "allow"), WRONG_METHODS)
def test_a_method_the_route_does_not_take_is_405_whatever_the_content_type(
    http: httpx.Client,
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
    allow: str | None,
) -> None:
    response = http.request(method, path, content=b"some body", headers=headers)
    expect(response, status, "api", 10 if status == 405 else 9)
    if allow is not None:
        assert allow in response.headers["allow"].split(", ")
    assert response.headers["connection"] == "close"  # the body was left unread


MALFORMED = [
    pytest.param(b"Content-Length: 100000000000000000000000\r\n", 400, 17, id="length-10^23"),
    pytest.param(b"Content-Length: -1\r\n", 400, 17, id="length-negative"),
    pytest.param(b"Content-Length: 1, 2\r\n", 400, 17, id="length-conflict"),
    pytest.param(b"Transfer-Encoding: gzip\r\n", 400, 17, id="unknown-coding"),
    pytest.param(b"X-Pad: " + b"a" * 200_000 + b"\r\n", 431, 18, id="head-too-large"),
]


@pytest.mark.parametrize(("header", "status", "code"), MALFORMED)
def test_requests_the_http_parser_refuses_get_the_json_error_shape(
    url: str, header: bytes, status: int, code: int
) -> None:
    head = b"POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        with contextlib.suppress(OSError):  # the server may close before reading it all
            sock.sendall(head + header + b"\r\n")
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while more := sock.recv(65536):
                answer += more
    got, body, headers = _status_and_body(answer)
    assert (got, body["codespace"], body["code"]) == (status, "api", code), body
    assert set(body) == {"code", "codespace", "message", "details"} and body["message"]
    assert b"content-type: application/json" in headers and b"connection: close" in headers


def test_a_broken_request_line_gets_the_json_error_shape(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GARBAGE\r\n\r\n")
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while more := sock.recv(65536):
                answer += more
    status, body, _ = _status_and_body(answer)
    assert (status, body["codespace"], body["code"]) == (400, "api", 17), body


def test_height_not_yet_committed_is_the_chains_bad_query(http: httpx.Client) -> None:
    expect(http.get("/v1/assets/CNY", params={"height": 10**9}), 400, "tx", 25)


def _raw_exchange(url: str, head: bytes, chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send ``head`` then chunks until the server answers; return (answer, body bytes sent)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head)
        sent = 0
        sock.setblocking(False)
        answer = b""
        for chunk in chunks:
            with contextlib.suppress(BlockingIOError):
                answer = sock.recv(65536)
            if answer:
                break
            try:
                sock.sendall(chunk)
            except BlockingIOError:
                time.sleep(0.01)
            sent += len(chunk)
            time.sleep(0.002)
        sock.setblocking(True)
        while b"\r\n\r\n" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
        rest = b""
        try:
            sock.settimeout(2)
            while more := sock.recv(65536):  # the server must close: the body was left unread
                rest += more
        except TimeoutError:
            pytest.fail("server kept the connection open after refusing an unread body")
        except ConnectionResetError:
            pass  # closing with unread bytes in its buffer makes the kernel send a reset: closed
        return answer + rest, sent


def _status_and_body(answer: bytes) -> tuple[int, dict[str, Any], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body), head.lower()


def test_oversized_body_refused_from_content_length_before_reading(url: str) -> None:
    declared = 100 * 1024 * 1024
    head = (
        b"POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(declared).encode() + b"\r\n\r\n"
    )
    answer, sent = _raw_exchange(url, head, iter([b'{"tx": "'] + [b"A" * 4096] * 25_600))
    status, body, headers = _status_and_body(answer)
    assert status == 413 and (body["codespace"], body["code"]) == code(ErrBodyTooLarge)
    assert b"connection: close" in headers
    assert sent < declared // 100  # answered long before the body could have been read


def test_oversized_chunked_body_refused_while_streaming(url: str) -> None:
    head = (
        b"POST /v1/txs/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"A" * 8192
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    answer, sent = _raw_exchange(url, head, iter([chunk] * 10_000))  # ~80 MB offered
    status, body, _ = _status_and_body(answer)
    assert status == 413 and (body["codespace"], body["code"]) == code(ErrBodyTooLarge)
    assert sent < 20 * LIMIT  # stopped near the limit, not at the end of the body


async def _burst(app: Any, n: int, raw: bytes, bob: str) -> tuple[Counter[str], list[int]]:
    """``n`` requests at once against the app in-process: all of them in flight together.

    Returns counts of "<kind> <status>" and the statuses of health probes made meanwhile.
    """
    tx = base64.b64encode(raw).decode()
    requests: list[tuple[str, str, str, dict[str, Any]]] = [
        ("status", "GET", "/v1/status", {}),
        ("balance", "GET", f"/v1/accounts/{bob}/balances/CNY?prove=true", {}),
        ("submit", "POST", "/v1/txs", {"json": {"tx": tx}}),
        ("malformed", "POST", "/v1/txs", {"content": b"{nope", "headers": JSON}),
        ("block", "GET", "/v1/blocks/latest", {}),
    ]
    seen: Counter[str] = Counter()
    health: list[int] = []
    transport = httpx.ASGITransport(app=app)  # re-raises anything the app failed to handle
    async with httpx.AsyncClient(transport=transport, base_url="http://node", timeout=60) as c:

        async def one(i: int) -> None:
            kind, method, path, extra = requests[i % len(requests)]
            response = await c.request(method, path, **extra)
            seen[f"{kind} {response.status_code}"] += 1
            if response.status_code >= 400:
                assert response.json()["codespace"] == "api", response.json()

        async def probe_health() -> None:
            for _ in range(20):
                answer = await c.get("/v1/health")
                health.append(answer.status_code)
                expected = {200: "ok", 503: "overloaded"}.get(answer.status_code)
                assert answer.json()["status"] == expected, answer.json()
                await asyncio.sleep(0.005)

        await asyncio.gather(probe_health(), *(one(i) for i in range(n)))
    return seen, health


def test_burst_of_10000_requests_degrades_with_429_and_the_node_stays_consistent(
    live: LiveNode, http: httpx.Client
) -> None:
    bob = live.ids["bob"]
    before = http.get("/v1/status").json()
    raw = live.signer("alice").sign(b.transfer((bob, "CNY", 7)))
    started = time.monotonic()
    seen, health = asyncio.run(_burst(live.app, 10_000, raw, bob))
    elapsed = time.monotonic() - started
    assert sum(seen.values()) == 10_000 and elapsed < 120
    allowed = {
        f"{kind} {status}"
        for kind in ("status", "balance", "submit", "block")
        for status in (200, 429, 503)
    } | {"malformed 400", "malformed 429"}
    assert set(seen) <= allowed, seen
    assert sum(v for k, v in seen.items() if k.endswith(" 429")) > 0, seen  # bounded
    assert sum(v for k, v in seen.items() if k.endswith(" 200")) > 0, seen  # still serving
    # Health answers through the flood, and honestly: 503 "overloaded" while slots are full.
    assert health and set(health) <= {200, 503}
    # Nothing is left in flight, and the node still serves, commits and agrees with itself.
    assert live.ctx.gate.requests == 0
    wait_until(lambda: live.ctx.calls.running == 0, what="node calls to drain")
    receipt = http.post(
        "/v1/txs", params={"mode": "commit"}, json={"tx": base64.b64encode(raw).decode()}
    ).json()
    assert receipt["deliver"]["code"] == 0  # the burst's duplicates did not spend it twice
    status = http.get("/v1/status").json()
    latest = http.get("/v1/blocks/latest").json()
    assert status["height"] == latest["height"] > before["height"]
    assert status["app_hash"] == latest["header"]["app_hash"]
    amounts = {
        name: int(http.get(f"/v1/accounts/{a}/balances/CNY").json()["value"]["amount"])
        for name, a in live.ids.items()
    }
    supply = int(http.get("/v1/assets/CNY").json()["value"]["supply"])
    assert sum(amounts.values()) == supply and amounts["bob"] == 1_000_000 + 1 + 7
    assert live.node.app.check_invariants() == []


async def _wire_flood(url: str, connections: int, each: int, paths: list[str]) -> Counter[int]:
    """Raw HTTP/1.1 keep-alive GETs over ``connections`` sockets at once (no client pool).

    httpx's async pool is slow to hand out connections to thousands of queued requests;
    a plain socket per connection measures the server, not the client.
    """
    host, port = url.removeprefix("http://").split(":")
    statuses: Counter[int] = Counter()

    async def connection(k: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for i in range(each):
                path = paths[(k + i) % len(paths)]
                writer.write(f"GET {path} HTTP/1.1\r\nHost: node\r\n\r\n".encode())
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                match = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
                assert match is not None, head
                await reader.readexactly(int(match.group(1)))
                statuses[int(head.split(b" ", 2)[1])] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection(k) for k in range(connections)))
    return statuses


def test_flood_over_the_wire_is_answered_with_200_429_503_only(live: LiveNode, url: str) -> None:
    """10,000 requests over 200 real keep-alive connections: every one gets an answer."""
    alice = live.ids["alice"]
    paths = ["/v1/status", f"/v1/accounts/{alice}", "/v1/blocks/latest", "/v1/assets/CNY"]
    started = time.monotonic()
    statuses = asyncio.run(_wire_flood(url, 200, 50, paths))
    elapsed = time.monotonic() - started
    assert sum(statuses.values()) == 10_000
    assert set(statuses) <= {200, 429, 503} and statuses[200] > 0, statuses
    assert elapsed < 120
    assert httpx.get(url + "/v1/health").status_code == 200
    wait_until(lambda: live.ctx.gate.requests == 0, what="requests to drain")
