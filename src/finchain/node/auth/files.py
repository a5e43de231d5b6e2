"""Private JSON files in the node home: written atomically at mode 0600, changed under a lock.

The node and ``finchain users`` both change these files while the node runs
(the node counts failed logins, an administrator unlocks a user). Each change
is a read-modify-write under an exclusive ``flock`` on one lock file, so
neither loses the other's update. A write goes to a fresh 0600 temporary file
in the same directory, is fsynced and renamed over the old one: a reader, or
a node killed mid-write, sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from finchain.node.auth.errors import ErrAuthStore

#: The one lock file of the home's auth files (users and lockouts).
LOCK_FILE = "auth.lock"
#: Larger files are refused unread: both files are bounded far below this.
MAX_FILE_BYTES = 64 * 1024 * 1024


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (other threads and processes wait)."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def read_json(path: Path) -> Any | None:
    """The document at ``path``; None when the file does not exist."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ErrAuthStore(f"{path}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ErrAuthStore(f"{path}: larger than {MAX_FILE_BYTES} bytes; restore it from backup")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ErrAuthStore(f"{path}: not valid JSON; restore it from backup") from None


def write_json(path: Path, document: Any) -> None:
    """Replace ``path`` atomically with ``document`` (mode 0600, fsynced with its directory)."""
    text = json.dumps(document, indent=1, sort_keys=True) + "\n"
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        with os.fdopen(os.open(temporary, flags, 0o600), "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)  # exactly 0600 whatever the umask
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
