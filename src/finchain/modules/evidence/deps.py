"""What the evidence module needs from the accounts and identity modules."""

from __future__ import annotations

from typing import Protocol

from finchain.core.authority import AccountStatus
from finchain.core.kv import KVReader


class AccountStatusView(Protocol):
    """A named co-signer must be an account that exists and is not closed."""

    def status(self, reader: KVReader, account: str) -> AccountStatus | None: ...


class DidLookup(Protocol):
    """The DID an account is bound to, recorded next to the account that signed."""

    def did_of_account(self, reader: KVReader, account: str) -> str | None: ...
