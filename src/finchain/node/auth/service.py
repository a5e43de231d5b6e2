"""The node's authenticator: logins, token checks, logouts, and their audit trail.

Every login attempt leaves one line in the structured log (logger
``finchain.auth``, ``audit="login"``) with the username, the client address
and the outcome (``success``, ``failure``, ``lockout``, ``locked_out``);
a logout leaves ``audit="logout"``. Passwords and tokens are never logged.

Unknown usernames cost the same scrypt work as real ones (a dummy hash with the
parameters the real users have) and get the same answer as a wrong password,
so neither the answer nor its timing tells which usernames exist.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from finchain.errors import FinchainError
from finchain.node.auth.errors import (
    ErrAddressLockedOut,
    ErrForbidden,
    ErrInvalidCredentials,
    ErrUnauthenticated,
    ErrUserLockedOut,
)
from finchain.node.auth.lockout import USER, Lock, LockoutLedger, Policy
from finchain.node.auth.passwords import KdfParams, PasswordHash, dummy_hash, verify_password
from finchain.node.auth.sessions import SessionTable
from finchain.node.auth.users import User, UserStore, check_username
from finchain.node.config import AuthSection

audit = logging.getLogger("finchain.auth")


@dataclass(frozen=True, slots=True)
class Grant:
    """What a successful login returns; ``token`` is shown to the client once, never stored."""

    token: str
    username: str
    roles: tuple[str, ...]
    expires_at: int


@dataclass(frozen=True, slots=True)
class Principal:
    """The user behind a valid token."""

    username: str
    roles: tuple[str, ...]
    expires_at: int


def iso_time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Authenticator:
    """Logins and bearer tokens over the users and lockout files of a node home.

    Example::

        auth = Authenticator(home.path, config.api.auth)
        grant = auth.login("alice", password, address="10.0.0.7")   # blocking: scrypt
        auth.authorize(grant.token, "submit").username                 # "alice"

    Parameters:
        directory: the node home holding ``users.json`` and ``login_failures.json``.
        settings: the ``[api.auth]`` section.
        clock: wall-clock seconds; tests pass a fake one to expire lockouts and tokens.
    """

    def __init__(
        self, directory: Path, settings: AuthSection, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.users = UserStore(directory)
        self.ledger = LockoutLedger(
            directory,
            Policy(
                max_failures=settings.max_failures,
                max_failures_per_address=settings.max_failures_per_address,
                lockout_seconds=settings.lockout_seconds,
            ),
        )
        self.sessions = SessionTable(settings.max_sessions)
        self._clock = clock
        self._dummies: dict[KdfParams, PasswordHash] = {}

    def required(self, group: str) -> bool:
        """Whether ``[api.auth] required_for`` puts route group ``group`` behind a token."""
        return group in self.settings.required_for

    def login(self, username: str, password: str, *, address: str) -> Grant:
        """Check the password and open a session; blocking (scrypt, file writes).

        Raises ErrInvalidUsername (malformed name), ErrUserLockedOut /
        ErrAddressLockedOut (locked now, whatever the password), ErrInvalidCredentials,
        ErrTooManySessions.
        """
        check_username(username)
        lock = self.ledger.lock_of(username, address, self._now())
        if lock is not None:
            self._audit(username, address, "locked_out", logging.WARNING)
            raise self._locked(lock)
        users = self.users.users()
        user = users.get(username)
        stored = user.password if user is not None else self._dummy(users)
        matches = verify_password(password, stored)
        if user is None or not user.enabled or not matches:
            self._fail(username, address, _reason(user, matches))
        lock = self.ledger.lock_of(username, address, self._now())
        if lock is not None:  # another attempt locked it while scrypt ran
            self._audit(username, address, "locked_out", logging.WARNING)
            raise self._locked(lock)
        now = self._now()
        self.ledger.record_success(username, address, now)
        expires_at = now + self.settings.token_ttl_seconds
        token = self.sessions.open(username, user.generation, expires_at, now)
        self._audit(username, address, "success", logging.INFO)
        return Grant(token, username, user.roles, expires_at)

    def authenticate(self, token: str | None) -> Principal:
        """The user of a live token; ErrUnauthenticated when missing, unknown or expired.

        A token also dies when its user is removed or disabled or their password
        or roles change (the user's generation moved on).
        """
        if token is None:
            raise ErrUnauthenticated(
                "this endpoint needs a bearer token: log in with POST /v1/auth/login, then "
                "send the header 'Authorization: Bearer <token>'"
            )
        session = self.sessions.find(token, self._now())
        user = None if session is None else self.users.get(session.username)
        if session is None or user is None or not _current(user, session.generation):
            self.sessions.close(token)
            raise ErrUnauthenticated("the token is invalid, expired or revoked: log in again")
        return Principal(user.name, user.roles, session.expires_at)

    def authorize(self, token: str | None, group: str) -> Principal:
        """``authenticate``, then ErrForbidden unless the user holds the ``group`` role."""
        principal = self.authenticate(token)
        if group not in principal.roles:
            raise ErrForbidden(
                f"user {principal.username!r} lacks the {group!r} role this endpoint needs; "
                f"an administrator can grant it (`finchain users set {principal.username} "
                f"--roles ...`)",
                role=group,
            )
        return principal

    def logout(self, token: str | None, *, address: str) -> Principal:
        """End the session of a valid token; returns whose it was."""
        principal = self.authenticate(token)
        if token is not None:
            self.sessions.close(token)
        audit.info(
            "logout",
            extra={"audit": "logout", "username": principal.username, "client": address},
        )
        return principal

    # -- helpers -----------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock())

    def _fail(self, username: str, address: str, reason: str) -> NoReturn:
        started = self.ledger.record_failure(username, address, self._now())
        self._audit(username, address, "failure", logging.WARNING, reason=reason)
        if started is not None:
            self._audit(username, address, "lockout", logging.WARNING, locked=started.kind)
            raise self._locked(started)
        minutes = max(1, self.settings.lockout_seconds // 60)
        raise ErrInvalidCredentials(
            f"invalid username or password; after {self.settings.max_failures} failures in a "
            f"row the username is locked for {minutes} min"
        )

    def _locked(self, lock: Lock) -> FinchainError:
        wait = max(1, lock.until - self._now())
        until = iso_time(lock.until)
        if lock.kind == USER:
            return ErrUserLockedOut(
                f"too many failed logins for {lock.key!r}: locked until {until} ({wait} s), "
                "even with the right password; an administrator can unlock it now with "
                f"`finchain users unlock {lock.key}`",
                retry_after=wait,
                locked_until=until,
            )
        return ErrAddressLockedOut(
            f"too many failed logins from {lock.key}: logins from it are refused until {until} "
            f"({wait} s); an administrator can lift this with "
            f"`finchain users unlock --address {lock.key}`",
            retry_after=wait,
            locked_until=until,
        )

    def _dummy(self, users: dict[str, User]) -> PasswordHash:
        """A hash costing what the real users' hashes cost (the first user's parameters)."""
        params = users[min(users)].password.params if users else KdfParams()
        if params not in self._dummies:
            self._dummies[params] = dummy_hash(params)
        return self._dummies[params]

    @staticmethod
    def _audit(username: str, address: str, outcome: str, level: int, **extra: str) -> None:
        audit.log(
            level,
            "login %s",
            outcome,
            extra={
                "audit": "login",
                "outcome": outcome,
                "username": username,
                "client": address,
                **extra,
            },
        )


def _current(user: User, generation: int) -> bool:
    return user.enabled and user.generation == generation


def _reason(user: User | None, matches: bool) -> str:
    """For the operator's log only; the client always gets the same answer."""
    if user is None:
        return "unknown_user"
    return "disabled" if matches else "wrong_password"
