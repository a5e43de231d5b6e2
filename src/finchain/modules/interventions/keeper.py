"""The only code that reads or writes the interventions module's state (``keys.py``).

An intervention is proposed by an authorised officer (whose proposal is the
first approval) and runs in the transaction that brings its approvals to the
threshold fixed when it was proposed. Freezes and pauses then hold (``in_effect``)
until an undoing intervention or their expiry lifts them; every other kind acts
once (``done``). A proposal still short of approvals at the end of its deadline
height lapses. Records are never deleted.

Amount freezes use the bank's frozen amount (reason ``intervention <id>``).
Other modules (escrow, lending) freeze amounts of the same holding; an
intervention only ever unfreezes what it froze itself (``Intervention.held``,
summed per holding in ``HELD``).

Keeper methods other modules may call (through a Protocol in their ``deps.py``):
the views ``get``, ``require``, ``held``, ``officers``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.errors import FinchainError
from finchain.modules.interventions import events
from finchain.modules.interventions.deps import AccountControls, BankControls
from finchain.modules.interventions.errors import (
    ErrAlreadyApproved,
    ErrAlreadyInEffect,
    ErrBadDeadline,
    ErrBadOfficers,
    ErrBadTarget,
    ErrExceedsHold,
    ErrNotOfficer,
    ErrNotProposed,
    ErrProposalLapsed,
    ErrUnknownAccount,
    ErrUnknownAsset,
    ErrUnknownIntervention,
)
from finchain.modules.interventions.keys import (
    ACCOUNT_FROZEN_BY,
    ASSET_PAUSED_BY,
    DUE_BY_HEIGHT,
    DUE_BY_TIME,
    HELD,
    INTERVENTIONS,
    LAPSE_BY_HEIGHT,
    NEXT_ID,
    OFFICERS,
)
from finchain.modules.interventions.types import (
    DONE,
    FORCED_TRANSFER,
    FREEZE_ACCOUNT,
    FREEZE_AMOUNT,
    IN_EFFECT,
    LAPSED,
    LIFTED,
    PAUSE_ASSET,
    PROPOSED,
    RESUME_ASSET,
    UNDOES,
    UNFREEZE_ACCOUNT,
    UNFREEZE_AMOUNT,
    Approval,
    Intervention,
    Officers,
    check_draft,
)

EXPIRY = "expiry"
"""``closed_by`` of a freeze or pause lifted at its expiry."""
NO_OFFICERS = Officers()


def reason_of(intervention_id: int) -> str:
    """The reason the bank's and accounts' events carry for an intervention's action."""
    return f"intervention {intervention_id}"


