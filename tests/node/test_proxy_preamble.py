"""The API's listener behind the native front end reads the client's address from a
PROXY protocol v1 line; no other listener takes such a line."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.types import Receive, Scope, Send

from finchain.node.api.protocol import protocol_class


async def echo_client(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with the client address the server saw."""
    host, port = scope["client"] or ("none", 0)
    body = f"{host} {port}".encode()
    length = str(len(body)).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", length)]}
    )
    await send({"type": "http.response.body", "body": body})


@contextmanager
def served(path: Path, *, proxy_preamble: bool) -> Iterator[None]:
    server = uvicorn.Server(
        uvicorn.Config(
            echo_client,
            uds=str(path),
            http=protocol_class(head_timeout=2.0, proxy_preamble=proxy_preamble),
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def exchange(path: Path, data: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


REQUEST = b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"


def test_the_front_listener_takes_the_clients_address_from_the_proxy_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "api.sock"
    with served(path, proxy_preamble=True):
        answer = exchange(path, b"PROXY TCP4 10.1.2.3 127.0.0.1 5555 8640\r\n" + REQUEST)
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"10.1.2.3 5555")
        v6 = exchange(path, b"PROXY TCP6 2001:db8::1 ::1 6000 8640\r\n" + REQUEST)
        assert v6.endswith(b"2001:db8::1 6000")
        # the line may arrive in pieces, as TCP delivers it
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(path))
            for piece in (b"PROXY TCP4 10.9", b".8.7 127.0.0.1 1 2\r", b"\n" + REQUEST):
                sock.sendall(piece)
                time.sleep(0.05)
            assert sock.recv(65536).endswith(b"10.9.8.7 1")
        for bad in (b"PROXY TCP4 not-an-ip 127.0.0.1 1 2\r\n", b"GET / HTTP/1.1\r\n", b"P" * 200):
            assert exchange(path, bad + REQUEST) == b"", bad  # closed, nothing served


def test_any_other_listener_refuses_a_proxy_line_as_a_malformed_request(tmp_path: Path) -> None:
    path = tmp_path / "api.sock"
    with served(path, proxy_preamble=False):
        answer = exchange(path, b"PROXY TCP4 10.1.2.3 127.0.0.1 5555 8640\r\n" + REQUEST)
        assert answer.startswith(b"HTTP/1.1 400") and b'"code": 17' in answer
