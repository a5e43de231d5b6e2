"""The bank module: assets, mint and burn under an issuer policy, transfers, held amounts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.module import BaseModule, Handler, Invariant, Query
from finchain.core.msgs import Msg
from finchain.core.schema import expect_fields, get_list
from finchain.errors import FinchainError
from finchain.modules.bank import handlers, keys, queries
from finchain.modules.bank.errors import ErrBadGenesis
from finchain.modules.bank.keeper import BankKeeper
from finchain.modules.bank.messages import MsgBurn, MsgCreateAsset, MsgMint, MsgTransfer
from finchain.modules.bank.types import Asset

NAME = "bank"


class BankModule(BaseModule):
    name = NAME
    store_key = keys.STORE
    consensus_version = 1

    def __init__(self, keeper: BankKeeper) -> None:
        self.keeper = keeper

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        k = self.keeper
        return {
            MsgCreateAsset: partial(handlers.create_asset, k),
            MsgMint: partial(handlers.mint, k),
            MsgBurn: partial(handlers.burn, k),
            MsgTransfer: partial(handlers.transfer, k),
        }

    def queries(self) -> Mapping[str, Query]:
        k = self.keeper
        return {
            "bank/balance": partial(queries.balance, k),
            "bank/balances": partial(queries.balances, k),
            "bank/asset": partial(queries.asset, k),
            "bank/assets": partial(queries.assets, k),
        }

    def validate_genesis(self, state: dict[str, Any]) -> None:
        """The section's shape; its contents are checked as ``init_genesis`` loads them."""
        if not isinstance(state, dict) or not state.keys() <= self.default_genesis().keys():
            raise ErrBadGenesis(f"{NAME} genesis must be a map of {sorted(self.default_genesis())}")

    def default_genesis(self) -> dict[str, Any]:
        return {"assets": [], "balances": []}

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        """Assets first, then balances; each asset's supply is the sum of its genesis balances."""
        try:
            expect_fields(state, {"assets", "balances"}, "bank genesis")
            for entry in get_list(state, "assets", max_items=100_000):
                expect_fields(
                    entry,
                    {"symbol", "issuer", "name", "decimals", "max_supply", "minters", "burners"},
                    "asset",
                )
                msg = MsgCreateAsset.from_value({k: v for k, v in entry.items() if k != "issuer"})
                issuer = entry["issuer"]
                if not self.keeper.is_active_account(ctx, issuer):
                    raise ErrBadGenesis(
                        f"asset {msg.symbol}: issuer {issuer!r} is not a genesis account"
                    )
                ctx.signer = issuer
                handlers.create_asset(self.keeper, ctx, msg)
            for entry in get_list(state, "balances", max_items=10_000_000):
                expect_fields(entry, {"account", "asset", "amount"}, "balance")
                asset = self.keeper.require_asset(ctx.store, entry["asset"])
                mint = MsgMint.from_value(
                    {"asset": asset.symbol, "to": entry["account"], "amount": entry["amount"]}
                )
                self.keeper.mint(ctx, "genesis", mint.to, asset, mint.amount)
            ctx.signer = ""
        except FinchainError as exc:
            if exc.error is ErrBadGenesis:
                raise
            raise ErrBadGenesis(f"bank genesis: {exc.message}") from None

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        return {
            "assets": [a.to_obj() for a in self.keeper.iterate_assets(reader)],
            "balances": [
                {"account": account, "asset": symbol, "amount": str(amount)}
                for account, symbol, amount, _frozen in self.keeper.all_holdings(reader)
            ],
        }

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [
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

    def end_block(self, ctx: Context) -> None:
        return None


__all__ = ["NAME", "Asset", "BankModule"]
