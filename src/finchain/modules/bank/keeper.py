"""The only code that reads or writes the bank module's keys (through its collections).

All balance changes pass through ``_add`` and ``_subtract``: they keep the
storage rules and emit ``coin_received`` / ``coin_spent``, so every path that
moves money looks the same to an auditor.

Storage rule: a holding is one value under ``(account, asset)`` (``keys.Holding``:
the balance, and the frozen part of it only when something is frozen). A zero
balance is deleted, never stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from finchain.codec import MAX_AMOUNT
from finchain.core.authority import AccountStatus
from finchain.core.collections import IndexedMap
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.modules.bank import events
from finchain.modules.bank.deps import AccountStatusView
from finchain.modules.bank.errors import (
    ErrAssetExists,
    ErrAssetPaused,
    ErrFrozenAmount,
    ErrHoldsAssets,
    ErrInsufficientFunds,
    ErrMaxSupply,
    ErrOverflow,
    ErrRecipientClosed,
    ErrUnknownAsset,
    ErrUnknownRecipient,
)
from finchain.modules.bank.keys import ASSETS, BALANCES, PAUSED, SUPPLY
from finchain.modules.bank.types import Asset

_NONE = (0, 0)


class BankView:
    """Read-only access on any reader."""

    def get_asset(self, reader: KVReader, symbol: str) -> Asset | None:
        return ASSETS.get(reader, symbol)

    def require_asset(self, reader: KVReader, symbol: str) -> Asset:
        found = ASSETS.get(reader, symbol)
        if found is None:
            raise ErrUnknownAsset(f"asset {symbol} does not exist: check the symbol")
        return found

    def iterate_assets(self, reader: KVReader) -> Iterator[Asset]:
        return ASSETS.values(reader)

    def is_paused(self, reader: KVReader, symbol: str) -> bool:
        return PAUSED.has(reader, symbol)

    def supply(self, reader: KVReader, symbol: str) -> int:
        found = SUPPLY.get(reader, symbol)
        return 0 if found is None else found

    def holding(self, reader: KVReader, account: str, symbol: str) -> tuple[int, int]:
        """(balance, frozen part of it)."""
        return BALANCES.get(reader, (account, symbol)) or _NONE

    def balance(self, reader: KVReader, account: str, symbol: str) -> int:
        return self.holding(reader, account, symbol)[0]

    def frozen(self, reader: KVReader, account: str, symbol: str) -> int:
        return self.holding(reader, account, symbol)[1]

    def spendable(self, reader: KVReader, account: str, symbol: str) -> int:
        balance, frozen = self.holding(reader, account, symbol)
        return balance - frozen

    def balances(self, reader: KVReader, account: str) -> dict[str, int]:
        return {
            symbol: balance
            for (_, symbol), (balance, _) in BALANCES.iterate(reader, prefix=(account,))
        }

    def holders(self, reader: KVReader, symbol: str) -> Iterator[tuple[str, int, int]]:
        """(account, balance, frozen) of every holder of ``symbol``, in account order.

        Reads the ``by_asset`` index: proportional to the asset's holders, not to all holdings.
        """
        for account, _ in BALANCES.by("by_asset", reader, symbol):
            balance, frozen = BALANCES.get(reader, (account, symbol)) or _NONE
            yield account, balance, frozen

    def all_holdings(self, reader: KVReader) -> Iterator[tuple[str, str, int, int]]:
        """(account, asset, balance, frozen) for every stored holding, in key order."""
        for (account, symbol), (balance, frozen) in BALANCES.iterate(reader):
            yield account, symbol, balance, frozen


class BankKeeper(BankView):
    _balances: ClassVar[IndexedMap[tuple[str, str], tuple[int, int]]] = BALANCES
    """The collection holdings are written through (with its ``by_asset`` index). A class
    attribute so that the upgrade test can run consensus version 1 (no index) as a subclass."""

    def __init__(self, accounts: AccountStatusView) -> None:
        self._accounts = accounts

    def create_asset(self, ctx: Context, asset: Asset) -> None:
        if ASSETS.has(ctx.store, asset.symbol):
            raise ErrAssetExists(f"asset {asset.symbol} already exists: choose another symbol")
        ASSETS.set(ctx, asset.symbol, asset)
        ctx.emit(events.asset_created(asset.symbol, asset.issuer))

    def transfer(
        self,
        ctx: Context,
        sender: str,
        recipient: str,
        symbol: str,
        amount: int,
        *,
        forced: bool = False,
    ) -> None:
        """Move ``amount`` from ``sender``'s spendable balance to ``recipient``.

        Refused while the asset is paused (one read), unless ``forced``: a forced
        transfer ordered by a court through the interventions module.
        """
        self.require_asset(ctx.store, symbol)
        if not forced and PAUSED.has(ctx.store, symbol):
            raise ErrAssetPaused(
                f"transfers of {symbol} are paused by a regulatory intervention: "
                "wait until it is resumed"
            )
        self._require_recipient(ctx, recipient)
        self._subtract(ctx, sender, symbol, amount)
        self._add(ctx, recipient, symbol, amount)
        ctx.emit(events.transfer(sender, recipient, symbol, amount))

    def mint(self, ctx: Context, minter: str, recipient: str, asset: Asset, amount: int) -> None:
        self._require_recipient(ctx, recipient)
        new_supply = self.supply(ctx.store, asset.symbol) + amount
        if new_supply > MAX_AMOUNT:
            raise ErrOverflow(f"supply of {asset.symbol} would exceed 2^127 - 1")
        if asset.max_supply and new_supply > asset.max_supply:
            raise ErrMaxSupply(
                f"minting {amount} would bring {asset.symbol} to {new_supply}, above its maximum "
                f"supply {asset.max_supply}"
            )
        SUPPLY.set(ctx, asset.symbol, new_supply)
        self._add(ctx, recipient, asset.symbol, amount)
        ctx.emit(events.mint(minter, recipient, asset.symbol, amount))

    def burn(self, ctx: Context, burner: str, asset: Asset, amount: int) -> None:
        self._subtract(ctx, burner, asset.symbol, amount)
        new_supply = self.supply(ctx.store, asset.symbol) - amount
        if new_supply:
            SUPPLY.set(ctx, asset.symbol, new_supply)
        else:
            SUPPLY.remove(ctx, asset.symbol)
        ctx.emit(events.burn(burner, asset.symbol, amount))

    def freeze_amount(
        self, ctx: Context, account: str, symbol: str, amount: int, reason: str
    ) -> None:
        """Hold ``amount`` of the balance so it cannot be spent (used by compliance, escrow)."""
        if amount <= 0:
            raise ErrFrozenAmount("the amount to freeze must be positive")
        balance, frozen = self.holding(ctx.store, account, symbol)
        if frozen + amount > balance:
            raise ErrFrozenAmount(f"cannot freeze more than the balance of {account} in {symbol}")
        self._balances.set(
            ctx, (account, symbol), (balance, frozen + amount), previous=(balance, frozen)
        )
        ctx.emit(events.amount_frozen(events.AMOUNT_FROZEN, account, symbol, amount, reason))

    def unfreeze_amount(
        self, ctx: Context, account: str, symbol: str, amount: int, reason: str
    ) -> None:
        balance, frozen = self.holding(ctx.store, account, symbol)
        if not 0 < amount <= frozen:
            raise ErrFrozenAmount(
                f"{account} has {frozen} {symbol} frozen; cannot unfreeze {amount}"
            )
        self._balances.set(
            ctx, (account, symbol), (balance, frozen - amount), previous=(balance, frozen)
        )
        ctx.emit(events.amount_frozen(events.AMOUNT_UNFROZEN, account, symbol, amount, reason))

    def set_paused(self, ctx: Context, symbol: str, paused: bool, reason: str) -> None:
        """Pause or resume transfers of ``symbol`` (decided by the interventions module)."""
        self.require_asset(ctx.store, symbol)
        if paused:
            PAUSED.set(ctx, symbol, reason.encode())
        else:
            PAUSED.remove(ctx, symbol)
        ctx.emit(events.asset_paused(symbol, paused, reason))

    def assert_can_close(self, ctx: Context, account: str) -> None:
        """A close guard for the accounts module: an account holding assets cannot close."""
        held = self.balances(ctx.store, account)
        if held:
            listing = ", ".join(f"{amount} {symbol}" for symbol, amount in sorted(held.items()))
            raise ErrHoldsAssets(
                f"account {account} still holds {listing}: transfer them out first"
            )

    def is_known_account(self, ctx: Context, account: str) -> bool:
        """The account exists (whatever its status)."""
        return self._accounts.status(ctx.store, account) is not None

    def is_active_account(self, ctx: Context, account: str) -> bool:
        return self._accounts.status(ctx.store, account) is AccountStatus.ACTIVE

    def _require_recipient(self, ctx: Context, recipient: str) -> None:
        status = self._accounts.status(ctx.store, recipient)
        if status is None:
            raise ErrUnknownRecipient(f"recipient {recipient} does not exist: check the id")
        if status is AccountStatus.CLOSED:
            raise ErrRecipientClosed(f"recipient {recipient} is closed and cannot receive assets")

    def _add(self, ctx: Context, account: str, symbol: str, amount: int) -> None:
        held = BALANCES.get(ctx.store, (account, symbol))
        balance, frozen = held or _NONE
        if balance + amount > MAX_AMOUNT:
            raise ErrOverflow(f"balance of {account} in {symbol} would exceed 2^127 - 1")
        self._balances.set(ctx, (account, symbol), (balance + amount, frozen), previous=held)
        ctx.emit(events.coin_received(account, symbol, amount))

    def _subtract(self, ctx: Context, account: str, symbol: str, amount: int) -> None:
        held = BALANCES.get(ctx.store, (account, symbol))
        balance, frozen = held or _NONE
        if amount > balance - frozen:
            raise ErrInsufficientFunds(
                f"account {account} can spend {balance - frozen} {symbol} but {amount} is needed"
            )
        if balance - amount:
            self._balances.set(ctx, (account, symbol), (balance - amount, frozen), previous=held)
        else:
            self._balances.remove(ctx, (account, symbol), previous=held)
        ctx.emit(events.coin_spent(account, symbol, amount))
