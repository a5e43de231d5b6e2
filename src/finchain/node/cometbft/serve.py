"""The ABCI server process of one node: ``python -m finchain.node.cometbft.serve --home DIR``.

Opens the node's Application and serves it on the home's unix socket (or a TCP
address) until SIGTERM or SIGINT, or until CometBFT's consensus connection
closes (see ``server``); then closes the database cleanly. When the home has a
finchain ``config.toml`` the same process serves the node's HTTP API on
``[api] listen`` (``service``, ``apiserver``): it owns the Application, so the
API reads it between ABCI requests and submits through the local CometBFT's
RPC. CometBFT is started separately (``run`` does both).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from finchain.app import Genesis
from finchain.chain import FinchainApp
from finchain.engines.cometbft.adapter import AbciAdapter, Misbehavior
from finchain.engines.cometbft.config import read_rpc_settings
from finchain.engines.cometbft.home import NodeHome
from finchain.engines.cometbft.rpc import CometRpc
from finchain.engines.cometbft.server import AbciServer, CrashPoint
from finchain.engines.cometbft.service import CometNodeService
from finchain.engines.cometbft.toolchain import ToolchainError
from finchain.errors import FinchainError
from finchain.node.cometbft.apiserver import ApiServer
from finchain.node.config import NodeConfig, load_config
from finchain.node.runtime import tune_gc

log = logging.getLogger("finchain.node.cometbft.serve")

CRASH_ENV = "FINCHAIN_ABCI_CRASH_AT"


class MisbehaviorLog:
    """Append each reported misbehaviour to a JSON-lines file (replays may repeat a line)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, height: int, items: Sequence[Misbehavior]) -> None:
        with self.path.open("a") as out:
            for item in items:
                out.write(json.dumps({"block": height, **item.to_obj()}) + "\n")


async def serve(
    home: NodeHome,
    *,
    listen: str | None = None,
    keep_recent: int | None = None,
    api: bool = True,
) -> None:
    """Run the ABCI server of ``home`` (and its HTTP API) until a signal or consensus ends.

    Parameters:
        listen: ``unix://PATH`` or ``tcp://HOST:PORT`` (default: the home's socket).
        keep_recent: state versions to keep (default: ``[storage] keep_recent``).
        api: serve the HTTP API when the home has a ``config.toml``.
    """
    config = load_config(home.config) if home.config.exists() else NodeConfig()
    recent = config.storage.keep_recent if keep_recent is None else keep_recent
    app = FinchainApp(home.data, keep_recent=recent)
    service: CometNodeService | None = None
    api_server: ApiServer | None = None
    try:
        genesis = Genesis.load(home.genesis) if home.genesis.exists() else None
        crash = os.environ.get(CRASH_ENV)
        adapter = AbciAdapter(
            app, genesis=genesis, on_misbehavior=MisbehaviorLog(home.misbehavior_log)
        )
        server = AbciServer(adapter, crash_at=CrashPoint.parse(crash) if crash else None)
        if api and home.config.exists():
            settings = read_rpc_settings(home.cometbft)
            rpc = CometRpc(settings.url, timeout=config.api.request_timeout)
            service = CometNodeService(app, server, rpc, settings=settings, genesis=genesis)
            adapter.observer = service
            api_server = ApiServer(service, config, home.root)
        address = listen or home.proxy_app
        if address.startswith("unix://"):
            await server.start_unix(Path(address.removeprefix("unix://")))
        elif address.startswith("tcp://"):
            host, _, port = address.removeprefix("tcp://").rpartition(":")
            await server.start_tcp(host, int(port))
        else:
            raise ValueError(f"listen address must be unix://PATH or tcp://HOST:PORT: {address}")
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, server.stop)
        if api_server is not None:
            await asyncio.to_thread(api_server.start)
        tune_gc()
        await server.wait_stopped()
    finally:
        if service is not None:
            service.close()
        if api_server is not None:
            api_server.stop()
        app.close()
        log.info("ABCI server stopped; database closed")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a finchain node's ABCI socket.")
    parser.add_argument("--home", type=Path, required=True, help="the node home directory")
    parser.add_argument("--listen", help="unix://PATH or tcp://HOST:PORT (default: HOME/abci.sock)")
    parser.add_argument(
        "--keep-recent", type=int, help="state versions to keep (0: all; default: config.toml)"
    )
    parser.add_argument("--no-api", action="store_true", help="do not serve the HTTP API")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per RPC call otherwise
    try:
        asyncio.run(
            serve(
                NodeHome(args.home),
                listen=args.listen,
                keep_recent=args.keep_recent,
                api=not args.no_api,
            )
        )
    except (ToolchainError, FinchainError, ValueError, OSError, RuntimeError) as exc:
        log.error("cannot serve: %s", exc)
        sys.exit(1)


if __name__ == "__main__":
    main()
