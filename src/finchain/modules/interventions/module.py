"""The interventions module: freezes, pauses and forced transfers under m-of-n officer control.

Genesis: ``app_state["interventions"] = {"officers": {...}, "interventions": [...]}``:
the officer set and threshold (empty by default) and every intervention in id
order, in the form the ``interventions/intervention`` query answers. The bank's
and the accounts' genesis carry the frozen amounts and the frozen status; a
pause in effect is set again in the bank at import. The default writes nothing.

End of block: proposals whose approval deadline has come lapse; freezes and
pauses whose expiry (height or time) has come are lifted, in id order, read
from queues keyed by deadline (work proportional to what is due).
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
from finchain.modules.interventions import handlers, queries
from finchain.modules.interventions.errors import ErrBadGenesis
from finchain.modules.interventions.keeper import InterventionsKeeper
from finchain.modules.interventions.keys import STORE
from finchain.modules.interventions.types import (
    FREEZE_ACCOUNT,
    FREEZE_AMOUNT,
    IN_EFFECT,
    PAUSE_ASSET,
    Intervention,
    Officers,
)

NAME = "interventions"
_MAX_GENESIS = 10_000_000


@dataclass(frozen=True, slots=True)
class InterventionsGenesis(Record):
    WHAT = "interventions genesis"
    officers: Officers = wire(Nested(Officers), default=Officers())
    interventions: tuple[Intervention, ...] = wire(
        ListOf(Nested(Intervention), max_items=_MAX_GENESIS), default=()
    )

    def check(self) -> None:
        wrong = first_id_out_of_order(found.id for found in self.interventions)
        if wrong is not None:
            raise ErrBadGenesis(f"interventions genesis: ids must increase (at {wrong})")


class InterventionsModule(RecordGenesisModule[InterventionsKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES
    GENESIS = InterventionsGenesis
    GENESIS_ERROR = ErrBadGenesis

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        genesis = parse_genesis(InterventionsGenesis, state, ErrBadGenesis)
        with genesis_errors(ErrBadGenesis, InterventionsGenesis.WHAT):
            self.keeper.import_officers(ctx, genesis.officers)
            for found in genesis.interventions:
                self.keeper.import_intervention(ctx, found)
            problem = self._holds_match(ctx.store)
            if problem:
                raise ErrBadGenesis(f"interventions genesis: {problem}")

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        k = self.keeper
        return InterventionsGenesis(k.officers(reader), tuple(k.interventions(reader))).to_json()

    def end_block(self, ctx: Context) -> None:
        self.keeper.end_block(ctx)

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [("interventions/holds-match", self._holds_match)]

    def _holds_match(self, reader: KVReader) -> str | None:
        """What freezes and pauses in effect hold matches the bank and the accounts.

        Per holding: the held total is the sum of its amount freezes in effect, and
        the bank's frozen amount covers it (escrow's and other holds add to it).
        Each account freeze and pause in effect is the one recorded for its account
        or asset. Reads only the interventions in effect (the ``by_status`` index).
        """
        k = self.keeper
        sums: dict[tuple[str, str], int] = {}
        for intervention_id in k.ids_by(reader, "by_status", IN_EFFECT):
            found = k.require(reader, intervention_id)
            if found.kind == FREEZE_AMOUNT:
                key = (found.account, found.asset)
                sums[key] = sums.get(key, 0) + found.held
            elif (
                found.kind == FREEZE_ACCOUNT
                and k.frozen_account_by(reader, found.account) != found.id
            ):
                return f"account {found.account} is not recorded as frozen by {found.id}"
            elif found.kind == PAUSE_ASSET and k.paused_asset_by(reader, found.asset) != found.id:
                return f"asset {found.asset} is not recorded as paused by {found.id}"
        held = {(a, s): amount for a, s, amount in k.all_held(reader)}
        if held != sums:
            wrong = sorted(x for x in held.keys() | sums if held.get(x) != sums.get(x))
            return f"held totals disagree with the freezes in effect for {wrong}"
        for (account, asset), amount in sorted(held.items()):
            frozen = k.bank_frozen(reader, account, asset)
            if frozen < amount:
                return f"{account} has {frozen} {asset} frozen, below the {amount} held"
        return None


__all__ = ["NAME", "InterventionsGenesis", "InterventionsModule"]
