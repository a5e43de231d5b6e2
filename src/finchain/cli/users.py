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

from finchain.cli.output import CliError, emit
from finchain.cli.txflags import NodeOptions, home_command
from finchain.node.auth import ROLES, KdfParams, LockoutLedger, User, UserStore, hash_password
from finchain.node.auth.lockout import USER, Entry
from finchain.node.auth.passwords import PasswordHash, check_policy
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


def _home(opts: NodeOptions) -> Path:
    path = opts.home.expanduser()
    if not path.is_dir():
        raise CliError(f"no node home at {path}: pass --home (the directory with config.toml)")
    return path


def _roles(text: str) -> list[str]:
    return [r.strip() for r in text.split(",") if r.strip()]


def _new_password(from_stdin: bool, scrypt_n: int | None) -> PasswordHash:
    """A new password, asked for (typed twice) or read from stdin's first line, checked
    against the policy and hashed at today's cost (``scrypt_n``: a test's override)."""
    try:
        params = KdfParams() if scrypt_n is None else KdfParams(n=scrypt_n)
    except ValueError as exc:
        raise CliError(f"--scrypt-n: {exc}") from None
    if from_stdin:
        lines = typer.get_text_stream("stdin").read().splitlines()
        secret = lines[0] if lines else ""
    else:
        secret = str(typer.prompt("password", hide_input=True, confirmation_prompt=True, err=True))
    check_policy(secret)
    return hash_password(secret, params)


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


@home_command(app, "add")
def add(
    name: NameArg,
    roles: RolesOpt = "read",
    password_stdin: PasswordStdinOpt = False,
    scrypt_n: ScryptNOpt = None,
    *,
    opts: NodeOptions,
) -> None:
    """Add a user (enabled) with a password and roles."""
    store = UserStore(_home(opts))
    check_username(name)
    checked = check_roles(_roles(roles))  # mistakes fail before the password prompt
    user = store.add(name, _new_password(password_stdin, scrypt_n), roles=checked)
    opts.emit(user_json(user))


@home_command(app, "list")
def list_users(*, opts: NodeOptions) -> None:
    """Every user with roles, enabled flag and lockout state (no password hashes)."""
    path = _home(opts)
    lockouts = LockoutLedger(path).entries()[USER]
    now = int(datetime.now(UTC).timestamp())
    rows = [user_json(u, lockouts, now) for _, u in sorted(UserStore(path).users().items())]
    if opts.json or rows:
        opts.emit(rows, title=f"users of {path}")
    else:
        emit(f"no users in {path}: add one with `finchain users add NAME`", as_json=False)


@home_command(app, "remove")
def remove(name: NameArg, *, opts: NodeOptions) -> None:
    """Remove a user; their sessions end at once."""
    path = _home(opts)
    UserStore(path).remove(name)
    LockoutLedger(path).unlock(username=name)
    opts.emit({"name": name, "removed": True})


@home_command(app, "passwd")
def passwd(
    name: NameArg,
    password_stdin: PasswordStdinOpt = False,
    scrypt_n: ScryptNOpt = None,
    *,
    opts: NodeOptions,
) -> None:
    """Set a new password (re-hashed at today's cost); the user's sessions end at once."""
    store = UserStore(_home(opts))
    store.require(name)  # an unknown name fails before the password is asked for
    user = store.update(name, password=_new_password(password_stdin, scrypt_n))
    opts.emit(user_json(user))


@home_command(app, "set")
def set_user(
    name: NameArg,
    roles: Annotated[
        str | None, typer.Option("--roles", help=f"replace the roles: {', '.join(ROLES)}")
    ] = None,
    enabled: Annotated[
        bool | None, typer.Option("--enable/--disable", help="allow or refuse this user's logins")
    ] = None,
    *,
    opts: NodeOptions,
) -> None:
    """Change a user's roles or enabled flag; the user's sessions end at once."""
    if roles is None and enabled is None:
        raise CliError("nothing to change: pass --roles, --enable or --disable")
    user = UserStore(_home(opts)).update(
        name, roles=None if roles is None else _roles(roles), enabled=enabled
    )
    opts.emit(user_json(user))


@home_command(app, "unlock")
def unlock(
    name: Annotated[str | None, typer.Argument(help="the username to unlock")] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="unlock a client address instead")
    ] = None,
    *,
    opts: NodeOptions,
) -> None:
    """Clear the failed-login count and lockout of a username (or --address) at once."""
    if (name is None) == (address is None):
        raise CliError("name either a username or --address ADDRESS")
    if name is not None:
        check_username(name)  # unknown names can be locked too: no existence check
    cleared = LockoutLedger(_home(opts)).unlock(username=name, address=address)
    target = {"username": name} if name is not None else {"address": address}
    opts.emit({**target, "cleared": cleared})
