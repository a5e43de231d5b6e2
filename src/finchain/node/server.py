"""Run a node process: the engine plus its HTTP API, until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import uvicorn
from fastapi import FastAPI

from finchain.chain import AppFactory, FinchainApp
from finchain.engines.solo.node import SoloClock
from finchain.indexer.follower import start_background
from finchain.node.api import ApiLimits, create_app
from finchain.node.api.protocol import protocol_class
from finchain.node.auth import Authenticator
from finchain.node.config import LIMIT_KEYS, NodeConfig
from finchain.node.errors import ErrListen
from finchain.node.front import NativeFront
from finchain.node.home import Home
from finchain.node.runtime import tune_gc
from finchain.node.solo import open_solo_node
from finchain.service.interface import NodeService

log = logging.getLogger("finchain.node")


def limits_from(config: NodeConfig) -> ApiLimits:
    """The API's bounds: those ``[api]`` sets, the defaults for the others."""
    return ApiLimits(**{key: getattr(config.api, key) for key in LIMIT_KEYS})


def auth_from(home: Path, config: NodeConfig) -> Authenticator | None:
    """The authenticator of ``[api.auth]`` over the users in ``home``; None when disabled."""
    return Authenticator(home, config.api.auth) if config.api.auth.enabled else None


def api_app(node: NodeService, config: NodeConfig, home: Path) -> FastAPI:
    """The API app as ``config.toml`` describes it: limits, user logins if enabled, and the
    SQL index the regulator's report routes read (``[indexer] db``)."""
    return create_app(
        node, limits=limits_from(config), auth=auth_from(home, config), index_url=config.indexer.db
    )


def uvicorn_config(app: FastAPI, config: NodeConfig, *, graceful_shutdown: int) -> uvicorn.Config:
    """How a node serves its API directly: the ``[api]`` address, and the HTTP protocol
    with the request-head deadline and JSON error answers (``finchain.node.api.protocol``)."""
    return uvicorn.Config(
        app,
        host=config.api.host,
        port=config.api.port,
        http=protocol_class(head_timeout=config.api.head_timeout),
        loop="uvloop",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=graceful_shutdown,
    )


def native_front_wanted(config: NodeConfig) -> bool:
    """``[api] front = "native"``, unless submissions need a login: the front answers
    them without reading bearer tokens, so the Python API must see every one."""
    auth = config.api.auth
    return config.api.front == "native" and not (auth.enabled and "submit" in auth.required_for)


class ApiServing:
    """The API's server: uvicorn alone, or the native front end with uvicorn behind it.

    With the front, the public socket is bound here (so a taken port fails as it
    always did), uvicorn listens on a unix socket in a private directory, and the
    front starts taking connections once uvicorn is up (until then they wait in
    the socket's backlog, none refused). ``run`` blocks like ``uvicorn.Server.run``.
    """

    def __init__(
        self, app: FastAPI, node: NodeService, config: NodeConfig, *, graceful_shutdown: int
    ) -> None:
        self._front: NativeFront | None = None
        self._listener: socket.socket | None = None
        self._private: Path | None = None
        if not native_front_wanted(config):
            self.server = uvicorn.Server(
                uvicorn_config(app, config, graceful_shutdown=graceful_shutdown)
            )
            return
        self._listener = listen(config.api.host, config.api.port)
        self._private = Path(tempfile.mkdtemp(prefix="finchain-api-"))  # mode 0700
        backend = self._private / "api.sock"
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                uds=str(backend),
                http=protocol_class(head_timeout=config.api.head_timeout, proxy_preamble=True),
                loop="uvloop",
                log_config=None,
                access_log=False,
                timeout_graceful_shutdown=graceful_shutdown,
            )
        )
        self._front = NativeFront(node, limits_from(config), backend=backend)

    def run(self) -> None:
        """Serve until uvicorn is told to exit (a signal, or ``server.should_exit``)."""
        if self._front is not None:
            threading.Thread(target=self._start_front, name="finchain-front", daemon=True).start()
        try:
            self.server.run()
        finally:
            self.close()

    def close(self) -> None:
        if self._front is not None:
            self._front.stop()
        if self._listener is not None:
            self._listener.close()
        if self._private is not None:
            shutil.rmtree(self._private, ignore_errors=True)

    def _start_front(self) -> None:
        assert self._front is not None and self._listener is not None
        while not self.server.started:
            if self.server.should_exit:
                return
            time.sleep(0.01)
        try:
            self._front.start(self._listener)
        except Exception:
            # Nobody would ever accept on the public socket: stop the node instead.
            log.exception("the native front end could not start; stopping")
            self.server.should_exit = True
            return
        self._listener = None  # the front owns it now


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``, as uvicorn would open it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ErrListen(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; stop what uses that "
            "address or set another [api] listen in config.toml",
            listen=f"{host}:{port}",
        ) from None
    sock.listen(2048)
    return sock


def serve(
    home: Home,
    config: NodeConfig,
    *,
    instant: bool | None = None,
    passphrase_file: Path | None = None,
    on_ready: str = "",
    after_start: Callable[[NodeService], None] | None = None,
    app_factory: AppFactory = FinchainApp,
    clock: SoloClock | None = None,
) -> None:
    """Start the solo node and serve its API; returns after a graceful shutdown.

    uvicorn turns SIGTERM/SIGINT into a graceful exit; the node then finishes the
    block in progress and closes its database. ``app_factory`` builds the
    application (a chain of one's own composition; tests of upgrades).
    """
    node = open_solo_node(
        home,
        config=config,
        instant=instant,
        passphrase_file=passphrase_file,
        app_factory=app_factory,
        clock=clock,
    )
    try:
        serving = ApiServing(api_app(node, config, home.path), node, config, graceful_shutdown=5)
    except BaseException:
        node.stop()
        raise
    tune_gc()
    # uvicorn handles SIGTERM/SIGINT while serving, then re-raises the signal
    # through whatever handler was installed before it: make that a no-op, so
    # the node gets to finish its block and close the database below.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _shutdown_requested)
    node.start()
    if on_ready:
        print(on_ready, flush=True)
    if after_start is not None:  # e.g. the dev chain's demo setup, sent like any client's txs
        threading.Thread(target=after_start, args=(node,), name="after-start", daemon=True).start()
    # [indexer] run: the indexer reads this node's own API, like any other indexer
    stop_index = (
        start_background(f"http://{config.api.listen}", config.indexer.db)
        if config.indexer.run
        else None
    )
    try:
        serving.run()
    finally:
        if stop_index is not None:
            stop_index()
        node.stop()


def _shutdown_requested(signum: int, frame: FrameType | None) -> None:
    log.info("shutdown signal received", extra={"signal": signum})
