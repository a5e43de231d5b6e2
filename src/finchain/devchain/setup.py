"""Creating a node home: keys, genesis, configuration (``finchain init`` and ``finchain dev``)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from finchain.app import ChainParams, Genesis
from finchain.client.builders import key_of, policy
from finchain.crypto import Keystore, get_suite
from finchain.engines.solo.node import validator_entry
from finchain.modules.accounts.module import genesis_account
from finchain.modules.accounts.types import account_id
from finchain.node.config import DEFAULT_CONFIG
from finchain.node.errors import ErrHome
from finchain.node.home import DEV_PASSPHRASE_FILE, VALIDATOR_KEY, Home


@dataclass(frozen=True)
class DemoAsset:
    symbol: str
    name: str
    decimals: int
    amount_each: int


@dataclass(frozen=True)
class HomeSpec:
    chain_id: str
    suite: str
    passphrase: str
    account_names: tuple[str, ...] = ("operator",)
    assets: tuple[DemoAsset, ...] = ()
    params: ChainParams = field(default_factory=ChainParams)
    config_text: str = DEFAULT_CONFIG
    scrypt_n: int = 2**15
    # The first account is the only governance member: these say how fast its
    # proposals pass (a dev chain wants seconds, not the default ~110 blocks).
    governance_params: dict[str, int | str] = field(default_factory=lambda: {"min_validators": 1})


def init_home(home: Home, spec: HomeSpec) -> dict[str, str]:
    """Write keys, genesis and config into an empty ``home``; return account name -> id.

    Account ``i`` of ``spec.account_names`` becomes genesis account number ``i + 1``,
    controlled by the keystore key of the same name; the first account issues the
    assets, is the one governance member, and every account receives
    ``amount_each`` of each asset.
    """
    if home.genesis_path.exists() or (home.data_dir.exists() and any(home.data_dir.iterdir())):
        raise ErrHome(f"{home.path} already holds a chain; pick an empty directory or remove it")
    home.path.mkdir(parents=True, exist_ok=True)
    os.chmod(home.path, 0o700)
    scheme = get_suite(spec.suite).default_scheme
    keystore = Keystore(home.keystore_dir, scrypt_n=spec.scrypt_n)
    keystore.create(VALIDATOR_KEY, scheme, spec.passphrase, suite=spec.suite)
    accounts = []
    ids: dict[str, str] = {}
    for number, name in enumerate(spec.account_names, start=1):
        keystore.create(name, scheme, spec.passphrase, suite=spec.suite)
        key = keystore.load(name, spec.passphrase)
        accounts.append(genesis_account(number, policy([key_of("k1", key)])))
        ids[name] = account_id(number)
    issuer = account_id(1)
    genesis = Genesis(
        chain_id=spec.chain_id,
        suite=spec.suite,
        genesis_time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        params=spec.params,
        validators=[validator_entry(keystore.load(VALIDATOR_KEY, spec.passphrase))],
        app_state={
            "accounts": {"accounts": accounts},
            "governance": {
                "members": [{"account": issuer, "name": spec.account_names[0], "weight": 1}],
                "params": dict(spec.governance_params),
            },
            "bank": {
                "assets": [
                    {
                        "symbol": a.symbol,
                        "name": a.name,
                        "decimals": a.decimals,
                        "max_supply": "0",
                        "issuer": issuer,
                        "minters": [],
                        "burners": [],
                    }
                    for a in spec.assets
                ],
                "balances": [
                    {"account": ids[name], "asset": a.symbol, "amount": str(a.amount_each)}
                    for a in spec.assets
                    for name in spec.account_names
                ],
            },
        },
    )
    genesis.save(home.genesis_path)
    home.config_path.write_text(spec.config_text)
    return ids


def write_dev_passphrase(home: Home) -> str:
    """A random passphrase in a 0600 file inside the home: for throw-away dev chains only."""
    passphrase = secrets.token_urlsafe(24)
    path = home.path / DEV_PASSPHRASE_FILE
    home.path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(passphrase)
    return passphrase


def dev_home_exists(path: Path) -> bool:
    return (path / "genesis.json").exists()
