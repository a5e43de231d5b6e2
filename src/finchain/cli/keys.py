"""``finchain keys``: create, list, show, import and export encrypted keys.

Secrets leave the keystore only encrypted: ``export`` writes a keystore
document re-encrypted under a passphrase chosen for the export, which
``import`` (here or on another machine) reads back. The one exception is
``export --unsafe-raw``, for migrating to a tool that cannot read keystore
documents; it prints the raw secret with a warning on stderr, because a raw
key in a terminal scroll-back, a shell history or a CI log is a stolen key.

Every passphrase that protects a new file (``new``, ``import``, the export
passphrase of ``export``) must pass the strength rule of
``finchain.crypto.passphrase`` (crypto:20) unless ``--insecure-passphrase``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.common import (
    InsecurePassphraseOpt,
    checked_new_passphrase,
    new_passphrase,
    prompt_secret,
    secret_file,
)
from finchain.cli.output import CliError, emit, stderr
from finchain.cli.txflags import KeyOptions, NodeOptions, home_command, key_command
from finchain.crypto import SCHEMES, KeyInfo, Keystore

NEW_PASSPHRASE_ENV = "FINCHAIN_NEW_PASSPHRASE"  # noqa: S105 - a variable name
_RAW_SECRET = re.compile(r"(?:0x)?([0-9a-fA-F]{64})")

app = typer.Typer(
    help="Encrypted signing keys (HOME/keystore or --keystore).", no_args_is_help=True
)

SchemeOpt = Annotated[
    str, typer.Option("--scheme", help=f"signature scheme: {', '.join(SCHEMES)}", show_default=True)
]
SuiteOpt = Annotated[
    str | None,
    typer.Option(
        "--suite",
        help="cipher protecting the file: gm (SM4-GCM) or intl (AES-256-GCM); "
        "default gm for sm2 keys, intl otherwise",
    ),
]
NameArg = Annotated[str, typer.Argument(help="key name (letters, digits, _ . -)")]


def key_json(info: KeyInfo, directory: Path) -> dict[str, Any]:
    return {
        "name": info.name,
        "scheme": info.scheme,
        "public_key": info.public_key.data.hex(),
        "file": str(directory / f"{info.name}.json"),
    }


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise CliError(f"--scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")


def _suite_for(scheme: str, suite: str | None) -> str:
    if suite is None:
        return "gm" if scheme == "sm2" else "intl"
    if suite not in ("gm", "intl"):
        raise CliError(f"--suite must be gm or intl, not {suite!r}")
    return suite


@key_command(app, "new")
def new(
    name: NameArg,
    scheme: SchemeOpt = "sm2",
    suite: SuiteOpt = None,
    insecure_passphrase: InsecurePassphraseOpt = False,
    *,
    opts: KeyOptions,
) -> None:
    """Generate a key and store it encrypted under a passphrase (12+ characters, not a
    common one; docs/cli.md "Passphrases")."""
    _check_scheme(scheme)
    cipher = _suite_for(scheme, suite)
    store = opts.store(must_exist=False)
    secret = new_passphrase(
        opts.home, opts.passphrase_file, insecure=insecure_passphrase, what=f"key {name!r}"
    )
    info = store.create(name, scheme, secret, suite=cipher)
    opts.emit(key_json(info, store.directory))


@home_command(app, "list", keystore=True)
def list_keys(*, opts: NodeOptions) -> None:
    """Every key in the keystore (public parts only; no passphrase needed)."""
    store = opts.store()
    rows = [key_json(info, store.directory) for info in store.list()]
    if opts.json or rows:
        opts.emit(rows, title=f"keys in {store.directory}")
    else:
        emit(f"no keys in {store.directory}", as_json=False)


@home_command(app, "show", keystore=True)
def show(name: NameArg, *, opts: NodeOptions) -> None:
    """One key's scheme and public key (no passphrase needed)."""
    store = opts.store()
    opts.emit(key_json(store.info(name), store.directory))


