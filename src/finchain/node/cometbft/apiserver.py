"""The finchain HTTP API of a CometBFT node, on a uvicorn thread inside the ABCI process.

The ABCI server owns the main thread's event loop and the process's signals;
the API gets its own thread and loop, so neither waits on the other's I/O,
and uvicorn (which installs signal handlers only on the main thread) leaves
shutdown to ``serve``. Every API request reaches the Application through the
ABCI worker thread (``CometNodeService``), never directly.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from finchain.node.config import NodeConfig
from finchain.node.server import ApiServing, api_app
from finchain.service.interface import NodeService

log = logging.getLogger(__name__)
START_TIMEOUT_S = 30.0


class ApiServer:
    """Serve ``create_app(service)`` on ``config.api.listen`` until :meth:`stop`.

    Example::

        api = ApiServer(service, config, home)
        url = api.start()   # raises RuntimeError if it cannot listen
        ...
        api.stop()
    """

    def __init__(self, service: NodeService, config: NodeConfig, home: Path) -> None:
        self.config = config
        app = api_app(service, config, home)  # home: users of [api.auth]
        self._serving = ApiServing(app, service, config, graceful_shutdown=3)
        self._server = self._serving.server
        self._thread = threading.Thread(target=self._serving.run, name="finchain-api", daemon=True)

    def start(self, *, timeout: float = START_TIMEOUT_S) -> str:
        """Start serving; returns the API's URL once it accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the HTTP API could not listen on {self.config.api.listen}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the HTTP API did not start within {timeout:g} s")
            time.sleep(0.02)
        url = f"http://{self.config.api.listen}"
        log.info("finchain HTTP API listening on %s", url)
        return url

    def stop(self) -> None:
        """Stop accepting, finish requests in flight (a few seconds at most), join the thread."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
