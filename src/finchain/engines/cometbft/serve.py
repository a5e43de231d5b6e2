"""The ABCI server process of one node: ``python -m finchain.engines.cometbft.serve --home DIR``.

Opens the node's Application and serves it on the home's unix socket (or a TCP
address) until SIGTERM or SIGINT, or until CometBFT's consensus connection
closes (see ``server``); then closes the database cleanly. CometBFT is started
separately (``run`` does both).
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
from finchain.app.application import Application
from finchain.engines.cometbft.adapter import AbciAdapter, Misbehavior
from finchain.engines.cometbft.home import NodeHome
from finchain.engines.cometbft.server import AbciServer, CrashPoint
from finchain.engines.cometbft.toolchain import ToolchainError
from finchain.errors import FinchainError

log = logging.getLogger("finchain.engines.cometbft.serve")

CRASH_ENV = "FINCHAIN_ABCI_CRASH_AT"


class MisbehaviorLog:
    """Append each reported misbehaviour to a JSON-lines file (replays may repeat a line)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, height: int, items: Sequence[Misbehavior]) -> None:
        with self.path.open("a") as out:
            for item in items:
                out.write(json.dumps({"block": height, **item.to_obj()}) + "\n")


async def serve(home: NodeHome, *, listen: str | None = None, keep_recent: int = 0) -> None:
    """Run the ABCI server of ``home`` until a signal or the consensus connection ends."""
    app = Application(home.data, keep_recent=keep_recent)
    try:
        genesis = Genesis.load(home.genesis) if home.genesis.exists() else None
        crash = os.environ.get(CRASH_ENV)
        adapter = AbciAdapter(
            app, genesis=genesis, on_misbehavior=MisbehaviorLog(home.misbehavior_log)
        )
        server = AbciServer(adapter, crash_at=CrashPoint.parse(crash) if crash else None)
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
        await server.wait_stopped()
    finally:
        app.close()
        log.info("ABCI server stopped; database closed")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a finchain node's ABCI socket.")
    parser.add_argument("--home", type=Path, required=True, help="the node home directory")
    parser.add_argument("--listen", help="unix://PATH or tcp://HOST:PORT (default: HOME/abci.sock)")
    parser.add_argument(
        "--keep-recent", type=int, default=0, help="state versions to keep (0: all)"
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(serve(NodeHome(args.home), listen=args.listen, keep_recent=args.keep_recent))
    except (ToolchainError, FinchainError, ValueError, OSError) as exc:
        log.error("cannot serve: %s", exc)
        sys.exit(1)


if __name__ == "__main__":
    main()
