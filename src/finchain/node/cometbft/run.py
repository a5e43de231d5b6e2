"""One institution's node: ``python -m finchain.node.cometbft.run --home DIR``.

Starts the ABCI server, waits for its socket, then starts CometBFT against it,
and supervises both: on SIGTERM or SIGINT it stops CometBFT first (so it stops
asking for blocks) and then the app; if either exits on its own, it stops the
other and exits non-zero, for the service manager (systemd, a container
runtime) to restart the pair. Restarting both is always safe: the app restarts
at its last commit and CometBFT replays what is missing.
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from finchain.engines.cometbft.home import NodeHome
from finchain.node.cometbft import processes

log = logging.getLogger("finchain.node.cometbft.run")

POLL_S = 0.2


def run_node(home: NodeHome, *, keep_recent: int | None = None) -> int:
    """Run both processes of ``home`` until a signal or until one of them exits."""
    stopping = False

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        log.info("%s received: stopping the node", signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    abci = processes.start_abci(home, keep_recent=keep_recent)
    children: dict[str, subprocess.Popen[bytes]] = {processes.ABCI: abci}
    try:
        children[processes.COMETBFT] = processes.start_cometbft(home)
        log.info("node running: logs in %s", home.logs)
        while not stopping:
            exited = [name for name, proc in children.items() if proc.poll() is not None]
            if exited:
                log.error("%s exited unexpectedly: see %s", exited[0], home.log_file(exited[0]))
                return 1
            time.sleep(POLL_S)
        return 0
    finally:
        for name in (processes.COMETBFT, processes.ABCI):
            if name in children:
                code = processes.stop_process(children[name])
                home.pid_file(name).unlink(missing_ok=True)
                log.info("%s stopped (exit code %s)", name, code)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a finchain node on CometBFT.")
    parser.add_argument("--home", type=Path, required=True, help="the node home directory")
    parser.add_argument(
        "--keep-recent", type=int, help="state versions to keep (0: all; default: config.toml)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        sys.exit(run_node(NodeHome(args.home), keep_recent=args.keep_recent))
    except (processes.ProcessError, OSError, ValueError) as exc:
        sys.exit(f"cannot run the node: {exc}")


if __name__ == "__main__":
    main()
