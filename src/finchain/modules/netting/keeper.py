"""The only code that reads or writes the netting module's state (``keys.py``).

A cycle's life: ``open_cycle`` (the signer becomes its operator), ``submit`` by
members until the cut-off, then ``settle_due`` in the end-block of the first block
at or after the cut-off: the nets are computed from the stored obligations, the
shortfall rule applied (``clearing.clear``), and the nets moved by the bank in one
cached branch, written only if every transfer succeeds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from finchain.codec import MAX_AMOUNT
from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.errors import FinchainError
from finchain.modules.netting import events
from finchain.modules.netting.clearing import Obligation, Outcome, clear, pair_transfers
from finchain.modules.netting.deps import AccountStatusView, Bank
from finchain.modules.netting.errors import (
    ErrBadClose,
    ErrCycleClosed,
    ErrInvalidMember,
    ErrNotMember,
    ErrOverflow,
    ErrSelfObligation,
    ErrUnknownAsset,
    ErrUnknownCycle,
    ErrWrongAsset,
)
from finchain.modules.netting.keys import (
    BATCHES,
    CYCLES,
    DUE_HEIGHT,
    DUE_TIME,
    NEXT_ID,
    POSITIONS,
    REPORTS,
    UNSETTLED,
    UNSETTLED_CHUNK,
    Batch,
)
from finchain.modules.netting.types import (
    FAILED,
    MAX_CYCLE_BLOCKS,
    MAX_CYCLE_NS,
    OPEN,
    SETTLED,
    SETTLEMENT_FAILED,
    Cycle,
    Report,
)


@dataclass(frozen=True, slots=True)
class CycleState:
    """Everything stored about one cycle (genesis export and import)."""

    cycle: Cycle
    batches: tuple[Batch, ...]
    report: Report | None
    positions: tuple[tuple[str, int], ...]
    unsettled: tuple[tuple[int, int, str, str, int, str], ...]


class NettingView:
    """Read-only access on any reader."""

    def cycle(self, reader: KVReader, cycle_id: int) -> Cycle | None:
        return CYCLES.get(reader, cycle_id)

    def require_cycle(self, reader: KVReader, cycle_id: int) -> Cycle:
        found = CYCLES.get(reader, cycle_id)
        if found is None:
            raise ErrUnknownCycle(
                f"no clearing cycle {cycle_id}: check the id (netting/cycle lists it)"
            )
        return found

    def cycles(self, reader: KVReader) -> Iterator[Cycle]:
        return CYCLES.values(reader)

    def report(self, reader: KVReader, cycle_id: int) -> Report | None:
        return REPORTS.get(reader, cycle_id)

    def positions(self, reader: KVReader, cycle_id: int) -> dict[str, int]:
        """Each member's settled net (received - paid), in account-id order."""
        return {m: int(net) for (_, m), net in POSITIONS.iterate(reader, prefix=(cycle_id,))}

    def obligations(self, reader: KVReader, cycle: Cycle) -> Iterator[Obligation]:
        """Every obligation of ``cycle`` in submission order (batch, then place in it)."""
        members = cycle.members
        for (_, batch), entry in BATCHES.iterate(reader, prefix=(cycle.id,)):
            payer = members[entry.payer]
            for index, (payee, amount) in enumerate(zip(entry.payees, entry.amounts, strict=True)):
                yield Obligation(batch, index, payer, members[payee], amount)

    def next_id(self, reader: KVReader) -> int:
        return NEXT_ID.peek(reader)

    def export_cycles(self, reader: KVReader) -> Iterator[CycleState]:
        """Every cycle with all its stored state, in id order."""
        for cycle in self.cycles(reader):
            batches = tuple(b for _, b in BATCHES.iterate(reader, prefix=(cycle.id,)))
            unsettled = tuple(
                (ob.batch, ob.index, ob.payer, ob.payee, ob.amount, reason)
                for _, ob, reason in self.unsettled(reader, cycle.id, 0, cycle.obligations)
            )
            yield CycleState(
                cycle,
                batches,
                self.report(reader, cycle.id),
                tuple(self.positions(reader, cycle.id).items()),
                unsettled,
            )

    def unsettled(
        self, reader: KVReader, cycle_id: int, start: int, limit: int
    ) -> list[tuple[int, Obligation, str]]:
        """Removed obligations ``start .. start + limit - 1`` (in removal order) with reasons."""
        found: list[tuple[int, Obligation, str]] = []
        k = start
        while len(found) < limit:
            chunk, offset = divmod(k, UNSETTLED_CHUNK)
            entries = UNSETTLED.get(reader, (cycle_id, chunk))
            if entries is None or offset >= len(entries):
                break
            for batch, index, payer, payee, amount, reason in entries[offset:]:
                found.append((k, Obligation(batch, index, payer, payee, int(amount)), reason))
                k += 1
                if len(found) == limit:
                    break
        return found


