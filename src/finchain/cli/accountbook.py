"""Turning what a user types (``alice``, ``FC94…``) into an account id.

Account ids are assigned by the chain and unrelated to keys, so the CLI needs
a way from a familiar name to an id. Resolution, first match wins:

1. a well-formed account id (``FC`` + 12 digits with valid check digits);
2. the address book ``HOME/accounts.json``, a flat JSON map ``{"name": "FC…"}``
   that ``account create``, ``account rotate``, ``account reset`` and
   ``account alias`` write;
3. a genesis account (``HOME/genesis.json``) controlled by the keystore key of
   that name, matched by public key: this is how the keys ``finchain init`` and
   ``finchain dev`` create (operator, alice, …) find their accounts.

Nothing here talks to a node; a wrong guess fails on-chain (bad signature).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from finchain.cli.output import CliError
from finchain.crypto import Keystore
from finchain.errors import FinchainError
from finchain.modules.accounts.types import is_account_id

BOOK_FILE = "accounts.json"


def book_path(home: Path) -> Path:
    return home.expanduser() / BOOK_FILE


def load_book(home: Path) -> dict[str, str]:
    path = book_path(home)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise CliError(f"address book {path} is not valid JSON: fix or remove it") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise CliError(f"address book {path} must be a JSON object of name -> account id")
    return data


def remember(home: Path, name: str, account: str) -> None:
    """Record ``name -> account`` (atomically: write a temporary file, then rename)."""
    if not is_account_id(account):
        raise CliError(f"{account!r} is not an account id")
    book = load_book(home)
    book[name] = account
    path = book_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(book, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def resolve(text: str, home: Path, keystore: Keystore | None) -> str:
    """The account id ``text`` names (rules in the module docstring), or a CliError."""
    if is_account_id(text):
        return text
    book = load_book(home)
    if text in book:
        return book[text]
    found = _genesis_account(text, home, keystore)
    if found is not None:
        return found
    raise CliError(
        f"unknown account {text!r}: pass an account id (FC…), or record one with "
        f"`finchain account alias {text} FC…` (address book {book_path(home)})"
    )


def _genesis_account(name: str, home: Path, keystore: Keystore | None) -> str | None:
    genesis_path = home.expanduser() / "genesis.json"
    if keystore is None or not genesis_path.is_file():
        return None
    try:
        public = keystore.info(name).public_key
    except FinchainError:
        return None
    try:
        genesis = json.loads(genesis_path.read_text(encoding="utf-8"))
        accounts: list[dict[str, Any]] = genesis["app_state"]["accounts"]["accounts"]
    except (ValueError, KeyError, TypeError):
        return None
    for account in accounts:
        keys = account.get("policy", {}).get("keys", [])
        if any(
            k.get("scheme") == public.scheme and k.get("public_key") == public.data.hex()
            for k in keys
        ):
            return str(account["id"])
    return None
