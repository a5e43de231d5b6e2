"""The bank module: assets, mint and burn under an issuer policy, transfers, held amounts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from finchain.codec import MAX_AMOUNT
from finchain.core.context import Context
from finchain.core.fields import AMOUNT, ListOf, Nested, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import (
    Invariant,
    KeeperModule,
    Migration,
    genesis_errors,
    parse_genesis,
)
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.bank import handlers, queries
from finchain.modules.bank.errors import ErrBadGenesis
from finchain.modules.bank.keeper import BankKeeper
from finchain.modules.bank.keys import BALANCES, STORE
from finchain.modules.bank.types import ASSET_SYMBOL, MAX_SUPPLY, Asset

NAME = "bank"


@dataclass(frozen=True, slots=True)
class GenesisBalance(Record):
    """A holding: ``frozen`` (the part of it that cannot move) is written only when not 0."""

    WHAT = "balance"
    account: str = wire(ACCOUNT)
    asset: str = wire(ASSET_SYMBOL)
    amount: int = wire(AMOUNT)
    frozen: int = wire(MAX_SUPPLY, default=0)  # "0" or an amount

    def check(self) -> None:
        if self.frozen > self.amount:
            raise ErrBadGenesis(
                f"balance of {self.account} in {self.asset}: frozen part {self.frozen} is above "
                f"the balance {self.amount}"
            )


@dataclass(frozen=True, slots=True)
class BankGenesis(Record):
    """Assets (``minters``/``burners`` empty: the issuer), then holdings.

    Each asset's supply is the sum of its holdings, so it is not listed.
    """

    WHAT = "bank genesis"
    assets: tuple[Asset, ...] = wire(ListOf(Nested(Asset), max_items=100_000))
    balances: tuple[GenesisBalance, ...] = wire(
        ListOf(Nested(GenesisBalance), max_items=10_000_000)
    )

    def check(self) -> None:
        """Symbols and holdings unique, holdings of listed assets, each asset's total within
        its maximum supply."""
        limits = {}
        for asset in self.assets:
            if asset.symbol in limits:
                raise ErrBadGenesis(f"bank genesis: asset {asset.symbol} is listed twice")
            limits[asset.symbol] = asset.max_supply or MAX_AMOUNT
        totals: dict[str, int] = {}
        held: set[tuple[str, str]] = set()
        for entry in self.balances:
            limit = limits.get(entry.asset)
            if limit is None:
                raise ErrBadGenesis(f"bank genesis: balance in unlisted asset {entry.asset}")
            if (entry.account, entry.asset) in held:
                raise ErrBadGenesis(
                    f"bank genesis: {entry.account} holds {entry.asset} in two entries"
                )
            held.add((entry.account, entry.asset))
            total = totals[entry.asset] = totals.get(entry.asset, 0) + entry.amount
            if total > limit:
                raise ErrBadGenesis(
                    f"bank genesis: balances of {entry.asset} add up to more than {limit}"
                )


class BankModule(KeeperModule[BankKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 2
    """2: holdings indexed by asset (``keys.BALANCES`` index ``by_asset``); from 1 by
    ``_index_holders`` (upgrade ``bank-v2-holders-index``)."""
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES

    def default_genesis(self) -> dict[str, Any]:
        return {"assets": [], "balances": []}

    def validate_genesis(self, state: dict[str, Any]) -> None:
        parse_genesis(BankGenesis, state, ErrBadGenesis)

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        """Assets, then holdings minted to their accounts (the supply follows), then frozen parts.

        The accounts named must exist (the accounts module's genesis runs first); a
        holding's account must not be closed.
        """
        genesis = parse_genesis(BankGenesis, state, ErrBadGenesis)
        with genesis_errors(ErrBadGenesis, BankGenesis.WHAT):
            for asset in genesis.assets:
                for authority in (asset.issuer, *asset.minters, *asset.burners):
                    if not self.keeper.is_known_account(ctx, authority):
                        raise ErrBadGenesis(
                            f"asset {asset.symbol}: {authority} is not a genesis account"
                        )
                self.keeper.create_asset(
                    ctx,
                    Asset(
                        asset.symbol,
                        asset.name,
                        asset.decimals,
                        asset.max_supply,
                        asset.issuer,
                        asset.minters or (asset.issuer,),
                        asset.burners or (asset.issuer,),
                    ),
                )
            for entry in genesis.balances:
                asset = self.keeper.require_asset(ctx.store, entry.asset)
                self.keeper.mint(ctx, "genesis", entry.account, asset, entry.amount)
                if entry.frozen:
                    self.keeper.freeze_amount(
                        ctx, entry.account, entry.asset, entry.frozen, "genesis"
                    )

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        return BankGenesis(
            tuple(self.keeper.iterate_assets(reader)),
            tuple(
                GenesisBalance(account, symbol, amount, frozen)
                for account, symbol, amount, frozen in self.keeper.all_holdings(reader)
            ),
        ).to_obj()

    def migrations(self) -> Mapping[int, Migration]:
        return {1: _index_holders}

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [
            ("bank/holders-index", self._holders_index_complete),
            ("bank/supply-equals-balances", self._supply_equals_balances),
            ("bank/positive-balances", self._positive_balances),
            ("bank/frozen-within-balance", self._frozen_within_balance),
        ]

    def _supply_equals_balances(self, reader: KVReader) -> str | None:
        sums: dict[str, int] = {}
        for _, symbol, amount, _frozen in self.keeper.all_holdings(reader):
            sums[symbol] = sums.get(symbol, 0) + amount
        for asset in self.keeper.iterate_assets(reader):
            supply = self.keeper.supply(reader, asset.symbol)
            if supply != sums.pop(asset.symbol, 0):
                return (
                    f"supply of {asset.symbol} is {supply} but balances add up to a different sum"
                )
        if sums:
            return f"balances held in unknown assets {sorted(sums)}"
        return None

    def _holders_index_complete(self, reader: KVReader) -> str | None:
        """The by-asset index lists exactly the stored holdings."""
        indexed = {
            (account, asset.symbol)
            for asset in self.keeper.iterate_assets(reader)
            for account, _, _ in self.keeper.holders(reader, asset.symbol)
        }
        stored = {(account, symbol) for account, symbol, _, _ in self.keeper.all_holdings(reader)}
        if indexed != stored:
            return f"by-asset index and holdings differ: {sorted(indexed ^ stored)[:3]}"
        return None

    def _positive_balances(self, reader: KVReader) -> str | None:
        for account, symbol, amount, _frozen in self.keeper.all_holdings(reader):
            if amount <= 0:
                return f"balance of {account} in {symbol} is stored as {amount}"
        return None

    def _frozen_within_balance(self, reader: KVReader) -> str | None:
        for account, symbol, amount, frozen in self.keeper.all_holdings(reader):
            if not 0 <= frozen <= amount:
                return f"frozen amount of {account} in {symbol} is outside [0, balance]"
        return None


def _index_holders(ctx: Context) -> None:
    """Version 1 -> 2: file every existing holding under its asset in the ``by_asset`` index.

    Only the index entries are written: the holdings themselves are not touched, so the
    balances, supplies and events of later blocks are unchanged.
    """
    for key, holding in list(BALANCES.iterate(ctx.store)):
        BALANCES.index_existing(ctx, key, holding)


__all__ = ["NAME", "Asset", "BankModule"]
