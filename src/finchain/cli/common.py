"""Options and helpers shared by the key, account, asset, tx, query and verify commands.

Where keys live: ``--keystore DIR`` if given, else ``HOME/keystore`` (``--home``,
default ``~/.finchain``, the same home ``finchain init`` and ``finchain dev`` create),
so a node operator and a client user find their keys with the same flag.

Where a passphrase comes from, first match wins:

1. ``--passphrase-file FILE`` (first line; the file should be mode 0600);
2. the environment variable ``FINCHAIN_PASSPHRASE``;
3. ``HOME/validator.passphrase`` when it exists (written by ``finchain dev`` for
   its throw-away demo keys; never present on a real node);
4. a hidden prompt (confirmed when it protects a new key).

A passphrase never appears on the command line itself: argv is visible to
every user of the machine through ``ps``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.output import CliError
from finchain.crypto import Keystore
from finchain.node.home import DEV_PASSPHRASE_FILE

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


def read_secret_file(path: Path, what: str) -> str:
    if not path.is_file():
        raise CliError(f"{what} file {path} does not exist")
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0] if lines else ""


def passphrase(
    home: Path,
    passphrase_file: Path | None,
    *,
    prompt: str = "passphrase",
    confirm: bool = False,
) -> str:
    """The passphrase by the order in this module's docstring."""
    if passphrase_file is not None:
        text = read_secret_file(passphrase_file.expanduser(), "passphrase")
        if not text:
            raise CliError(f"passphrase file {passphrase_file} is empty")
        return text
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    dev_file = home.expanduser() / DEV_PASSPHRASE_FILE
    if dev_file.is_file():
        return read_secret_file(dev_file, "passphrase")
    return prompt_secret(prompt, confirm=confirm)


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
