"""What the compliance module needs from other modules, as Protocols of the methods it calls.

Wired in ``finchain.chain`` with the real keepers. ``Sanctions`` is the aml
module's side of the contract in docs/regulation/compliance.md; until aml is
wired, ``NoSanctions`` (``finchain.modules.compliance.keeper``) answers "not
listed, no list, no travel-rule record".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.module import Handler
from finchain.core.msgs import Msg


class AssetInfo(Protocol):
    symbol: str
    decimals: int
    issuer: str


class BankReader(Protocol):
    def get_asset(self, reader: KVReader, symbol: str) -> Any: ...

    def balance(self, reader: KVReader, account: str, symbol: str) -> int: ...


class IdentityReader(Protocol):
    def did_of_account(self, reader: KVReader, account: str) -> str | None: ...

    def is_active(self, reader: KVReader, did: str) -> bool: ...

    def controls(self, reader: KVReader, did: str, account: str) -> bool: ...


class KycClaimInfo(Protocol):
    issuer: str
    tier: int

    def counts_at(self, now_ns: int) -> bool: ...


class CredentialsReader(Protocol):
    def regulator(self, reader: KVReader, account: str) -> object | None: ...

    def kyc_claims(self, reader: KVReader, account: str) -> Iterator[Any]: ...

    def kyc_claim(self, reader: KVReader, account: str, issuer: str) -> Any: ...

    def recorded_while_accredited(self, reader: KVReader, claim: Any) -> bool: ...

    def accredited(
        self, reader: KVReader, did: str, credential_type: str, at_time_ns: int
    ) -> bool: ...


class AccountsReader(Protocol):
    """An account's status and key-reset lock: a held transaction runs only for a signer
    that may transact."""

    def status(self, reader: KVReader, account: str) -> AccountStatus | None: ...

    def pending_reset(self, reader: KVReader, account: str) -> object | None:
        """The key reset under way on ``account`` (None: none)."""
        ...


class Sanctions(Protocol):
    """The aml module's answers the activation needs (``listed``, ``tx.travel``, receipts)."""

    def listed_version(self, reader: KVReader, address: str) -> int | None:
        """The active list's version when ``address`` is on it, else None."""
        ...

    def active_list_version(self, reader: KVReader) -> int:
        """The active sanctions list's version (0: none)."""
        ...

    def travel_covered(self, msgs: Sequence[Msg], index: int) -> bool:
        """Whether the transaction carries a travel-rule record for message ``index``."""
        ...


class MsgRoutes(Protocol):
    """The router's routes: how a held transaction's stored messages are parsed and run."""

    @property
    def routes(self) -> Mapping[str, tuple[type[Msg], Handler]]: ...

    def deliver(self, ctx: Context, msg: Msg) -> None: ...
