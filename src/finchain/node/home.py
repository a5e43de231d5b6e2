"""A node's home directory: where everything one node needs lives.

::

    HOME/config.toml        how this node runs
    HOME/genesis.json       what the chain agreed on
    HOME/keystore/          encrypted keys (validator key: "validator")
    HOME/data/              RocksDB: state, blocks, tx index

The validator key is encrypted like every other key. Its passphrase reaches
the node through the environment (``FINCHAIN_VALIDATOR_PASSPHRASE``) or a file
named by ``--passphrase-file`` (mode 0600, e.g. a secrets mount); ``finchain
dev`` writes such a file inside the home for a throw-away development chain.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from finchain.app import Genesis
from finchain.crypto import Keystore, PrivateKey
from finchain.errors import FinchainError
from finchain.node.config import NodeConfig, load_config
from finchain.node.errors import ErrHome, ErrValidatorKey

VALIDATOR_KEY = "validator"
PASSPHRASE_ENV = "FINCHAIN_VALIDATOR_PASSPHRASE"  # noqa: S105 - a variable's name, not a secret
DEV_PASSPHRASE_FILE = "validator.passphrase"  # noqa: S105 - a file name, not a secret


@dataclass(frozen=True)
class Home:
    path: Path

    @property
    def config_path(self) -> Path:
        return self.path / "config.toml"

    @property
    def genesis_path(self) -> Path:
        return self.path / "genesis.json"

    @property
    def keystore_dir(self) -> Path:
        return self.path / "keystore"

    @property
    def data_dir(self) -> Path:
        return self.path / "data"

    def keystore(self) -> Keystore:
        return Keystore(self.keystore_dir)

    def config(self) -> NodeConfig:
        return load_config(self.config_path)

    def genesis(self) -> Genesis:
        if not self.genesis_path.exists():
            raise ErrHome(
                f"{self.genesis_path} is missing: run `finchain init --home {self.path}` first"
            )
        return Genesis.load(self.genesis_path)

    def require(self) -> None:
        if not self.path.is_dir():
            raise ErrHome(
                f"home {self.path} does not exist: run `finchain init --home {self.path}`"
            )
        self.genesis()

    def validator_key(self, passphrase_file: Path | None = None) -> PrivateKey:
        passphrase = read_passphrase(self, passphrase_file)
        try:
            return self.keystore().load(VALIDATOR_KEY, passphrase)
        except FinchainError as exc:
            raise ErrValidatorKey(
                f"cannot unlock the validator key in {self.keystore_dir}: {exc.message}"
            ) from None


def read_passphrase(home: Home, passphrase_file: Path | None) -> str:
    """The validator passphrase: --passphrase-file, then the environment, then the dev file."""
    candidates = [passphrase_file] if passphrase_file else []
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    candidates.append(home.path / DEV_PASSPHRASE_FILE)
    for candidate in candidates:
        if candidate is not None and candidate.exists():
            mode = candidate.stat().st_mode & 0o777
            if mode & 0o077:
                raise ErrValidatorKey(
                    f"{candidate} is readable by others (mode {mode:o}); chmod 600 it"
                )
            return candidate.read_text().strip()
    raise ErrValidatorKey(
        f"no validator passphrase: set {PASSPHRASE_ENV} or pass --passphrase-file (mode 0600)"
    )