class InterventionsView:
    """Read-only access on any reader."""

    _bank: BankControls

    def officers(self, reader: KVReader) -> Officers:
        return OFFICERS.get(reader) or NO_OFFICERS

    def get(self, reader: KVReader, intervention_id: int) -> Intervention | None:
        return INTERVENTIONS.get(reader, intervention_id)

    def require(self, reader: KVReader, intervention_id: int) -> Intervention:
        found = INTERVENTIONS.get(reader, intervention_id)
        if found is None:
            raise ErrUnknownIntervention(f"no intervention has id {intervention_id}: check the id")
        return found

    def interventions(self, reader: KVReader) -> Iterator[Intervention]:
        """Every intervention in id order (genesis export, invariants)."""
        return INTERVENTIONS.values(reader)

    def ids_by(self, reader: KVReader, index: str, key: str) -> Iterator[int]:
        """Ids filed under ``key`` in ``by_account``, ``by_recipient`` or ``by_status``, in id
        order."""
        return INTERVENTIONS.by(index, reader, key)

    def held(self, reader: KVReader, account: str, asset: str) -> int:
        """How much of ``account``'s ``asset`` amount freezes in effect hold frozen."""
        return HELD.get(reader, (account, asset)) or 0

    def all_held(self, reader: KVReader) -> Iterator[tuple[str, str, int]]:
        for (account, asset), amount in HELD.iterate(reader):
            yield account, asset, amount

    def bank_frozen(self, reader: KVReader, account: str, asset: str) -> int:
        return self._bank.frozen(reader, account, asset)

    def frozen_account_by(self, reader: KVReader, account: str) -> int | None:
        return ACCOUNT_FROZEN_BY.get(reader, account)

    def paused_asset_by(self, reader: KVReader, asset: str) -> int | None:
        return ASSET_PAUSED_BY.get(reader, asset)

    def due(self, reader: KVReader, height: int, time_ns: int) -> list[int]:
        """Ids of freezes and pauses whose expiry is at or before (``height``, ``time_ns``).

        Reads each queue up to the first deadline still ahead: the cost is the
        number due, never the number in effect.
        """
        found: set[int] = set()
        for (deadline, intervention_id), _ in DUE_BY_HEIGHT.iterate(reader):
            if deadline > height:
                break
            found.add(intervention_id)
        for (deadline, intervention_id), _ in DUE_BY_TIME.iterate(reader):
            if deadline > time_ns:
                break
            found.add(intervention_id)
        return sorted(found)

    def lapsing(self, reader: KVReader, height: int) -> list[int]:
        """Ids of proposals whose approval deadline is at or before ``height``."""
        found = []
        for (deadline, intervention_id), _ in LAPSE_BY_HEIGHT.iterate(reader):
            if deadline > height:
                break
            found.append(intervention_id)
        return sorted(found)


