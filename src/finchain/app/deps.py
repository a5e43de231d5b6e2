"""What the application's ante chain needs from the module that owns accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from finchain.app.context import Context


@dataclass(frozen=True, slots=True)
class SignerKey:
    scheme: str
    public_key: bytes
    weight: int


@dataclass(frozen=True, slots=True)
class SignerInfo:
    """Everything the ante chain checks about the account a transaction comes from."""

    status: str
    keys: dict[str, SignerKey]
    threshold: int
    nonce: int
    reset_pending: bool


class AccountAuthority(Protocol):
    def signer_info(self, ctx: Context, account_id: str) -> SignerInfo | None: ...

    def set_nonce(self, ctx: Context, account_id: str, nonce: int) -> None: ...
