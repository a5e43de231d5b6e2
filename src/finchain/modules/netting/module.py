"""The netting module: clearing cycles of payment obligations, netted and settled at a cut-off.

Genesis: none. The default genesis writes no state, and the module takes no
genesis section (cycles are short-lived: a chain carried to a new genesis is
exported between cycles).
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.module import Invariant, KeeperModule
from finchain.modules.netting import handlers, queries
from finchain.modules.netting.keeper import NettingKeeper
from finchain.modules.netting.keys import BATCHES, DUE_HEIGHT, DUE_TIME, STORE
from finchain.modules.netting.types import OPEN, SETTLED

NAME = "netting"


class NettingModule(KeeperModule[NettingKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES

    def end_block(self, ctx: Context) -> None:
        self.keeper.settle_due(ctx)

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [("netting/cycles-consistent", self._cycles_consistent)]

    def _cycles_consistent(self, reader: KVReader) -> str | None:
        """Counts match the stored batches; an open cycle is due exactly once at its cut-off;
        a settled cycle's nets sum to zero and its report adds up."""
        due = {cid: key for key, cid in DUE_HEIGHT.keys(reader)}
        due_time = {cid: key for key, cid in DUE_TIME.keys(reader)}
        if due.keys() & due_time.keys():
            return "a cycle is due both at a height and at a time"
        due.update(due_time)
        k = self.keeper
        for cycle in k.cycles(reader):
            batches = count = gross = 0
            for _, batch in BATCHES.iterate(reader, prefix=(cycle.id,)):
                batches += 1
                count += len(batch.amounts)
                gross += sum(batch.amounts)
            if (batches, count, gross) != (cycle.batches, cycle.obligations, cycle.gross):
                return f"cycle {cycle.id}: its counts disagree with its stored obligations"
            cut_off = cycle.close_height or cycle.close_time_ns
            if (cycle.status == OPEN) != (due.pop(cycle.id, None) == cut_off):
                return f"cycle {cycle.id}: due index disagrees with its status {cycle.status}"
            report = k.report(reader, cycle.id)
            if cycle.status == OPEN:
                if report is not None:
                    return f"cycle {cycle.id} is open but has a report"
                continue
            if report is None:
                return f"cycle {cycle.id} is {cycle.status} without a report"
            nets = k.positions(reader, cycle.id)
            if sorted(nets) != list(cycle.members) or sum(nets.values()) != 0:
                return f"cycle {cycle.id}: positions do not cover the members or sum to 0"
            net = sum(-n for n in nets.values() if n < 0)
            if (
                report.net != net
                or report.saved != report.gross - report.net
                or report.saved < 0
                or report.gross + report.removed_value != cycle.gross
                or report.settled + report.removed != cycle.obligations
                or (report.status == SETTLED) != (cycle.status == SETTLED)
            ):
                return f"cycle {cycle.id}: its report does not add up"
        if due:
            return f"due index names cycles that do not exist: {sorted(due)}"
        return None


__all__ = ["NAME", "NettingModule"]
