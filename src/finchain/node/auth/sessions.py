"""Login sessions: bearer tokens, of which the node keeps only a hash.

A token is 32 random bytes (256 bits), given to the client once as
unpadded base64url. The node stores SHA-256 of it: a memory dump or a
debugger shows no usable token. Lookup is by the first half of that hash and
the full hash is then compared with ``hmac.compare_digest``. Sessions live in
memory only: a restart ends them all (clients log in again), while lockouts,
which must survive restarts, live in a file (lockout.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from finchain.node.auth.errors import ErrTooManySessions

TOKEN_BYTES = 32
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True, slots=True)
class Session:
    username: str
    generation: int  # the user's generation at login; a change ends the session
    expires_at: int  # wall-clock seconds
    digest: bytes


def new_token() -> tuple[str, bytes]:
    """A fresh token and its SHA-256 digest."""
    raw = secrets.token_bytes(TOKEN_BYTES)
    token = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    return token, hashlib.sha256(raw).digest()


def token_digest(token: str) -> bytes | None:
    """SHA-256 of a well-formed token, or None for anything else (no decoding surprises)."""
    if not _TOKEN.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=")
    except (binascii.Error, ValueError):
        return None
    return hashlib.sha256(raw).digest()


class SessionTable:
    """Live sessions, at most ``max_sessions``; safe to use from several threads."""

    def __init__(self, max_sessions: int) -> None:
        self.max_sessions = max_sessions
        self._lock = threading.Lock()
        self._by_id: dict[bytes, Session] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def open(self, username: str, generation: int, expires_at: int, now: int) -> str:
        """A new session's token; ErrTooManySessions when the table is full of live ones."""
        token, digest = new_token()
        with self._lock:
            if len(self._by_id) >= self.max_sessions:
                self._drop_expired(now)
            if len(self._by_id) >= self.max_sessions:
                raise ErrTooManySessions(
                    f"this node already has {self.max_sessions} live sessions; log out unused "
                    "ones or retry later (an operator can raise [api.auth] max_sessions)",
                    limit=self.max_sessions,
                )
            self._by_id[digest[:16]] = Session(username, generation, expires_at, digest)
        return token

    def find(self, token: str, now: int) -> Session | None:
        """The live session of ``token``; None if unknown, malformed or expired."""
        session = self._lookup(token, end=lambda s: s.expires_at <= now)
        return session if session is not None and session.expires_at > now else None

    def close(self, token: str) -> bool:
        """End the session of ``token``; True if there was a live one."""
        return self._lookup(token, end=lambda s: True) is not None

    def _lookup(self, token: str, *, end: Callable[[Session], bool]) -> Session | None:
        """``token``'s session, taken out of the table if ``end`` says so; None if the
        token is malformed or has no session."""
        digest = token_digest(token)
        if digest is None:
            return None
        with self._lock:
            session = self._by_id.get(digest[:16])
            if session is None or not hmac.compare_digest(session.digest, digest):
                return None
            if end(session):
                del self._by_id[digest[:16]]
            return session

    def _drop_expired(self, now: int) -> None:
        for key in [k for k, s in self._by_id.items() if s.expires_at <= now]:
            del self._by_id[key]
