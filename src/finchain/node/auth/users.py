"""The node's users: ``HOME/users.json``, changed by ``finchain users``, read by the node.

::

    {"version": 1, "users": {"alice": {
        "password": {"kdf": "scrypt", "n": 131072, "r": 8, "p": 1, "salt": "…", "hash": "…"},
        "roles": ["read", "submit"], "enabled": true, "generation": 3}}}

``generation`` grows whenever the password, roles or enabled flag change, and
sessions remember the generation they were issued under: changing a password
or disabling a user ends every session of that user at once, on a running node.
The node re-reads the file when it changes on disk (checked by ``stat``), so
the CLI needs no running node and no restart.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from finchain.errors import FinchainError
from finchain.node.auth.errors import (
    ErrAuthStore,
    ErrInvalidRole,
    ErrInvalidUsername,
    ErrUserExists,
    ErrUserNotFound,
)
from finchain.node.auth.files import LOCK_FILE, exclusive, read_json, write_json
from finchain.node.auth.passwords import PasswordHash

USERS_FILE = "users.json"
VERSION = 1
#: ``read``: every GET endpoint and the event stream; ``submit``: posting transactions.
ROLES = ("read", "submit")
MAX_USERS = 10_000
_USERNAME = re.compile(r"[a-z][a-z0-9_.-]{2,63}")


@dataclass(frozen=True, slots=True)
class User:
    name: str
    password: PasswordHash
    roles: tuple[str, ...]
    enabled: bool = True
    generation: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "password": self.password.to_json(),
            "roles": list(self.roles),
            "enabled": self.enabled,
            "generation": self.generation,
        }


def check_username(name: str) -> str:
    """``name`` if it is a valid username, else ErrInvalidUsername saying what is allowed."""
    if not isinstance(name, str) or not _USERNAME.fullmatch(name):
        raise ErrInvalidUsername(
            "a username is 3 to 64 characters: a lower-case letter, then lower-case letters, "
            "digits, '_', '.' or '-'"
        )
    return name


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """The roles in canonical order; ErrInvalidRole for an unknown or missing one."""
    given = set(roles)
    unknown = sorted(given - set(ROLES))
    if unknown:
        raise ErrInvalidRole(f"unknown role {unknown[0]!r}; roles are {', '.join(ROLES)}")
    if not given:
        raise ErrInvalidRole(f"a user needs at least one role of {', '.join(ROLES)}")
    return tuple(r for r in ROLES if r in given)


class UserStore:
    """Reads and changes ``users.json`` in a node home.

    Example::

        store = UserStore(home.path)
        store.add("alice", hash_password(secret, KdfParams()), roles=("read",))
        store.get("alice").roles          # ("read",)

    Parameters:
        directory: the node home (the file is ``directory/users.json``).
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / USERS_FILE
        self.lock_path = directory / LOCK_FILE
        self._cache_lock = threading.Lock()
        self._cache_key: tuple[int, int, int] | None = None
        self._cache: dict[str, User] = {}

    # -- reading (the node, on every authenticated request: cached by stat) -------------------

    def users(self) -> dict[str, User]:
        """Every user by name; re-parsed only when the file changed on disk."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return {}
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._cache_lock:
            if key != self._cache_key:
                self._cache = self._parse(read_json(self.path))
                self._cache_key = key
            return self._cache

    def get(self, name: str) -> User | None:
        return self.users().get(name)

    def require(self, name: str) -> User:
        """The user ``name``; ErrUserNotFound (naming the file) if there is none."""
        return self._require(self.users(), name)

    # -- changing (the CLI) ----------------------------------------------------------------------

    def add(self, name: str, password: PasswordHash, *, roles: Iterable[str]) -> User:
        user = User(check_username(name), password, check_roles(roles))
        with exclusive(self.lock_path):
            users = self._load()
            if name in users:
                raise ErrUserExists(f"user {name!r} already exists: use `finchain users passwd`")
            if len(users) >= MAX_USERS:
                raise ErrAuthStore(f"{self.path} already holds {MAX_USERS} users")
            users[name] = user
            self._save(users)
        return user

    def update(
        self,
        name: str,
        *,
        password: PasswordHash | None = None,
        roles: Iterable[str] | None = None,
        enabled: bool | None = None,
    ) -> User:
        """Change what is given and bump the generation, which ends the user's sessions."""
        with exclusive(self.lock_path):
            users = self._load()
            old = self._require(users, name)
            new = replace(
                old,
                password=password or old.password,
                roles=old.roles if roles is None else check_roles(roles),
                enabled=old.enabled if enabled is None else enabled,
                generation=old.generation + 1,
            )
            users[name] = new
            self._save(users)
        return new

    def remove(self, name: str) -> None:
        with exclusive(self.lock_path):
            users = self._load()
            self._require(users, name)
            del users[name]
            self._save(users)

    # -- the file ---------------------------------------------------------------------------------

    def _require(self, users: dict[str, User], name: str) -> User:
        check_username(name)
        if name not in users:
            raise ErrUserNotFound(f"no user {name!r} in {self.path}: see `finchain users list`")
        return users[name]

    def _load(self) -> dict[str, User]:
        return dict(self._parse(read_json(self.path)))

    def _save(self, users: dict[str, User]) -> None:
        write_json(
            self.path,
            {"version": VERSION, "users": {n: users[n].to_json() for n in sorted(users)}},
        )

    def _parse(self, document: Any) -> dict[str, User]:
        if document is None:
            return {}
        where = str(self.path)
        if (
            not isinstance(document, dict)
            or document.get("version") != VERSION
            or not isinstance(document.get("users"), dict)
        ):
            raise ErrAuthStore(f"{where}: expected {{version: {VERSION}, users: {{…}}}}")
        users: dict[str, User] = {}
        for name, entry in document["users"].items():
            at = f"{where}: user {name[:64]!r}"
            try:
                check_username(name)
            except FinchainError:
                raise ErrAuthStore(f"{at}: not a valid username") from None
            if not isinstance(entry, dict) or set(entry) != {
                "password",
                "roles",
                "enabled",
                "generation",
            }:
                raise ErrAuthStore(f"{at}: needs exactly password, roles, enabled, generation")
            roles, enabled, generation = entry["roles"], entry["enabled"], entry["generation"]
            if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
                raise ErrAuthStore(f"{at}: roles must be a list of {', '.join(ROLES)}")
            try:
                checked = check_roles(roles)
            except FinchainError:
                raise ErrAuthStore(f"{at}: roles must be a list of {', '.join(ROLES)}") from None
            if type(enabled) is not bool or type(generation) is not int or generation < 1:
                raise ErrAuthStore(f"{at}: enabled must be a boolean, generation an integer >= 1")
            users[name] = User(
                name,
                PasswordHash.from_json(entry["password"], where=at),
                checked,
                enabled,
                generation,
            )
        return users
