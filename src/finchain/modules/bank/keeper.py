"""The only code that reads or writes the bank module's keys.

All balance changes pass through ``_add`` and ``_subtract``: they keep the
storage rules and emit ``coin_received`` / ``coin_spent``, so every path that
moves money looks the same to an auditor.

Storage rule: a holding is one value under ``bal/<account>/<asset>``: the
balance as 16 big-endian bytes, followed by the frozen part (16 more bytes)
only when something is frozen. A zero balance is deleted, never stored. One
read serves both "how much" and "how much may move", which every transfer asks.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from finchain.codec import MAX_AMOUNT, decode_trusted, encode
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.modules.bank import events, keys
from finchain.modules.bank.deps import AccountStatusView
from finchain.modules.bank.errors import (
    ErrAssetExists,
    ErrFrozenAmount,
    ErrHoldsAssets,
    ErrInsufficientFunds,
    ErrMaxSupply,
    ErrOverflow,
    ErrRecipientClosed,
    ErrUnknownAsset,
    ErrUnknownRecipient,
)
from finchain.modules.bank.types import Asset

_AMOUNT_BYTES = 16


@lru_cache(maxsize=4_096)
def _asset_from_raw(raw: bytes) -> Asset:
    return Asset.from_obj(decode_trusted(raw))


def _holding(raw: bytes | None) -> tuple[int, int]:
    """(balance, frozen) from a stored holding."""
    if raw is None:
        return 0, 0
    return int.from_bytes(raw[:_AMOUNT_BYTES], "big"), int.from_bytes(raw[_AMOUNT_BYTES:], "big")


def _encode_holding(balance: int, frozen: int) -> bytes:
    data = balance.to_bytes(_AMOUNT_BYTES, "big")
    return data + frozen.to_bytes(_AMOUNT_BYTES, "big") if frozen else data


class BankView:
    """Read-only access on any reader."""

    def get_asset(self, reader: KVReader, symbol: str) -> Asset | None:
        raw = reader.get(keys.asset(symbol))
        return None if raw is None else _asset_from_raw(raw)

    def require_asset(self, reader: KVReader, symbol: str) -> Asset:
        found = self.get_asset(reader, symbol)
        if found is None:
            raise ErrUnknownAsset(f"asset {symbol} does not exist: check the symbol")
        return found

    def iterate_assets(self, reader: KVReader) -> Iterator[Asset]:
        for _, raw in reader.iterate(keys.ASSET):
            yield _asset_from_raw(raw)

    def supply(self, reader: KVReader, symbol: str) -> int:
        raw = reader.get(keys.supply(symbol))
        return 0 if raw is None else int.from_bytes(raw, "big")

    def holding(self, reader: KVReader, account: str, symbol: str) -> tuple[int, int]:
        """(balance, frozen part of it)."""
        return _holding(reader.get(keys.balance(account, symbol)))

    def balance(self, reader: KVReader, account: str, symbol: str) -> int:
        return self.holding(reader, account, symbol)[0]

    def frozen(self, reader: KVReader, account: str, symbol: str) -> int:
        return self.holding(reader, account, symbol)[1]

    def spendable(self, reader: KVReader, account: str, symbol: str) -> int:
        balance, frozen = self.holding(reader, account, symbol)
        return balance - frozen

    def balances(self, reader: KVReader, account: str) -> dict[str, int]:
        prefix = keys.balances_of(account)
        return {
            key[len(prefix) :].decode(): _holding(raw)[0] for key, raw in reader.iterate(prefix)
        }

    def all_holdings(self, reader: KVReader) -> Iterator[tuple[str, str, int, int]]:
        """(account, asset, balance, frozen) for every stored holding, in key order."""
        for key, raw in reader.iterate(keys.BALANCE):
            account, symbol = keys.split_account_symbol(key, keys.BALANCE)
            balance, frozen = _holding(raw)
            yield account, symbol, balance, frozen


class BankKeeper(BankView):
    def __init__(self, accounts: AccountStatusView) -> None:
        self._accounts = accounts

    def create_asset(self, ctx: Context, asset: Asset) -> None:
        if ctx.store.get(keys.asset(asset.symbol)) is not None:
            raise ErrAssetExists(f"asset {asset.symbol} already exists: choose another symbol")
        ctx.store.set(keys.asset(asset.symbol), encode(asset.to_obj()))
        ctx.emit(events.asset_created(asset.symbol, asset.issuer))

    def transfer(self, ctx: Context, sender: str, recipient: str, symbol: str, amount: int) -> None:
        self.require_asset(ctx.store, symbol)
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
        ctx.store.set(keys.supply(asset.symbol), new_supply.to_bytes(_AMOUNT_BYTES, "big"))
        self._add(ctx, recipient, asset.symbol, amount)
        ctx.emit(events.mint(minter, recipient, asset.symbol, amount))

    def burn(self, ctx: Context, burner: str, asset: Asset, amount: int) -> None:
        self._subtract(ctx, burner, asset.symbol, amount)
        new_supply = self.supply(ctx.store, asset.symbol) - amount
        key = keys.supply(asset.symbol)
        if new_supply:
            ctx.store.set(key, new_supply.to_bytes(_AMOUNT_BYTES, "big"))
        else:
            ctx.store.delete(key)
        ctx.emit(events.burn(burner, asset.symbol, amount))

    def freeze_amount(
        self, ctx: Context, account: str, symbol: str, amount: int, reason: str
    ) -> None:
        """Hold ``amount`` of the balance so it cannot be spent (used by compliance, escrow)."""
        if amount <= 0:
            raise ErrFrozenAmount("the amount to freeze must be positive")
        key = keys.balance(account, symbol)
        balance, frozen = _holding(ctx.store.get(key))
        if frozen + amount > balance:
            raise ErrFrozenAmount(f"cannot freeze more than the balance of {account} in {symbol}")
        ctx.store.set(key, _encode_holding(balance, frozen + amount))
        ctx.emit(events.amount_frozen(events.AMOUNT_FROZEN, account, symbol, amount, reason))

    def unfreeze_amount(
        self, ctx: Context, account: str, symbol: str, amount: int, reason: str
    ) -> None:
        key = keys.balance(account, symbol)
        balance, frozen = _holding(ctx.store.get(key))
        if not 0 < amount <= frozen:
            raise ErrFrozenAmount(
                f"{account} has {frozen} {symbol} frozen; cannot unfreeze {amount}"
            )
        ctx.store.set(key, _encode_holding(balance, frozen - amount))
        ctx.emit(events.amount_frozen(events.AMOUNT_UNFROZEN, account, symbol, amount, reason))

    def assert_can_close(self, ctx: Context, account: str) -> None:
        """A close guard for the accounts module: an account holding assets cannot close."""
        held = self.balances(ctx.store, account)
        if held:
            listing = ", ".join(f"{amount} {symbol}" for symbol, amount in sorted(held.items()))
            raise ErrHoldsAssets(
                f"account {account} still holds {listing}: transfer them out first"
            )

    def is_active_account(self, ctx: Context, account: str) -> bool:
        return self._accounts.status(ctx.store, account) == "active"

    def _require_recipient(self, ctx: Context, recipient: str) -> None:
        status = self._accounts.status(ctx.store, recipient)
        if status is None:
            raise ErrUnknownRecipient(f"recipient {recipient} does not exist: check the id")
        if status == "closed":
            raise ErrRecipientClosed(f"recipient {recipient} is closed and cannot receive assets")

    def _add(self, ctx: Context, account: str, symbol: str, amount: int) -> None:
        key = keys.balance(account, symbol)
        balance, frozen = _holding(ctx.store.get(key))
        if balance + amount > MAX_AMOUNT:
            raise ErrOverflow(f"balance of {account} in {symbol} would exceed 2^127 - 1")
        ctx.store.set(key, _encode_holding(balance + amount, frozen))
        ctx.emit(events.coin_received(account, symbol, amount))

    def _subtract(self, ctx: Context, account: str, symbol: str, amount: int) -> None:
        key = keys.balance(account, symbol)
        balance, frozen = _holding(ctx.store.get(key))
        if amount > balance - frozen:
            raise ErrInsufficientFunds(
                f"account {account} can spend {balance - frozen} {symbol} but {amount} is needed"
            )
        if balance - amount:
            ctx.store.set(key, _encode_holding(balance - amount, frozen))
        else:
            ctx.store.delete(key)
        ctx.emit(events.coin_spent(account, symbol, amount))
