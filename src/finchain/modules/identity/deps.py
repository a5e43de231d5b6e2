"""What the identity module needs from the accounts module."""

from __future__ import annotations

from typing import Protocol

from finchain.core.kv import KVReader


class AccountsView(Protocol):
    """Controller accounts must exist and be active; the binding proof names the tx nonce."""

    def status(self, reader: KVReader, account: str) -> str | None: ...

    def nonce(self, reader: KVReader, account: str) -> int:
        """The next nonce the account must use (the ante chain has already spent the current
        transaction's, so inside a handler the transaction's nonce is this minus one)."""
        ...