@key_command(app, "import")
def import_key(
    name: NameArg,
    source: Annotated[
        Path,
        typer.Argument(
            help="a keystore document (from `keys export`) or a file holding a raw "
            "64-hex-digit secret; - reads stdin"
        ),
    ],
    scheme: Annotated[
        str | None, typer.Option("--scheme", help="scheme of a raw secret (required for one)")
    ] = None,
    suite: SuiteOpt = None,
    insecure_passphrase: InsecurePassphraseOpt = False,
    *,
    opts: KeyOptions,
) -> None:
    """Store a key under NAME, from an exported keystore document or a raw secret.

    A document is opened with its export passphrase and stored under that same
    passphrase. A raw secret is encrypted under a new passphrase (confirmed).
    Either passphrase must pass the strength rule unless --insecure-passphrase.
    """
    text = _read_source(source)
    store = opts.store(must_exist=False)
    if text.lstrip().startswith("{"):
        if scheme is not None:
            raise CliError("--scheme is only for raw secrets: a document names its own scheme")
        secret = opts.passphrase("passphrase of the exported key")
        checked_new_passphrase(secret, insecure=insecure_passphrase, what=f"key {name!r}")
        info = store.import_encrypted(name, text, secret)
    else:
        info = _import_raw(store, name, text, scheme, suite, opts, insecure_passphrase)
    opts.emit(key_json(info, store.directory))


def _read_source(source: Path) -> str:
    if str(source) == "-":
        return typer.get_text_stream("stdin").read()
    try:
        return source.expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{source} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {source}: {exc}") from None


def _import_raw(
    store: Keystore,
    name: str,
    text: str,
    scheme: str | None,
    suite: str | None,
    opts: KeyOptions,
    insecure: bool,
) -> KeyInfo:
    match = _RAW_SECRET.fullmatch(text.strip())
    if match is None:
        raise CliError(
            "the input is neither a keystore document (JSON) nor a raw secret "
            "(64 hex digits, optionally prefixed 0x)"
        )
    if scheme is None:
        raise CliError(f"a raw secret needs --scheme ({', '.join(SCHEMES)})")
    _check_scheme(scheme)
    secret = new_passphrase(
        opts.home,
        opts.passphrase_file,
        insecure=insecure,
        what=f"key {name!r}",
        prompt="passphrase for the imported key",
    )
    raw = bytes.fromhex(match.group(1))
    return store.import_key(name, scheme, raw, secret, suite=_suite_for(scheme, suite))


@key_command(app, "export")
def export(
    name: NameArg,
    out: Annotated[
        Path | None, typer.Option("--out", help="write here (mode 0600) instead of stdout")
    ] = None,
    new_passphrase_file: Annotated[
        Path | None,
        typer.Option(
            "--new-passphrase-file",
            help=f"file with the export passphrase (or ${NEW_PASSPHRASE_ENV}; else a prompt)",
        ),
    ] = None,
    unsafe_raw: Annotated[
        bool,
        typer.Option("--unsafe-raw", help="print the UNENCRYPTED secret instead (dangerous)"),
    ] = False,
    insecure_passphrase: InsecurePassphraseOpt = False,
    *,
    opts: KeyOptions,
) -> None:
    """Write key NAME as a keystore document re-encrypted under an export passphrase
    (the strength rule applies to it, unless --insecure-passphrase)."""
    store = opts.store()
    current = opts.passphrase(f"passphrase of key {name}")
    if unsafe_raw:
        _export_raw(store, name, current, out, opts.json)
        return
    store.load(name, current)  # a wrong passphrase fails before asking for a new one
    if new_passphrase_file is not None:
        new_secret = secret_file(new_passphrase_file, "export passphrase")
    elif os.environ.get(NEW_PASSPHRASE_ENV):
        new_secret = os.environ[NEW_PASSPHRASE_ENV]
    else:
        new_secret = prompt_secret("passphrase for the exported copy", confirm=True)
    checked_new_passphrase(
        new_secret, insecure=insecure_passphrase, what=f"the exported copy of {name!r}"
    )
    document = store.export_encrypted(name, current, new_secret)
    if out is None:
        typer.echo(document, nl=False)
        return
    _write_private(out, document)
    opts.emit({"name": name, "file": str(out), "encrypted": True})


def _export_raw(store: Keystore, name: str, current: str, out: Path | None, json_out: bool) -> None:
    key = store.load(name, current)
    stderr.print(
        "[bold red]WARNING:[/] printing the UNENCRYPTED private key of "
        f"{name!r}. Anyone who sees it controls every account it signs for. Do not paste "
        "it into chats, tickets or logs; prefer `finchain keys export` without --unsafe-raw.",
        soft_wrap=True,
    )
    record = {
        "name": name,
        "scheme": key.scheme,
        "public_key": key.public_key().data.hex(),
        "secret": key.secret_bytes().hex(),
    }
    if out is not None:
        _write_private(out, json.dumps(record, indent=2) + "\n")
        emit({"name": name, "file": str(out), "encrypted": False}, as_json=json_out)
    elif json_out:
        emit(record, as_json=True)
    else:
        typer.echo(record["secret"])


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` 0600 and never overwrite: an export must not clobber another key file."""
    path = path.expanduser()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CliError(f"{path} already exists; choose another --out") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
