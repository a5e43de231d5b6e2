"""Funded demo accounts for a local testnet, so the SDK, the CLI and ``finchain bench`` work on it.

``finchain testnet init`` makes accounts ``operator``, ``alice``, ``bob`` and
``carol`` (genesis accounts 1..4), each holding 100,000,000.00 of the demo
asset ``CNY`` issued by ``operator``. Their keys go to ``DIR/keystore``,
encrypted under a random passphrase kept in ``DIR/validator.passphrase``
(mode 0600), and their ids to the address book ``DIR/accounts.json``: where
the CLI looks when given ``--home DIR``. Like ``finchain dev``'s, these keys
guard nothing: for local networks only.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finchain.client.builders import key_of, policy
from finchain.crypto import Keystore, PrivateKey, generate_private_key, get_suite
from finchain.modules.accounts.module import genesis_account
from finchain.modules.accounts.types import account_id
from finchain.node.home import DEV_PASSPHRASE_FILE

DEMO_NAMES = ("operator", "alice", "bob", "carol")
DEMO_ASSET = "CNY"
DEMO_AMOUNT = 100_000_000_00  # 100,000,000.00 with 2 decimals
KEYSTORE_SCRYPT_N = 2**12  # throw-away keys: cheap to unlock
ADDRESS_BOOK = "accounts.json"  # the CLI's name -> account id map (cli/accountbook.py)


@dataclass(frozen=True)
class DemoAccounts:
    """Keys and genesis entries of the demo accounts, before anything is written."""

    suite: str
    keys: dict[str, PrivateKey]

    @classmethod
    def generate(cls, suite: str, names: Sequence[str] = DEMO_NAMES) -> DemoAccounts:
        scheme = get_suite(suite).default_scheme
        return cls(suite, {name: generate_private_key(scheme) for name in names})

    @property
    def ids(self) -> dict[str, str]:
        """Account name -> account id (genesis account numbers 1, 2, … in name order)."""
        return {name: account_id(n) for n, name in enumerate(self.keys, start=1)}

    def app_state(self) -> dict[str, Any]:
        """The genesis ``app_state``: the accounts, the demo asset, everyone funded,
        and every demo account a governance member (weight 1), so a testnet can vote."""
        ids = self.ids
        return {
            "governance": {
                "members": [
                    {"account": ids[name], "name": name, "weight": 1} for name in self.keys
                ],
                "params": {"min_validators": 1},
            },
            "accounts": {
                "accounts": [
                    genesis_account(n, policy([key_of("k1", key)]))
                    for n, key in enumerate(self.keys.values(), start=1)
                ]
            },
            "bank": {
                "assets": [
                    {
                        "symbol": DEMO_ASSET,
                        "name": "Demo yuan",
                        "decimals": 2,
                        "max_supply": "0",
                        "issuer": ids[next(iter(self.keys))],
                        "minters": [],
                        "burners": [],
                    }
                ],
                "balances": [
                    {"account": ids[name], "asset": DEMO_ASSET, "amount": str(DEMO_AMOUNT)}
                    for name in self.keys
                ],
            },
        }

    def save(self, directory: Path) -> Path:
        """Write the keystore, its passphrase file and the address book; returns the keystore."""
        passphrase = secrets.token_urlsafe(24)
        fd = os.open(directory / DEV_PASSPHRASE_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(passphrase)
        keystore = Keystore(directory / "keystore", scrypt_n=KEYSTORE_SCRYPT_N)
        for name, key in self.keys.items():
            keystore.import_key(
                name, key.public_key().scheme, key.secret_bytes(), passphrase, suite=self.suite
            )
        book = json.dumps(self.ids, indent=2, sort_keys=True) + "\n"
        (directory / ADDRESS_BOOK).write_text(book, encoding="utf-8")
        return keystore.directory
