"""What the credentials module needs from the identity and accounts modules."""

from __future__ import annotations

from typing import Protocol

from finchain.core.kv import KVReader


class IdentityView(Protocol):
    """DIDs: an issuer acts through the accounts that control its DID; a KYC subject is
    the DID bound to the account the claim is about."""

    def controls(self, reader: KVReader, did: str, account: str) -> bool: ...

    def is_active(self, reader: KVReader, did: str) -> bool: ...

    def did_of_account(self, reader: KVReader, account: str) -> str | None: ...


class AccountStatusView(Protocol):
    """A regulator must be an existing, active account."""

    def status(self, reader: KVReader, account: str) -> str | None: ...
