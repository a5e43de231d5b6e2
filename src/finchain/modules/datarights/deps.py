"""What the data-rights module needs from the identity module."""

from __future__ import annotations

from typing import Protocol

from finchain.core.kv import KVReader


class DidDirectory(Protocol):
    """Who controls a DID, whether it is active, and its keys (for key agreement)."""

    def controls(self, reader: KVReader, did: str, account: str) -> bool: ...

    def is_active(self, reader: KVReader, did: str) -> bool: ...

    def verification_method(
        self, reader: KVReader, did: str, key_id: str, *, at_time_ns: int | None = None
    ) -> tuple[str, bytes, tuple[str, ...]] | None: ...
