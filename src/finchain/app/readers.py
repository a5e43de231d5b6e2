"""Readers for queries: latest or historical committed state, recording what they read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from finchain.core.errors import ErrBadQuery


class VersionedState(Protocol):
    def get(self, key: bytes) -> bytes | None: ...

    def get_at(self, key: bytes, version: int) -> bytes | None: ...

    def iterate(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]: ...


class QueryReader:
    """Reads committed state at ``height`` and remembers each key read, to prove the answer."""

    def __init__(self, state: VersionedState, height: int, *, latest: bool) -> None:
        self._state = state
        self._height = height
        self._latest = latest
        self.keys_read: list[bytes] = []
        self.iterated = False

    def get(self, key: bytes) -> bytes | None:
        self.keys_read.append(key)
        if self._latest:
            return self._state.get(key)
        return self._state.get_at(key, self._height)

    def iterate(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        self.iterated = True
        if not self._latest:
            raise ErrBadQuery("listing queries are served at the latest height only; omit height")
        return self._state.iterate(prefix)