class NettingKeeper(NettingView):
    """Opens cycles, takes obligations, settles cycles that are due.

    Parameters:
        bank: the settlement asset, spendable balances and transfers.
        accounts: account status (members must be active; see ``settle``).
    """

    def __init__(self, bank: Bank, accounts: AccountStatusView) -> None:
        self._bank = bank
        self._accounts = accounts

    def open_cycle(
        self,
        ctx: Context,
        operator: str,
        asset: str,
        members: tuple[str, ...],
        close_height: int,
        close_time_ns: int,
    ) -> int:
        """A new open cycle with ``operator`` as its operator; returns its id."""
        if self._bank.get_asset(ctx.store, asset) is None:
            raise ErrUnknownAsset(f"asset {asset} does not exist: check the symbol")
        if close_height and not ctx.height < close_height <= ctx.height + MAX_CYCLE_BLOCKS:
            raise ErrBadClose(
                f"close_height must be in ({ctx.height}, {ctx.height + MAX_CYCLE_BLOCKS}]"
            )
        if close_time_ns and not ctx.time_ns < close_time_ns <= ctx.time_ns + MAX_CYCLE_NS:
            raise ErrBadClose(
                f"close_time_ns must be after this block's time {ctx.time_ns} and at most "
                "31 days ahead"
            )
        for member in members:
            if self._accounts.status(ctx.store, member) is not AccountStatus.ACTIVE:
                raise ErrInvalidMember(
                    f"member {member} does not exist or is not active: check the id"
                )
        cycle_id = NEXT_ID.next(ctx)
        cycle = Cycle(
            cycle_id, operator, asset, members, close_height, close_time_ns, ctx.height,
            OPEN, 0, 0, 0,
        )  # fmt: skip
        CYCLES.set(ctx, cycle_id, cycle)
        if close_height:
            DUE_HEIGHT.set(ctx, (close_height, cycle_id), b"")
        else:
            DUE_TIME.set(ctx, (close_time_ns, cycle_id), b"")
        ctx.emit(
            events.cycle_opened(
                cycle_id, operator, asset, len(members), close_height, close_time_ns
            )
        )
        return cycle_id

    def submit(
        self,
        ctx: Context,
        payer: str,
        cycle_id: int,
        asset: str,
        obligations: tuple[tuple[str, int], ...],
    ) -> int:
        """Store ``payer``'s obligations ``(payee, amount)`` as the cycle's next batch."""
        cycle = self.require_cycle(ctx.store, cycle_id)
        if cycle.status != OPEN or cycle.due(ctx.height, ctx.time_ns):
            raise ErrCycleClosed(
                f"cycle {cycle_id} is past its cut-off and takes no more obligations: "
                "submit them to a later cycle"
            )
        if asset != cycle.asset:
            raise ErrWrongAsset(f"cycle {cycle_id} settles in {cycle.asset}, not {asset}")
        index = {member: i for i, member in enumerate(cycle.members)}
        if payer not in index:
            raise ErrNotMember(f"payer {payer} is not a member of cycle {cycle_id}")
        payees = []
        for i, (payee, _) in enumerate(obligations):
            if payee == payer:
                raise ErrSelfObligation(f"obligation #{i} names the payer {payer} as payee")
            found = index.get(payee)
            if found is None:
                raise ErrNotMember(
                    f"obligation #{i}: payee {payee} is not a member of cycle {cycle_id}"
                )
            payees.append(found)
        value = sum(amount for _, amount in obligations)
        if cycle.gross + value > MAX_AMOUNT:
            raise ErrOverflow(
                f"cycle {cycle_id} would exceed 2^127 - 1 gross: submit to another cycle"
            )
        batch = cycle.batches
        amounts = tuple(amount for _, amount in obligations)
        BATCHES.set(ctx, (cycle_id, batch), Batch(index[payer], tuple(payees), amounts))
        CYCLES.set(
            ctx,
            cycle_id,
            replace(
                cycle,
                batches=batch + 1,
                obligations=cycle.obligations + len(obligations),
                gross=cycle.gross + value,
            ),
        )
        ctx.emit(events.submitted(cycle_id, payer, batch, len(obligations), value))
        return batch

    def import_cycle(self, ctx: Context, state: CycleState) -> None:
        """Genesis: store a cycle exported by ``export_cycles``, as it was stored."""
        cycle = state.cycle
        CYCLES.set(ctx, cycle.id, cycle)
        for batch, entry in enumerate(state.batches):
            BATCHES.set(ctx, (cycle.id, batch), entry)
        if cycle.status == OPEN:
            if cycle.close_height:
                DUE_HEIGHT.set(ctx, (cycle.close_height, cycle.id), b"")
            else:
                DUE_TIME.set(ctx, (cycle.close_time_ns, cycle.id), b"")
            return
        if state.report is not None:
            REPORTS.set(ctx, cycle.id, state.report)
        for member, net in state.positions:
            POSITIONS.set(ctx, (cycle.id, member), str(net))
        self._write_unsettled(ctx, cycle.id, state.unsettled)

    def set_next_id(self, ctx: Context, next_id: int) -> None:
        NEXT_ID.set(ctx, next_id)

    def settle_due(self, ctx: Context) -> None:
        """End-block: settle every open cycle whose cut-off this block reached, in order of
        cut-off height, then of cut-off time (each then by id)."""
        due: list[int] = []
        for index, now in ((DUE_HEIGHT, ctx.height), (DUE_TIME, ctx.time_ns)):
            reached: list[tuple[int, int]] = []
            for key in index.keys(ctx.store):  # in cut-off order: stop at the first ahead
                if key[0] > now:
                    break
                reached.append(key)
            for key in reached:
                index.remove(ctx, key)
                due.append(key[1])
        for cycle_id in due:
            self.settle(ctx, self.require_cycle(ctx.store, cycle_id))

    def settle(self, ctx: Context, cycle: Cycle) -> Report:
        """Net and settle ``cycle`` atomically (PFMI 8: final at this block).

        Liquidity: a member's spendable balance of the asset (frozen amounts excluded),
        0 for a member whose account is frozen or closed (it may not pay). Obligations
        to a closed account, and those of a frozen payer, are removed first. If the bank
        refuses a transfer anyway (no current bank rule does after this: a guard so that
        a later rule can never halt the chain at a close), nothing moves: the cycle is
        ``failed`` and every obligation reported unsettled.
        """
        obligations = list(self.obligations(ctx.store, cycle))
        liquidity: dict[str, int] = {}
        closed: set[str] = set()
        frozen: set[str] = set()
        for member in cycle.members:
            account = self._accounts.status(ctx.store, member)
            if account is AccountStatus.ACTIVE:
                liquidity[member] = self._bank.spendable(ctx.store, member, cycle.asset)
            else:
                liquidity[member] = 0
                (frozen if account is AccountStatus.FROZEN else closed).add(member)
        outcome = clear(cycle.members, obligations, liquidity, closed, frozen)
        transfers = pair_transfers(outcome.nets)
        branch, write = ctx.cached()
        try:
            for payer, payee, amount in transfers:
                self._bank.transfer(branch, payer, payee, cycle.asset, amount)
        except FinchainError:
            outcome = Outcome(dict.fromkeys(cycle.members, 0))
            outcome.removed = [(ob, SETTLEMENT_FAILED) for ob in obligations]
            transfers = []
            status = FAILED
        else:
            write()
            status = SETTLED
        return self._record(ctx, cycle, outcome, len(transfers), status)

    def _record(
        self, ctx: Context, cycle: Cycle, outcome: Outcome, transfers: int, status: str
    ) -> Report:
        """Write and announce what the settlement did."""
        removed_value = sum(ob.amount for ob, _ in outcome.removed)
        self._write_unsettled(
            ctx,
            cycle.id,
            [
                (ob.batch, ob.index, ob.payer, ob.payee, ob.amount, reason)
                for ob, reason in outcome.removed
            ],
        )
        # one event per (batch, reason), in the order of their first removal
        grouped: dict[tuple[int, str], list[Obligation]] = {}
        for ob, reason in outcome.removed:
            grouped.setdefault((ob.batch, reason), []).append(ob)
        for (batch, reason), obs in grouped.items():
            ctx.emit(events.unsettled(cycle.id, batch, obs[0].payer, obs, reason))
        for member, net in outcome.nets.items():
            POSITIONS.set(ctx, (cycle.id, member), str(net))
            ctx.emit(events.position(cycle.id, member, net))
        gross = outcome.gross
        net = outcome.net
        report = Report(
            cycle.id, ctx.height, ctx.time_ns, status, cycle.gross, gross, net, gross - net,
            cycle.obligations - len(outcome.removed), len(outcome.removed), removed_value,
            transfers,
        )  # fmt: skip
        REPORTS.set(ctx, cycle.id, report)
        CYCLES.set(ctx, cycle.id, replace(cycle, status=status))
        ctx.emit(events.cycle_settled(report))
        return report

    def _write_unsettled(
        self,
        ctx: Context,
        cycle_id: int,
        removed: Sequence[tuple[int, int, str, str, int, str]],
    ) -> None:
        """The removed obligations, in removal order, ``UNSETTLED_CHUNK`` to a key."""
        entries = [
            [b, i, payer, payee, str(amount), r] for b, i, payer, payee, amount, r in removed
        ]
        for chunk, at in enumerate(range(0, len(entries), UNSETTLED_CHUNK)):
            UNSETTLED.set(ctx, (cycle_id, chunk), entries[at : at + UNSETTLED_CHUNK])
