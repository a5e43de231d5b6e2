"""A node's home directory: where everything one node needs lives.

::

    HOME/config.toml        how this node runs
    HOME/genesis.json       what the chain agreed on
    HOME/keystore/          encrypted keys (validator key: "validator")
    HOME/data/              RocksDB: state, blocks, tx index

The validator key is encrypted like every other key. Its passphrase reaches
the node from a file named by ``--passphrase-file`` (mode 0600 or 0400, e.g. a
secrets mount), else the environment (``FINCHAIN_VALIDATOR_PASSPHRASE``);
``finchain dev`` writes such a file inside the home for a throw-away
development chain.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from finchain.app import Genesis
from finchain.crypto import Keystore, PrivateKey, read_passphrase_file
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
    """The validator passphrase: an explicit --passphrase-file, else the environment,
    else the dev file in the home.

    An explicit file always wins, so a stale ``FINCHAIN_VALIDATOR_PASSPHRASE``
    in a service's environment cannot override the file the operator named.
    Files must be mode 0600 or stricter (crypto:21 says ``chmod 600 FILE``).
    No strength rule: this unlocks an existing key.
    """
    if passphrase_file is not None:
        return read_passphrase_file(passphrase_file.expanduser())
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    dev_file = home.path / DEV_PASSPHRASE_FILE
    if dev_file.exists():
        return read_passphrase_file(dev_file)
    raise ErrValidatorKey(
        f"no validator passphrase: pass --passphrase-file FILE (mode 0600) or set {PASSPHRASE_ENV}"
    )
