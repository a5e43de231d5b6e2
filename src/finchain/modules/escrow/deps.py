"""What the escrow module needs from the bank, accounts and evidence modules.

Wired in ``finchain.chain`` with the real keepers; each Protocol names only the
methods escrow calls.
"""

from __future__ import annotations

from typing import Protocol

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.modules.evidence.types import EvidenceRecord


class BankFreezes(Protocol):
    """Locking is the bank's frozen amount: held in the payer's balance, not spendable."""

    def get_asset(self, reader: KVReader, symbol: str) -> object | None: ...

    def spendable(self, reader: KVReader, account: str, symbol: str) -> int: ...

    def frozen(self, reader: KVReader, account: str, symbol: str) -> int: ...

    def freeze_amount(
        self, ctx: Context, account: str, symbol: str, amount: int, reason: str
    ) -> None: ...

    def unfreeze_amount(
        self, ctx: Context, account: str, symbol: str, amount: int, reason: str
    ) -> None: ...

    def transfer(
        self, ctx: Context, sender: str, recipient: str, symbol: str, amount: int
    ) -> None: ...


class AccountStatusView(Protocol):
    """Parties must exist and not be closed; a frozen payer's escrow does not pay out."""

    def status(self, reader: KVReader, account: str) -> AccountStatus | None: ...


class EvidenceLookup(Protocol):
    """The evidence record a release condition names, found by ``(hash_alg, hash)``."""

    def get(self, reader: KVReader, hash_alg: str, digest: bytes) -> EvidenceRecord | None: ...
