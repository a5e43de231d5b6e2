"""Failed-login counting and lockout, kept in ``HOME/login_failures.json``.

Failures are counted per username and per client address. After
``max_failures`` consecutive failures a username is locked for
``lockout_seconds``; after ``max_failures_per_address`` an address is (that
stops one client guessing across many usernames). While locked, even the
right password is refused. A success clears the username's and the
address's count; so does a quiet spell of ``lockout_seconds`` since the last
failure, so an occasional typo never adds up to a lockout.

Unknown usernames are counted and locked exactly like real ones: otherwise
"locked" versus "wrong password" would tell an attacker which names exist.

The ledger lives in a file, written atomically on every change, so killing
the node does not reset a count; ``finchain users unlock`` edits the same
file under the same lock, and the running node honours it on the next login.
Times are whole seconds of wall-clock time (injected, so tests need no sleeps).
The file is bounded: entries that no longer matter are pruned, and past
``MAX_ENTRIES`` per kind the stalest go first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from finchain.node.auth.errors import ErrAuthStore
from finchain.node.auth.files import LOCK_FILE, exclusive, read_json, write_json

FAILURES_FILE = "login_failures.json"
VERSION = 1
MAX_ENTRIES = 10_000
USER, ADDRESS = "users", "addresses"


@dataclass(frozen=True, slots=True)
class Policy:
    max_failures: int
    max_failures_per_address: int
    lockout_seconds: int


@dataclass(slots=True)
class Entry:
    failures: int = 0
    last_failure: int = 0
    locked_until: int = 0

    def to_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Lock:
    """A lockout in force: who (``kind`` is ``users`` or ``addresses``) and until when."""

    kind: str
    key: str
    until: int


Ledger = dict[str, dict[str, Entry]]


class LockoutLedger:
    """Counts failures and answers "is this login locked out?".

    Example::

        ledger = LockoutLedger(home.path, Policy(5, 20, 900))
        if (lock := ledger.lock_of("alice", "10.0.0.7", now)) is not None: refuse(lock.until)
        ledger.record_failure("alice", "10.0.0.7", now)   # returns the Lock it caused, if any

    Parameters:
        directory: the node home.
        policy: thresholds and lockout length (``[api.auth]``); None for the CLI,
            which only reads and unlocks.
    """

    def __init__(self, directory: Path, policy: Policy | None = None) -> None:
        self.path = directory / FAILURES_FILE
        self.lock_path = directory / LOCK_FILE
        self.policy = policy

    def lock_of(self, username: str, address: str, now: int) -> Lock | None:
        """The lockout refusing this login now, if any (the username's first)."""
        ledger = self._load()
        for kind, key in ((USER, username), (ADDRESS, address)):
            entry = ledger[kind].get(key)
            if entry is not None and entry.locked_until > now:
                return Lock(kind, key, entry.locked_until)
        return None

    def record_failure(self, username: str, address: str, now: int) -> Lock | None:
        """Count one failure; returns the lockout it started, if it started one."""
        policy = self._policy()
        started: Lock | None = None
        with exclusive(self.lock_path):
            ledger = self._load()
            limits = {USER: policy.max_failures, ADDRESS: policy.max_failures_per_address}
            for kind, key in ((USER, username), (ADDRESS, address)):
                entry = ledger[kind].setdefault(key, Entry())
                if entry.locked_until > now:
                    continue  # already locked: a lockout is never extended by more tries
                if now - entry.last_failure >= policy.lockout_seconds:
                    entry.failures = 0  # a quiet spell forgives earlier failures
                entry.failures += 1
                entry.last_failure = now
                if entry.failures >= limits[kind]:
                    entry.failures = 0
                    entry.locked_until = now + policy.lockout_seconds
                    started = started or Lock(kind, key, entry.locked_until)
            self._save(ledger, now)
        return started

    def record_success(self, username: str, address: str, now: int) -> None:
        """Clear both counts; the file is only rewritten when there was something to clear."""
        with exclusive(self.lock_path):
            ledger = self._load()
            found = [ledger[USER].pop(username, None), ledger[ADDRESS].pop(address, None)]
            if any(e is not None for e in found):
                self._save(ledger, now)

    def unlock(self, *, username: str | None = None, address: str | None = None) -> bool:
        """Forget the failures and lockout of a username or an address; True if there were any."""
        with exclusive(self.lock_path):
            ledger = self._load()
            found = [
                ledger[kind].pop(key, None)
                for kind, key in ((USER, username), (ADDRESS, address))
                if key is not None
            ]
            cleared = any(e is not None for e in found)
            if cleared:
                self._save(ledger, None)
            return cleared

    def entries(self) -> Ledger:
        """The whole ledger (for ``finchain users list``)."""
        return self._load()

    def _policy(self) -> Policy:
        if self.policy is None:
            raise TypeError("LockoutLedger needs a Policy to count failures")
        return self.policy

    def _load(self) -> Ledger:
        document = read_json(self.path)
        ledger: Ledger = {USER: {}, ADDRESS: {}}
        if document is None:
            return ledger
        if (
            not isinstance(document, dict)
            or document.get("version") != VERSION
            or set(document) != {"version", USER, ADDRESS}
        ):
            raise ErrAuthStore(f"{self.path}: expected {{version: {VERSION}, users, addresses}}")
        for kind in (USER, ADDRESS):
            table = document[kind]
            if not isinstance(table, dict):
                raise ErrAuthStore(f"{self.path}: {kind} must be an object")
            for key, value in table.items():
                ledger[kind][key] = _entry(value, f"{self.path}: {kind}.{key[:64]}")
        return ledger

    def _save(self, ledger: Ledger, now: int | None) -> None:
        if now is not None and self.policy is not None:
            _prune(ledger, now, self.policy.lockout_seconds)
        write_json(
            self.path,
            {
                "version": VERSION,
                **{
                    kind: {k: e.to_json() for k, e in sorted(ledger[kind].items())}
                    for kind in ledger
                },
            },
        )


def _entry(value: Any, where: str) -> Entry:
    names = ("failures", "last_failure", "locked_until")
    if (
        not isinstance(value, dict)
        or set(value) != set(names)
        or not all(type(value[n]) is int and value[n] >= 0 for n in names)
    ):
        raise ErrAuthStore(f"{where}: needs non-negative integers {', '.join(names)}")
    return Entry(value["failures"], value["last_failure"], value["locked_until"])


def _prune(ledger: Ledger, now: int, window: int) -> None:
    """Drop entries that no longer affect anything, then the stalest beyond MAX_ENTRIES."""
    for table in ledger.values():
        for key in [
            k for k, e in table.items() if e.locked_until <= now and now - e.last_failure >= window
        ]:
            del table[key]
        if len(table) > MAX_ENTRIES:
            stalest = sorted(table, key=lambda k: (table[k].locked_until, table[k].last_failure, k))
            for key in stalest[: len(table) - MAX_ENTRIES]:
                del table[key]
