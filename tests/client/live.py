"""Real things for API and SDK tests: a solo node in a temp home, served by uvicorn.

Shared by tests/client/ and tests/node/test_api*.py. Nothing here fakes the
node: the API runs over ``SoloNode`` and, where a test needs the network,
over a real uvicorn server on a free local port.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from finchain.client.builders import Signer
from finchain.crypto import Keystore, PrivateKey
from finchain.engines.solo.node import SoloNode
from finchain.node.api import ApiLimits, create_app
from finchain.node.api.context import ApiContext
from finchain.node.api.protocol import protocol_class
from finchain.node.solo import open_solo_node
from tests.node.conftest import PASSPHRASE, make_home


@dataclass
class LiveNode:
    """A started solo node, its API app, and the demo accounts (operator, alice, bob)."""

    node: SoloNode
    app: FastAPI
    ids: dict[str, str]
    home: Path

    @property
    def ctx(self) -> ApiContext:
        ctx: ApiContext = self.app.state.finchain
        return ctx

    def key(self, name: str) -> PrivateKey:
        return Keystore(self.home / "keystore").load(name, PASSPHRASE)

    def signer(self, name: str) -> Signer:
        nonce = self.node.query(
            "accounts/account", {"account": self.ids[name]}, height=None, prove=False
        ).value["nonce"]
        return Signer(self.node.app.chain_id, self.ids[name], [("k1", self.key(name))], nonce=nonce)


@contextmanager
def live_node(
    path: Path,
    limits: ApiLimits | None = None,
    *,
    suite: str = "intl",
    instant: bool = True,
    block_interval: float = 0.2,
) -> Iterator[LiveNode]:
    """A solo node (instant blocks unless told) in ``path`` with its API app; stopped on exit."""
    home, ids = make_home(path / "home", suite=suite)
    passphrase = path / "passphrase"
    passphrase.write_text(PASSPHRASE)
    passphrase.chmod(0o600)
    node = open_solo_node(
        home, instant=instant, block_interval=block_interval, passphrase_file=passphrase
    )
    node.start()
    try:
        yield LiveNode(node, create_app(node, limits=limits or ApiLimits()), ids, home.path)
    finally:
        node.stop()


@contextmanager
def serve(app: ASGIApp, *, head_timeout: float | None = None) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free local port in a thread; yields the base URL.

    The HTTP protocol is the node's own (``finchain.node.api.protocol``), with the
    ``head_timeout`` of the app's limits unless given.
    """
    if head_timeout is None:
        context = getattr(getattr(app, "state", None), "finchain", None)
        head_timeout = context.limits.head_timeout if context else ApiLimits().head_timeout
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then; without it
    # Nagle plus delayed ACKs add 40 ms to every response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            http=protocol_class(head_timeout=head_timeout),
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
            backlog=4096,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within 10 s")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
