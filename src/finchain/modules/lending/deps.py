"""What the lending module needs from the bank and escrow modules (wired in ``finchain.chain``)."""

from __future__ import annotations

from typing import Protocol

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.modules.escrow.types import Conditions, Escrow


class Bank(Protocol):
    """Moves cash (principal, instalments) and tells how much collateral a borrower can lock."""

    def spendable(self, reader: KVReader, account: str, symbol: str) -> int: ...

    def transfer(
        self, ctx: Context, sender: str, recipient: str, symbol: str, amount: int
    ) -> None: ...

    def get_asset(self, reader: KVReader, symbol: str) -> object | None: ...


class CollateralEscrow(Protocol):
    """Collateral is pledged as escrows only lending settles (``controller="lending"``):
    refunded to the borrower on repayment, released to the lender on default."""

    def create(
        self,
        ctx: Context,
        payer: str,
        payee: str,
        asset: str,
        amount: int,
        conditions: Conditions,
        *,
        expiry_height: int = 0,
        expiry_time: int = 0,
        reference: str = "",
        controller: str = "",
    ) -> Escrow: ...

    def release_controlled(self, ctx: Context, escrow_id: int, controller: str) -> Escrow: ...

    def refund_controlled(self, ctx: Context, escrow_id: int, controller: str) -> Escrow: ...

    def get(self, reader: KVReader, escrow_id: int) -> Escrow | None: ...

    def locked(self, reader: KVReader, account: str, asset: str) -> int: ...
