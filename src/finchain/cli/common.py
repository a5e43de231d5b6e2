"""Options and helpers shared by the key, account, asset, tx, query and verify commands.

Where keys live: ``--keystore DIR`` if given, else ``HOME/keystore`` (``--home``,
default ``~/.finchain``, the same home ``finchain init`` and ``finchain dev`` create),
so a node operator and a client user find their keys with the same flag.

Where a passphrase comes from, first match wins:

1. ``--passphrase-file FILE`` (first line; the file must be mode 0600 or 0400,
   anything the group or others may read is refused: crypto:21);
2. the environment variable ``FINCHAIN_PASSPHRASE``;
3. ``HOME/validator.passphrase`` when it exists (written by ``finchain dev`` for
   its throw-away demo keys; never present on a real node; also mode 0600);
4. a hidden prompt (confirmed when it protects a new key).

A passphrase never appears on the command line itself: argv is visible to
every user of the machine through ``ps``. A passphrase that protects a new
key must pass ``finchain.crypto.passphrase``'s strength rule (crypto:20)
unless the command was given ``--insecure-passphrase``; unlocking an existing
key never checks strength.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.output import CliError, stderr
from finchain.client import Client
from finchain.crypto import HASH_NAMES, Keystore, check_new_passphrase, read_passphrase_file
from finchain.crypto.passphrase import is_strong
from finchain.modules.evidence.types import HASH_BYTES
from finchain.modules.identity.types import time_ns_of
from finchain.node.home import DEV_PASSPHRASE_FILE
from finchain.offchain.anchoring import hash_file

PASSPHRASE_ENV = "FINCHAIN_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
DEFAULT_HOME = Path("~/.finchain")
DEFAULT_URL = "http://127.0.0.1:8640"

HomeOpt = Annotated[
    Path,
    typer.Option(
        "--home",
        help="home directory (keys in HOME/keystore)",
        envvar="FINCHAIN_HOME",
        show_default=True,
    ),
]
KeystoreOpt = Annotated[
    Path | None, typer.Option("--keystore", help="key directory (overrides HOME/keystore)")
]
PassphraseFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file", help=f"file holding the key passphrase (or ${PASSPHRASE_ENV})"
    ),
]
InsecurePassphraseOpt = Annotated[
    bool,
    typer.Option(
        "--insecure-passphrase",
        help="accept a weak passphrase for a new key: throw-away development keys only",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable JSON output")]
UrlOpt = Annotated[
    str, typer.Option("--url", help="node API address", envvar="FINCHAIN_URL", show_default=True)
]


def keystore_dir(home: Path, keystore: Path | None) -> Path:
    return (keystore if keystore is not None else home / "keystore").expanduser()


def open_keystore(home: Path, keystore: Path | None, *, must_exist: bool = True) -> Keystore:
    """The keystore to use; refuses to silently create an empty one for a read command."""
    directory = keystore_dir(home, keystore)
    if must_exist and not directory.is_dir():
        raise CliError(
            f"no keystore at {directory}: create a key with `finchain keys new NAME`, "
            "or point --home / --keystore at an existing one"
        )
    return Keystore(directory)


def passphrase(
    home: Path,
    passphrase_file: Path | None,
    *,
    prompt: str = "passphrase",
    confirm: bool = False,
) -> str:
    """The passphrase by the order in this module's docstring (no strength rule: unlocking)."""
    if passphrase_file is not None:
        return secret_file(passphrase_file, "passphrase")
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    dev_file = home.expanduser() / DEV_PASSPHRASE_FILE
    if dev_file.is_file():
        return read_passphrase_file(dev_file)
    return prompt_secret(prompt, confirm=confirm)


def secret_file(path: Path, what: str) -> str:
    """The first line of a passphrase file given by an option: missing is a usage error,
    a file others may read or an empty one is refused with crypto:21."""
    path = path.expanduser()
    if not path.exists():
        raise CliError(f"{what} file {path} does not exist")
    return read_passphrase_file(path)


def new_passphrase(
    home: Path,
    passphrase_file: Path | None,
    *,
    insecure: bool,
    what: str,
    prompt: str = "passphrase for the new key",
) -> str:
    """A passphrase that will protect a new key file: the strength rule unless ``insecure``.

    ``what`` names the protected thing in the warning printed when ``insecure``
    let a weak passphrase through (``key alice``).
    """
    secret = passphrase(home, passphrase_file, prompt=prompt, confirm=True)
    return checked_new_passphrase(secret, insecure=insecure, what=what)


def checked_new_passphrase(secret: str, *, insecure: bool, what: str) -> str:
    """``secret`` if it passes the strength rule; with ``insecure``, a warning instead."""
    if not secret:
        raise CliError("an empty passphrase is not allowed")
    if not insecure:
        check_new_passphrase(secret)
    elif not is_strong(secret):
        stderr.print(
            f"warning: {what} is protected by a weak passphrase (--insecure-passphrase): "
            "for throw-away development keys only",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
    return secret


def prompt_secret(prompt: str, *, confirm: bool) -> str:
    value = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)
    text = str(value)
    if not text:
        raise CliError("an empty passphrase is not allowed")
    return text


def load_json_file(path: Path, what: str) -> Any:
    """A JSON document from ``path`` (``-`` for stdin) or a CliError naming the problem."""
    try:
        text = typer.get_text_stream("stdin").read() if str(path) == "-" else path.read_text()
    except FileNotFoundError:
        raise CliError(f"{what} file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {what} file {path}: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CliError(f"{what} file {path} is not valid JSON: {exc}") from None


def write_json_file(path: Path, data: Any) -> None:
    """Write ``data`` as indented, key-sorted JSON (creating parent directories)."""
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def time_option(text: str, option: str) -> int:
    """A time option's nanoseconds since the epoch: an RFC 3339 time with a zone, or digits
    (nanoseconds). One parser, so every command takes times the same way."""
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None or moment.year < 1970:
        raise CliError(
            f"{option} {text[:64]!r} must be an RFC 3339 time with a zone after 1970, like "
            "2027-01-04T00:00:00Z, or nanoseconds since the epoch"
        )
    return time_ns_of(moment)


def hash_alg_option(client: Client, alg: str | None) -> str:
    """``--alg``, or the hash of the chain the client reaches (what its records are keyed by)."""
    chosen = alg or client.status().hash_name
    if chosen not in HASH_NAMES:
        raise CliError(f"--alg must be one of {', '.join(HASH_NAMES)}, got {chosen!r}")
    return chosen


def hash_hex_option(text: str, option: str) -> bytes:
    """A 32-byte hash given on the command line as 64 hex digits."""
    lowered = text.lower()
    if len(lowered) != 2 * HASH_BYTES or any(c not in "0123456789abcdef" for c in lowered):
        raise CliError(f"{option} must be {2 * HASH_BYTES} hex digits (a {HASH_BYTES}-byte hash)")
    return bytes.fromhex(lowered)


def document_digest(file: Path | None, hex_hash: str | None, alg: str) -> bytes:
    """A document's digest under ``alg``: hashed here from FILE, or given as ``--hash`` hex."""
    if (file is None) == (hex_hash is None):
        raise CliError("name the document: give FILE or --hash HEX (one of them)")
    if file is not None:
        return hash_file(file, alg)
    assert hex_hash is not None
    return hash_hex_option(hex_hash, "--hash")
