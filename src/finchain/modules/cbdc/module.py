"""The cbdc module: two-tier issuance of a central-bank digital currency (issue 15, step 1).

Genesis: ``app_state["cbdc"] = {"config": {...} | null, "operators": [...],
"reserves": [...], "wallets": [...]}``; the CBDC balances themselves are the
bank's genesis. The default (no CBDC) writes nothing. Import refuses books that
do not reconcile.

Invariant ``cbdc/reconciled``: supply == issued == reserves == wallets + float.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finchain.core.context import Context
from finchain.core.fields import ListOf, Nested, Optional, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import Invariant, RecordGenesisModule, genesis_errors, parse_genesis
from finchain.modules.cbdc import handlers, queries
from finchain.modules.cbdc.errors import ErrBadGenesis
from finchain.modules.cbdc.keeper import CbdcKeeper
from finchain.modules.cbdc.keys import STORE
from finchain.modules.cbdc.types import Config, Operator, Reserve, Wallet

NAME = "cbdc"
_MAX_GENESIS = 10_000_000


@dataclass(frozen=True, slots=True)
class CbdcGenesis(Record):
    WHAT = "cbdc genesis"
    config: Config | None = wire(Optional(Nested(Config)), default=None)
    operators: tuple[Operator, ...] = wire(
        ListOf(Nested(Operator), max_items=_MAX_GENESIS), default=()
    )
    reserves: tuple[Reserve, ...] = wire(
        ListOf(Nested(Reserve), max_items=_MAX_GENESIS), default=()
    )
    wallets: tuple[Wallet, ...] = wire(ListOf(Nested(Wallet), max_items=_MAX_GENESIS), default=())

    def check(self) -> None:
        if self.config is None and (self.operators or self.reserves or self.wallets):
            raise ErrBadGenesis("cbdc genesis: operators, reserves or wallets need a config")
        operators = {op.account for op in self.operators}
        if len(operators) != len(self.operators):
            raise ErrBadGenesis("cbdc genesis: an operator is listed twice")
        owners = {w.owner for w in self.wallets}
        if len(owners) != len(self.wallets):
            raise ErrBadGenesis("cbdc genesis: a wallet is listed twice")
        refs = {(r.operator, r.reference) for r in self.reserves}
        if len(refs) != len(self.reserves):
            raise ErrBadGenesis("cbdc genesis: a reserve is listed twice")
        for reserve in self.reserves:
            if reserve.operator not in operators:
                raise ErrBadGenesis(f"cbdc genesis: reserve of unknown operator {reserve.operator}")
        for found in self.wallets:
            if found.operator not in operators:
                raise ErrBadGenesis(f"cbdc genesis: wallet under unknown operator {found.operator}")
            if found.owner in operators:
                raise ErrBadGenesis(f"cbdc genesis: {found.owner} is both operator and wallet")


class CbdcModule(RecordGenesisModule[CbdcKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES
    GENESIS = CbdcGenesis
    GENESIS_ERROR = ErrBadGenesis

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        genesis = parse_genesis(CbdcGenesis, state, ErrBadGenesis)
        with genesis_errors(ErrBadGenesis, CbdcGenesis.WHAT):
            self.keeper.import_state(
                ctx, genesis.config, genesis.operators, genesis.reserves, genesis.wallets
            )
            problem = self.keeper.reconcile(ctx.store)
            if problem:
                raise ErrBadGenesis(f"cbdc genesis: the books do not reconcile: {problem}")

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        k = self.keeper
        return CbdcGenesis(
            k.config(reader),
            tuple(k.operators(reader)),
            tuple(k.reserves(reader)),
            tuple(k.wallets(reader)),
        ).to_json()

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [("cbdc/reconciled", self.keeper.reconcile)]


__all__ = ["NAME", "CbdcGenesis", "CbdcModule"]
