"""The escrow module: conditional payments locked with the bank's frozen amounts.

Genesis: ``app_state["escrow"] = {"escrows": [...]}``, every escrow (open and
closed) in the form the ``escrow/escrow`` query answers, in id order. The
bank's genesis carries the frozen part of each payer's holding; an open
escrow's amount must be covered by it. The default (no escrows) writes nothing.

End of block: every open escrow whose expiry (height or time) has come is
refunded to its payer, in id order, read from the expiry queues (work
proportional to what is due).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finchain.core.context import Context
from finchain.core.fields import ListOf, Nested, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import (
    Invariant,
    RecordGenesisModule,
    first_id_out_of_order,
    genesis_errors,
    parse_genesis,
)
from finchain.modules.escrow import handlers, queries
from finchain.modules.escrow.errors import ErrBadGenesis
from finchain.modules.escrow.keeper import EscrowKeeper
from finchain.modules.escrow.keys import STORE
from finchain.modules.escrow.types import Escrow

NAME = "escrow"
_MAX_GENESIS_ESCROWS = 10_000_000


@dataclass(frozen=True, slots=True)
class EscrowGenesis(Record):
    WHAT = "escrow genesis"
    escrows: tuple[Escrow, ...] = wire(
        ListOf(Nested(Escrow), max_items=_MAX_GENESIS_ESCROWS), default=()
    )

    def check(self) -> None:
        wrong = first_id_out_of_order(escrow.id for escrow in self.escrows)
        if wrong is not None:
            raise ErrBadGenesis(f"escrow genesis: escrow ids must increase (at {wrong})")


class EscrowModule(RecordGenesisModule[EscrowKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES
    GENESIS = EscrowGenesis
    GENESIS_ERROR = ErrBadGenesis

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        genesis = parse_genesis(EscrowGenesis, state, ErrBadGenesis)
        with genesis_errors(ErrBadGenesis, EscrowGenesis.WHAT):
            for escrow in genesis.escrows:
                self.keeper.import_escrow(ctx, escrow)
            problem = self._frozen_covers_open(ctx.store)
            if problem:
                raise ErrBadGenesis(f"escrow genesis: {problem}")

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        return EscrowGenesis(tuple(self.keeper.escrows(reader))).to_json()

    def end_block(self, ctx: Context) -> None:
        self.keeper.refund_due(ctx)

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [("escrow/frozen-covers-open", self._frozen_covers_open)]

    def _frozen_covers_open(self, reader: KVReader) -> str | None:
        """Per holding: the locked total is the sum of its open escrows' amounts, and the
        bank's frozen amount covers it (other freezes may add to it, never take from it)."""
        sums: dict[tuple[str, str], int] = {}
        for escrow in self.keeper.escrows(reader):
            if escrow.is_open:
                key = (escrow.payer, escrow.asset)
                sums[key] = sums.get(key, 0) + escrow.amount
        locked = {(a, s): amount for a, s, amount in self.keeper.all_locked(reader)}
        if locked != sums:
            wrong = sorted(k for k in locked.keys() | sums if locked.get(k) != sums.get(k))
            return f"locked totals disagree with the open escrows for {wrong}"
        for (account, asset), amount in sorted(locked.items()):
            frozen = self.keeper.bank_frozen(reader, account, asset)
            if frozen < amount:
                return f"{account} has {frozen} {asset} frozen, below the {amount} escrowed"
        return None


__all__ = ["NAME", "EscrowGenesis", "EscrowModule"]
