"""Run a node process: the engine plus its HTTP API, until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import uvicorn
from fastapi import FastAPI

from finchain.chain import AppFactory, FinchainApp
from finchain.node.api import ApiLimits, create_app
from finchain.node.api.protocol import protocol_class
from finchain.node.auth import Authenticator
from finchain.node.config import LIMIT_KEYS, NodeConfig
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
    """The API app as ``config.toml`` describes it: limits and, if enabled, user logins."""
    return create_app(node, limits=limits_from(config), auth=auth_from(home, config))


def uvicorn_config(app: FastAPI, config: NodeConfig, *, graceful_shutdown: int) -> uvicorn.Config:
    """How a node serves its API: the ``[api]`` address, and the HTTP protocol with the
    request-head deadline and JSON error answers (``finchain.node.api.protocol``)."""
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


def serve(
    home: Home,
    config: NodeConfig,
    *,
    instant: bool | None = None,
    passphrase_file: Path | None = None,
    on_ready: str = "",
    after_start: Callable[[NodeService], None] | None = None,
    app_factory: AppFactory = FinchainApp,
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
    )
    app = api_app(node, config, home.path)
    server = uvicorn.Server(uvicorn_config(app, config, graceful_shutdown=5))
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
    try:
        server.run()
    finally:
        node.stop()


def _shutdown_requested(signum: int, frame: FrameType | None) -> None:
    log.info("shutdown signal received", extra={"signal": signum})
