"""``finchain users``: the people and programs that may log in to a node's API.

Users live in ``HOME/users.json`` (mode 0600), beside ``config.toml``; they
matter once ``[api.auth] enabled = true``. Changes apply to a running node at
its next request, without a restart. A password is read from a hidden prompt
(typed twice) or, for scripts, from the first line of stdin with
``--password-stdin``; never from an argument, because every user of the
machine can read argv through ``ps``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.common import DEFAULT_HOME, HomeOpt, JsonOpt
from finchain.cli.output import CliError, emit, failures
from finchain.node.auth import ROLES, KdfParams, LockoutLedger, User, UserStore, hash_password
from finchain.node.auth.lockout import USER, Entry
from finchain.node.auth.passwords import check_policy
from finchain.node.auth.users import check_roles, check_username

app = typer.Typer(
    help="Users who may log in to this node's API (HOME/users.json).", no_args_is_help=True
)

NameArg = Annotated[str, typer.Argument(help="username: a-z first, then a-z 0-9 _ . - (3-64)")]
RolesOpt = Annotated[
    str, typer.Option("--roles", help=f"comma-separated roles: {', '.join(ROLES)}")
]
PasswordStdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
]
ScryptNOpt = Annotated[
    int | None,
    typer.Option("--scrypt-n", hidden=True, help="scrypt cost override, for tests only"),
]


def _home(home: Path) -> Path:
    path = home.expanduser()
    if not path.is_dir():
        raise CliError(f"no node home at {path}: pass --home (the directory with config.toml)")
    return path


def _roles(text: str) -> list[str]:
    return [r.strip() for r in text.split(",") if r.strip()]


def _password(from_stdin: bool, *, confirm: bool) -> str:
    if from_stdin:
        lines = typer.get_text_stream("stdin").read().splitlines()
        secret = lines[0] if lines else ""
    else:
        secret = str(
            typer.prompt("password", hide_input=True, confirmation_prompt=confirm, err=True)
        )
    check_policy(secret)
    return secret


def _kdf(scrypt_n: int | None) -> KdfParams:
    try:
        return KdfParams() if scrypt_n is None else KdfParams(n=scrypt_n)
    except ValueError as exc:
        raise CliError(f"--scrypt-n: {exc}") from None


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_json(user: User, lockouts: dict[str, Entry] | None = None, now: int = 0) -> dict[str, Any]:
    """What the CLI shows of a user: never the password hash."""
    row: dict[str, Any] = {"name": user.name, "roles": list(user.roles), "enabled": user.enabled}
    if lockouts is not None:
        entry = lockouts.get(user.name)
        locked = entry is not None and entry.locked_until > now
        row["locked_until"] = _iso(entry.locked_until) if entry is not None and locked else None
        row["failures"] = entry.failures if entry is not None and not locked else 0
    return row


@app.command("add")
def add(
    name: NameArg,
    roles: RolesOpt = "read",
    password_stdin: PasswordStdinOpt = False,
    home: HomeOpt = DEFAULT_HOME,
    json_out: JsonOpt = False,
    scrypt_n: ScryptNOpt = None,
) -> None:
    """Add a user (enabled) with a password and roles."""
    with failures():
        store = UserStore(_home(home))
        check_username(name)
        checked = check_roles(_roles(roles))  # mistakes fail before the password prompt
        params = _kdf(scrypt_n)
        secret = _password(password_stdin, confirm=True)
        user = store.add(name, hash_password(secret, params), roles=checked)
        emit(user_json(user), as_json=json_out)


@app.command("list")
def list_users(home: HomeOpt = DEFAULT_HOME, json_out: JsonOpt = False) -> None:
    """Every user with roles, enabled flag and lockout state (no password hashes)."""
    with failures():
        path = _home(home)
        lockouts = LockoutLedger(path).entries()[USER]
        now = int(datetime.now(UTC).timestamp())
        rows = [user_json(u, lockouts, now) for _, u in sorted(UserStore(path).users().items())]
        if json_out or rows:
            emit(rows, as_json=json_out, title=f"users of {path}")
        else:
            emit(f"no users in {path}: add one with `finchain users add NAME`", as_json=False)


@app.command("remove")
def remove(name: NameArg, home: HomeOpt = DEFAULT_HOME, json_out: JsonOpt = False) -> None:
    """Remove a user; their sessions end at once."""
    with failures():
        path = _home(home)
        UserStore(path).remove(name)
        LockoutLedger(path).unlock(username=name)
        emit({"name": name, "removed": True}, as_json=json_out)


@app.command("passwd")
def passwd(
    name: NameArg,
    password_stdin: PasswordStdinOpt = False,
    home: HomeOpt = DEFAULT_HOME,
    json_out: JsonOpt = False,
    scrypt_n: ScryptNOpt = None,
) -> None:
    """Set a new password (re-hashed at today's cost); the user's sessions end at once."""
    with failures():
        store = UserStore(_home(home))
        store.require(name)  # an unknown name fails before the password is asked for
        secret = _password(password_stdin, confirm=True)
        user = store.update(name, password=hash_password(secret, _kdf(scrypt_n)))
        emit(user_json(user), as_json=json_out)


@app.command("set")
def set_user(
    name: NameArg,
    roles: Annotated[
        str | None, typer.Option("--roles", help=f"replace the roles: {', '.join(ROLES)}")
    ] = None,
    enabled: Annotated[
        bool | None, typer.Option("--enable/--disable", help="allow or refuse this user's logins")
    ] = None,
    home: HomeOpt = DEFAULT_HOME,
    json_out: JsonOpt = False,
) -> None:
    """Change a user's roles or enabled flag; the user's sessions end at once."""
    with failures():
        if roles is None and enabled is None:
            raise CliError("nothing to change: pass --roles, --enable or --disable")
        user = UserStore(_home(home)).update(
            name, roles=None if roles is None else _roles(roles), enabled=enabled
        )
        emit(user_json(user), as_json=json_out)


@app.command("unlock")
def unlock(
    name: Annotated[str | None, typer.Argument(help="the username to unlock")] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="unlock a client address instead")
    ] = None,
    home: HomeOpt = DEFAULT_HOME,
    json_out: JsonOpt = False,
) -> None:
    """Clear the failed-login count and lockout of a username (or --address) at once."""
    with failures():
        if (name is None) == (address is None):
            raise CliError("name either a username or --address ADDRESS")
        if name is not None:
            check_username(name)  # unknown names can be locked too: no existence check
        cleared = LockoutLedger(_home(home)).unlock(username=name, address=address)
        target = {"username": name} if name is not None else {"address": address}
        emit({**target, "cleared": cleared}, as_json=json_out)
