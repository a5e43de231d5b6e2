"""The layout of one institution's node home: the finchain half and the CometBFT half.

::

    HOME/config.toml         how the finchain half runs: engine, HTTP API, storage
    HOME/genesis.json        the finchain genesis (also embedded in CometBFT's genesis)
    HOME/data/               the Application's RocksDB
    HOME/cometbft/           CometBFT's own home (config/, data/)
    HOME/abci.sock           the ABCI socket between the two
    HOME/logs/abci.log       the ABCI server's log; logs/cometbft.log CometBFT's
    HOME/run/*.pid           pids of the running processes (testnet up/down/status)
    HOME/misbehavior.jsonl   misbehaviour CometBFT reported, one JSON object a line
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

UNIX_PATH_MAX = 107  # sun_path holds 108 bytes including the final NUL


@dataclass(frozen=True, slots=True)
class NodeHome:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def genesis(self) -> Path:
        return self.root / "genesis.json"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def cometbft(self) -> Path:
        return self.root / "cometbft"

    @property
    def socket(self) -> Path:
        return self.root / "abci.sock"

    @property
    def proxy_app(self) -> str:
        """The ``--proxy_app`` address CometBFT dials (the unix socket)."""
        path = str(self.socket.absolute())
        if len(os.fsencode(path)) > UNIX_PATH_MAX:
            raise ValueError(
                f"the ABCI socket path {path} is longer than {UNIX_PATH_MAX} bytes: "
                "use a shorter home directory"
            )
        return f"unix://{path}"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def log_file(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def pid_file(self, name: str) -> Path:
        return self.root / "run" / f"{name}.pid"

    @property
    def misbehavior_log(self) -> Path:
        return self.root / "misbehavior.jsonl"
