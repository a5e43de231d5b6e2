"""A real HTTP server that fails on purpose, counting the attempts it receives."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Script:
    """What the server answers: ``failures`` times ``status`` (then 200 ``ok_body``)."""

    status: int = 503
    failures: int = 10**9
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0
    ok_body: bytes = b"{}"
    attempts: Counter[str] = field(default_factory=Counter)


def api_error_body(status: int) -> bytes:
    code = {429: 12, 503: 13, 504: 14}.get(status, 1)
    return json.dumps(
        {"code": code, "codespace": "api", "message": f"scripted {status}", "details": {}}
    ).encode()


@contextmanager
def failing_server(script: Script) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            self.rfile.read(length)
            script.attempts[self.command] += 1
            if script.delay:
                time.sleep(script.delay)
            failing = sum(script.attempts.values()) <= script.failures
            status = script.status if failing else 200
            body = (script.body or api_error_body(status)) if failing else script.ok_body
            try:
                self.send_response(status)
                self.send_header("content-type", script.content_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first (timeout tests)

        do_GET = _answer
        do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
