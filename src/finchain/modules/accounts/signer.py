"""What the ante decorator checks about the account a transaction comes from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.msgs import Operation


@dataclass(frozen=True, slots=True)
class SignerKey:
    scheme: str
    public_key: bytes
    weight: int


class FactorGate(Protocol):
    """An account's multi-factor rules, bound to the factor labels of its keys."""

    def require(self, signed_key_ids: Sequence[str], operations: Sequence[Operation]) -> None:
        """Raise a FinchainError if ``operations`` need more distinct factors than the
        keys ``signed_key_ids`` (all verified) carry."""


@dataclass(frozen=True, slots=True)
class SignerInfo:
    """Everything the ante chain checks about the account a transaction comes from."""

    status: AccountStatus
    keys: Mapping[str, SignerKey]
    threshold: int
    nonce: int
    reset_pending: bool
    factors: FactorGate | None = None  # None: the account has no multi-factor rules


class AccountAuthority(Protocol):
    def signer_info(self, ctx: Context, account_id: str) -> SignerInfo | None: ...

    def set_nonce(self, ctx: Context, account_id: str, nonce: int) -> None: ...