class InterventionsKeeper(InterventionsView):
    """Proposes, approves, executes, lifts and lapses interventions.

    Parameters:
        bank: amount freezes, pausing, forced transfers.
        accounts: account status (freezing an account) and existence checks.
    """

    def __init__(self, bank: BankControls, accounts: AccountControls) -> None:
        self._bank = bank
        self._accounts = accounts

    # -- governance -------------------------------------------------------------------------

    def set_officers(self, ctx: Context, officers: tuple[str, ...], threshold: int) -> None:
        """Replace the officer set (governance only; the handler checks). Proposals already
        made keep the threshold they were made with; approvals count only from officers."""
        if not officers or not 1 <= threshold <= len(officers):
            raise ErrBadOfficers(
                f"threshold {threshold} with {len(officers)} officers: name at least one "
                "officer and a threshold m with 1 <= m <= n"
            )
        for officer in officers:
            status = self._accounts.status(ctx.store, officer)
            if status is None or status is AccountStatus.CLOSED:
                raise ErrBadOfficers(f"officer {officer} does not exist or is closed")
        OFFICERS.set(ctx, Officers(tuple(sorted(officers)), threshold))
        ctx.emit(events.officers_set(tuple(sorted(officers)), threshold))

    # -- proposals and approvals ------------------------------------------------------------

    def propose(
        self,
        ctx: Context,
        proposer: str,
        kind: str,
        *,
        account: str = "",
        to: str = "",
        asset: str = "",
        amount: int = 0,
        target: int = 0,
        order_hash_alg: str = "",
        order_hash: bytes = b"",
        legal_basis: str,
        expiry_height: int = 0,
        expiry_time: int = 0,
        deadline_height: int,
    ) -> int:
        """Record an intervention approved by its proposer; run it if that is enough.

        Returns its id. ``deadline_height``: the last height at which approvals count.
        """
        officers = self.officers(ctx.store)
        self._require_officer(officers, proposer)
        check_draft(
            kind, account, to, asset, amount, target, order_hash_alg, order_hash,
            expiry_height, expiry_time,
        )  # fmt: skip
        if deadline_height < ctx.height:
            raise ErrBadDeadline(
                f"approval deadline {deadline_height} is before the current height {ctx.height}"
            )
        if (expiry_height and expiry_height <= ctx.height) or (
            expiry_time and expiry_time <= ctx.time_ns
        ):
            raise ErrBadDeadline("the expiry must be after the current block (height and time)")
        if kind in UNDOES:
            undone = self._require_target(ctx.store, kind, target, amount)
            account, asset = undone.account, undone.asset
        intervention_id = NEXT_ID.peek(ctx.store)
        draft = Intervention(
            id=intervention_id,
            kind=kind,
            proposer=proposer,
            account=account,
            to=to,
            asset=asset,
            amount=amount,
            target=target,
            order_hash_alg=order_hash_alg,
            order_hash=order_hash,
            legal_basis=legal_basis,
            expiry_height=expiry_height,
            expiry_time=expiry_time,
            deadline_height=deadline_height,
            threshold=officers.threshold,
            approvals=(Approval(proposer, ctx.height, ctx.time_ns),),
            status=PROPOSED,
            held=0,
            proposed_height=ctx.height,
            executed_height=0,
            closed_height=0,
            closed_by="",
        )
        self._check_state(ctx.store, draft)
        NEXT_ID.next(ctx)
        INTERVENTIONS.set(ctx, intervention_id, draft, previous=None)
        ctx.emit(events.proposed(draft))
        ctx.emit(events.approved(draft, proposer))
        if len(draft.approvals) >= draft.threshold:
            self._execute(ctx, draft)
        else:
            LAPSE_BY_HEIGHT.set(ctx, (deadline_height, intervention_id), b"")
        return intervention_id

    def approve(self, ctx: Context, officer: str, intervention_id: int) -> None:
        """Add ``officer``'s approval; at the threshold the intervention runs now."""
        self._require_officer(self.officers(ctx.store), officer)
        found = self.require(ctx.store, intervention_id)
        if found.status == LAPSED or (
            found.status == PROPOSED and ctx.height > found.deadline_height
        ):
            raise ErrProposalLapsed(
                f"intervention {intervention_id} lapsed after height {found.deadline_height}: "
                "propose it again"
            )
        if found.status != PROPOSED:
            raise ErrNotProposed(
                f"intervention {intervention_id} is {found.status}: nothing left to approve"
            )
        if found.has_approved(officer):
            raise ErrAlreadyApproved(
                f"{officer} has already approved intervention {intervention_id}"
            )
        updated = replace(
            found, approvals=(*found.approvals, Approval(officer, ctx.height, ctx.time_ns))
        )
        INTERVENTIONS.set(ctx, intervention_id, updated, previous=found)
        ctx.emit(events.approved(updated, officer))
        if len(updated.approvals) >= updated.threshold:
            LAPSE_BY_HEIGHT.remove(ctx, (updated.deadline_height, intervention_id))
            self._execute(ctx, updated)

    # -- end of block -----------------------------------------------------------------------

    def end_block(self, ctx: Context) -> None:
        """Lapse proposals at their deadline, then lift freezes and pauses at their expiry.

        Each lift is all or nothing; one that fails (it cannot while the module
        invariant holds) emits ``intervention_lift_failed`` and is tried again next block.
        """
        for intervention_id in self.lapsing(ctx.store, ctx.height):
            found = self.require(ctx.store, intervention_id)
            LAPSE_BY_HEIGHT.remove(ctx, (found.deadline_height, intervention_id))
            closed = found.with_status(LAPSED, ctx.height)
            INTERVENTIONS.set(ctx, intervention_id, closed, previous=found)
            ctx.emit(events.lapsed(closed))
        for intervention_id in self.due(ctx.store, ctx.height, ctx.time_ns):
            found = self.require(ctx.store, intervention_id)
            branch, write = ctx.cached()
            try:
                self._lift(branch, found, EXPIRY)
            except FinchainError as exc:
                ctx.emit(events.lift_failed(found, exc.message))
                continue
            write()

    # -- genesis ----------------------------------------------------------------------------

    def import_officers(self, ctx: Context, officers: Officers) -> None:
        if officers.officers:
            self.set_officers(ctx, officers.officers, officers.threshold)

    def import_intervention(self, ctx: Context, found: Intervention) -> None:
        """Genesis: store an exported intervention and rebuild what it holds.

        The bank's genesis carries the frozen amounts and the accounts' genesis
        the frozen status; a pause is set again in the bank here.
        """
        INTERVENTIONS.set(ctx, found.id, found, previous=None)
        if found.status == PROPOSED:
            LAPSE_BY_HEIGHT.set(ctx, (found.deadline_height, found.id), b"")
        if found.status == IN_EFFECT:
            self._enqueue(ctx, found)
            if found.kind == FREEZE_ACCOUNT:
                ACCOUNT_FROZEN_BY.set(ctx, found.account, found.id)
            elif found.kind == PAUSE_ASSET:
                ASSET_PAUSED_BY.set(ctx, found.asset, found.id)
                self._bank.set_paused(ctx, found.asset, True, reason_of(found.id))
            else:
                self._add_held(ctx, found.account, found.asset, found.held)
        NEXT_ID.set(ctx, max(NEXT_ID.peek(ctx.store), found.id + 1))

    # -- internals --------------------------------------------------------------------------

    def _require_officer(self, officers: Officers, account: str) -> None:
        if account not in officers.officers:
            raise ErrNotOfficer(
                f"{account} is not an authorised intervention officer (governance appoints them)"
            )

    def _require_target(
        self, reader: KVReader, kind: str, target: int, amount: int
    ) -> Intervention:
        undone = self.require(reader, target)
        if undone.kind != UNDOES[kind] or undone.status != IN_EFFECT:
            raise ErrBadTarget(
                f"a {kind} undoes a {UNDOES[kind]} in effect; intervention {target} is a "
                f"{undone.kind} that is {undone.status}"
            )
        if kind == UNFREEZE_AMOUNT and amount > undone.held:
            raise ErrExceedsHold(
                f"intervention {target} holds {undone.held} {undone.asset} frozen; "
                f"cannot unfreeze {amount}"
            )
        return undone

    def _require_account(self, reader: KVReader, account: str) -> AccountStatus:
        status = self._accounts.status(reader, account)
        if status is None or status is AccountStatus.CLOSED:
            raise ErrUnknownAccount(f"account {account} does not exist or is closed")
        return status

    def _check_state(self, reader: KVReader, draft: Intervention) -> None:
        """The refusals that depend on the state, run at the proposal and again at execution."""
        kind = draft.kind
        if kind in (FREEZE_ACCOUNT, FREEZE_AMOUNT, FORCED_TRANSFER):
            status = self._require_account(reader, draft.account)
            if kind == FREEZE_ACCOUNT and (
                status is AccountStatus.FROZEN or ACCOUNT_FROZEN_BY.has(reader, draft.account)
            ):
                raise ErrAlreadyInEffect(f"account {draft.account} is already frozen")
        if kind == FORCED_TRANSFER:
            self._require_account(reader, draft.to)
        needs_asset = kind in (FREEZE_AMOUNT, PAUSE_ASSET, FORCED_TRANSFER)
        if needs_asset and self._bank.get_asset(reader, draft.asset) is None:
            raise ErrUnknownAsset(f"asset {draft.asset} does not exist: check the symbol")
        if kind == PAUSE_ASSET and ASSET_PAUSED_BY.has(reader, draft.asset):
            raise ErrAlreadyInEffect(f"asset {draft.asset} is already paused")
        if kind in UNDOES:
            self._require_target(reader, kind, draft.target, draft.amount)

    def _execute(self, ctx: Context, draft: Intervention) -> None:
        """Run an intervention that has its approvals (inside the approving transaction)."""
        self._check_state(ctx.store, draft)
        reason = reason_of(draft.id)
        status, held = DONE, 0
        if draft.kind == FREEZE_ACCOUNT:
            self._accounts.set_status(ctx, draft.account, AccountStatus.FROZEN, reason)
            ACCOUNT_FROZEN_BY.set(ctx, draft.account, draft.id)
            status = IN_EFFECT
        elif draft.kind == FREEZE_AMOUNT:
            self._bank.freeze_amount(ctx, draft.account, draft.asset, draft.amount, reason)
            self._add_held(ctx, draft.account, draft.asset, draft.amount)
            status, held = IN_EFFECT, draft.amount
        elif draft.kind == PAUSE_ASSET:
            self._bank.set_paused(ctx, draft.asset, True, reason)
            ASSET_PAUSED_BY.set(ctx, draft.asset, draft.id)
            status = IN_EFFECT
        elif draft.kind == UNFREEZE_AMOUNT:
            undone = self.require(ctx.store, draft.target)
            self._bank.unfreeze_amount(ctx, draft.account, draft.asset, draft.amount, reason)
            self._add_held(ctx, draft.account, draft.asset, -draft.amount)
            rest = replace(undone, held=undone.held - draft.amount)
            INTERVENTIONS.set(ctx, undone.id, rest, previous=undone)
            if not rest.held:
                self._lift(ctx, rest, reason)
        elif draft.kind in (UNFREEZE_ACCOUNT, RESUME_ASSET):
            self._lift(ctx, self.require(ctx.store, draft.target), reason)
        else:  # FORCED_TRANSFER (a court order; a pause of the asset does not stop it)
            self._bank.transfer(
                ctx, draft.account, draft.to, draft.asset, draft.amount, forced=True
            )
        done = replace(
            draft,
            status=status,
            held=held,
            executed_height=ctx.height,
            closed_height=0 if status == IN_EFFECT else ctx.height,
        )
        INTERVENTIONS.set(ctx, draft.id, done)
        if status == IN_EFFECT:
            self._enqueue(ctx, done)
        ctx.emit(events.executed(done))

    def _lift(self, ctx: Context, found: Intervention, by: str) -> None:
        """End a freeze or pause in effect: release exactly what it holds."""
        reason = reason_of(found.id)
        if found.kind == FREEZE_ACCOUNT:
            if self._accounts.status(ctx.store, found.account) is AccountStatus.FROZEN:
                self._accounts.set_status(ctx, found.account, AccountStatus.ACTIVE, reason)
            ACCOUNT_FROZEN_BY.remove(ctx, found.account)
        elif found.kind == FREEZE_AMOUNT:
            if found.held:
                self._bank.unfreeze_amount(ctx, found.account, found.asset, found.held, reason)
                self._add_held(ctx, found.account, found.asset, -found.held)
        else:
            self._bank.set_paused(ctx, found.asset, False, reason)
            ASSET_PAUSED_BY.remove(ctx, found.asset)
        if found.expiry_height:
            DUE_BY_HEIGHT.remove(ctx, (found.expiry_height, found.id))
        if found.expiry_time:
            DUE_BY_TIME.remove(ctx, (found.expiry_time, found.id))
        closed = replace(found.with_status(LIFTED, ctx.height, by), held=0)
        INTERVENTIONS.set(ctx, found.id, closed, previous=found)
        ctx.emit(events.lifted(closed, by))

    def _enqueue(self, ctx: Context, found: Intervention) -> None:
        if found.expiry_height:
            DUE_BY_HEIGHT.set(ctx, (found.expiry_height, found.id), b"")
        if found.expiry_time:
            DUE_BY_TIME.set(ctx, (found.expiry_time, found.id), b"")

    def _add_held(self, ctx: Context, account: str, asset: str, delta: int) -> None:
        total = self.held(ctx.store, account, asset) + delta
        if total:
            HELD.set(ctx, (account, asset), total)
        else:
            HELD.remove(ctx, (account, asset))
