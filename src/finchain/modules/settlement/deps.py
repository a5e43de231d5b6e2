"""What the settlement module needs from the accounts and bank modules (wired in chain.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from finchain.codec import TxSignature
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.msgs import Operation
from finchain.core.signatures import SignatureJob
from finchain.modules.accounts.types import Account


class Ledger(Protocol):
    """The bank: legs move through its ordinary transfer (and its events)."""

    def transfer(
        self, ctx: Context, sender: str, recipient: str, symbol: str, amount: int
    ) -> None: ...

    def spendable(self, reader: KVReader, account: str, symbol: str) -> int: ...

    def get_asset(self, reader: KVReader, symbol: str) -> Any: ...


class AccountStatusView(Protocol):
    """Every party must exist and not be closed when it is named; a payer must still be
    active, and outside a key-reset lock window, when its legs settle."""

    def get_account(self, reader: KVReader, account: str) -> Account | None: ...


class Endorsements(Protocol):
    """The accounts module's check of signatures against an account's own key policy
    (``finchain.modules.accounts.ante.AccountSignatures``)."""

    def authorize(
        self,
        ctx: Context,
        account: str,
        signatures: Sequence[TxSignature],
        message: bytes,
        entry_id: bytes,
        operations: Callable[[], Sequence[Operation]],
        *,
        asset_operation: bool,
        nonce: int | None = None,
    ) -> Any: ...

    def jobs(
        self,
        reader: KVReader,
        account: str,
        signatures: Sequence[TxSignature],
        message: bytes,
        entry_id: bytes,
    ) -> list[SignatureJob]: ...
