"""What the aml module needs from the credentials and identity modules.

Wired in ``finchain.chain`` with the real keepers; each Protocol names only the
methods aml calls.
"""

from __future__ import annotations

from typing import Protocol

from finchain.core.kv import KVReader


class RegulatorRegistry(Protocol):
    """Who is a regulator: the credentials module's governance-held registry."""

    def regulator(self, reader: KVReader, account: str) -> object | None: ...


class DidLookup(Protocol):
    """A listed DID covers every account bound to it; institutions are active DIDs."""

    def did_of_account(self, reader: KVReader, account: str) -> str | None: ...

    def is_active(self, reader: KVReader, did: str) -> bool: ...
