"""A throw-away solo chain with its HTTP API, served from inside this process.

``finchain bench --in-process`` measures through exactly the same HTTP path as
against a separate node (client, API, node), minus a process boundary; tests
use the same helper to run CLI commands against a real API.

The API runs in a uvicorn server on a background thread, on a free port of
127.0.0.1 chosen by the OS; the producer runs on the node's own thread.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from finchain.cli.chain import DEV_ACCOUNTS, DEV_ASSET
from finchain.devchain.setup import HomeSpec, init_home, write_dev_passphrase
from finchain.engines.solo.node import SoloNode
from finchain.node.api import create_app
from finchain.node.home import DEV_PASSPHRASE_FILE, Home
from finchain.node.server import limits_from
from finchain.node.solo import open_solo_node

_START_TIMEOUT = 30.0


@dataclass(frozen=True)
class LocalChain:
    """Where a running in-process chain is: its API URL, home, and demo account ids."""

    url: str
    home: Path
    accounts: dict[str, str]
    node: SoloNode


def create_home(
    path: Path, *, suite: str, block_interval: float, scrypt_n: int = 2**10
) -> dict[str, str]:
    """A dev-style home (demo accounts, CNY, passphrase file) with a cheap key cost.

    The keys of a throw-away chain guard nothing, so the scrypt cost is lowered
    to keep start-up instant; real homes come from ``finchain init``.
    """
    home = Home(path)
    passphrase = write_dev_passphrase(home)
    config = (
        "# served in-process on a free port of 127.0.0.1; listen is not used\n"
        '[api]\nlisten = "127.0.0.1:8640"\nmax_concurrency = 256\n\n'
        f"[solo]\nblock_interval = {float(block_interval)}\n"
    )
    return init_home(
        home,
        HomeSpec(
            chain_id="finchain-local",
            suite=suite,
            passphrase=passphrase,
            account_names=DEV_ACCOUNTS,
            assets=(DEV_ASSET,),
            config_text=config,
            scrypt_n=scrypt_n,
        ),
    )


@contextmanager
def local_chain(
    *,
    suite: str = "gm",
    block_interval: float = 1.0,
    instant: bool = False,
    directory: Path | None = None,
) -> Iterator[LocalChain]:
    """Start a solo node and its API in this process; stop both on exit.

    Example::

        with local_chain(instant=True) as chain:
            Client(chain.url).status()
    """
    with tempfile.TemporaryDirectory(prefix="finchain-local-", dir=directory) as tmp:
        path = Path(tmp) / "home"
        accounts = create_home(path, suite=suite, block_interval=block_interval)
        home = Home(path)
        config = home.config()
        node = open_solo_node(
            home,
            config=config,
            instant=instant,
            block_interval=block_interval,
            passphrase_file=path / DEV_PASSPHRASE_FILE,
        )
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(node, limits=limits_from(config)),
                host="127.0.0.1",
                port=0,
                log_config=None,
                access_log=False,
                timeout_graceful_shutdown=2,
            )
        )
        node.start()
        thread = threading.Thread(target=server.run, name="finchain-api", daemon=True)
        thread.start()
        try:
            url = _wait_started(server, thread)
            yield LocalChain(url=url, home=path, accounts=accounts, node=node)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            node.stop()


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> str:
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the in-process API server stopped during start-up")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the in-process API server did not start in {_START_TIMEOUT} s")
        time.sleep(0.01)
    port = next(s.getsockname()[1] for srv in server.servers for s in srv.sockets)
    return f"http://127.0.0.1:{port}"
