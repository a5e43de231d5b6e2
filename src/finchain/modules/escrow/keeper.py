"""The only code that reads or writes the escrow module's state (``keys.py``).

Locking is the bank's frozen amount, in the payer's own account: ``create``
freezes ``amount`` (reason ``escrow <id>``), and every way an escrow ends
unfreezes exactly that amount: a release then transfers it to the payee, a
refund or a cancellation leaves it with the payer, spendable again. Other
freezes of the same holding (a compliance hold) add to the same frozen total
and are never touched: escrow unfreezes only what it froze, which ``LOCKED``
counts per holding and the module invariant checks against the bank.

All ends go through ``_close``, which also takes the escrow off the expiry
queues, so an escrow is settled at most once.

Keeper methods other modules may call (through a Protocol in their ``deps.py``):
``create`` (with ``controller=<module name>`` for an escrow only that module
settles, e.g. loan collateral), ``release_controlled``, ``refund_controlled``,
and the views ``get``, ``require`` and ``locked``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.crypto import hash_bytes
from finchain.errors import FinchainError
from finchain.modules.escrow import events
from finchain.modules.escrow.deps import AccountStatusView, BankFreezes, EvidenceLookup
from finchain.modules.escrow.errors import (
    ErrAlreadyApproved,
    ErrAlreadyConsented,
    ErrBadDeadline,
    ErrControlled,
    ErrEvidenceIncomplete,
    ErrEvidenceMismatch,
    ErrEvidenceMissing,
    ErrExpired,
    ErrInsufficientFunds,
    ErrInvalidParty,
    ErrNotApproved,
    ErrNotApprover,
    ErrNotExpired,
    ErrNotOpen,
    ErrNotParty,
    ErrPayerFrozen,
    ErrTimeLocked,
    ErrUnknownAsset,
    ErrUnknownEscrow,
    ErrWrongPreimage,
)
from finchain.modules.escrow.keys import (
    DUE_BY_HEIGHT,
    DUE_BY_TIME,
    ESCROWS,
    LOCKED,
    NEXT_ID,
)
from finchain.modules.escrow.types import (
    CANCELLED,
    OPEN,
    REFUNDED,
    RELEASED,
    Approval,
    Conditions,
    Escrow,
    check_terms,
)

END_BLOCK = "end_block"
"""``closed_by`` of an escrow refunded automatically at its expiry."""


def freeze_reason(escrow_id: int) -> str:
    """The reason the bank's freeze events carry for an escrow's lock."""
    return f"escrow {escrow_id}"


class EscrowView:
    """Read-only access on any reader."""

    _bank: BankFreezes

    def get(self, reader: KVReader, escrow_id: int) -> Escrow | None:
        return ESCROWS.get(reader, escrow_id)

    def require(self, reader: KVReader, escrow_id: int) -> Escrow:
        found = ESCROWS.get(reader, escrow_id)
        if found is None:
            raise ErrUnknownEscrow(f"no escrow has id {escrow_id}: check the id")
        return found

    def locked(self, reader: KVReader, account: str, asset: str) -> int:
        """How much of ``account``'s ``asset`` open escrows hold frozen."""
        return LOCKED.get(reader, (account, asset)) or 0

    def all_locked(self, reader: KVReader) -> Iterator[tuple[str, str, int]]:
        """(payer, asset, locked) for every holding with open escrows, in key order."""
        for (account, asset), amount in LOCKED.iterate(reader):
            yield account, asset, amount

    def bank_frozen(self, reader: KVReader, account: str, asset: str) -> int:
        """The bank's whole frozen amount of the holding (escrow's and any other hold)."""
        return self._bank.frozen(reader, account, asset)

    def escrows(self, reader: KVReader) -> Iterator[Escrow]:
        """Every escrow in id order (genesis export, invariants)."""
        return ESCROWS.values(reader)

    def ids_of(self, reader: KVReader, role: str, account: str) -> Iterator[int]:
        """Ids of ``account``'s escrows as ``role`` (``payer`` or ``payee``), in id order."""
        return ESCROWS.by(f"by_{role}", reader, account)

    def next_id(self, reader: KVReader) -> int:
        return NEXT_ID.peek(reader)

    def due(self, reader: KVReader, height: int, time_ns: int) -> list[int]:
        """Ids of open escrows whose expiry is at or before (``height``, ``time_ns``), sorted.

        Reads each queue up to the first deadline still ahead: the cost is the
        number of escrows due, never the number open.
        """
        found: set[int] = set()
        for (deadline, escrow_id), _ in DUE_BY_HEIGHT.iterate(reader):
            if deadline > height:
                break
            found.add(escrow_id)
        for (deadline, escrow_id), _ in DUE_BY_TIME.iterate(reader):
            if deadline > time_ns:
                break
            found.add(escrow_id)
        return sorted(found)


class EscrowKeeper(EscrowView):
    """Creates and settles escrows.

    Parameters:
        bank: the frozen-amount mechanism and transfers.
        accounts: account status (parties must exist; a frozen payer does not pay out).
        evidence: evidence records, for the evidence condition.
    """

    def __init__(
        self, bank: BankFreezes, accounts: AccountStatusView, evidence: EvidenceLookup
    ) -> None:
        self._bank = bank
        self._accounts = accounts
        self._evidence = evidence

    # -- creating ---------------------------------------------------------------------------

    def create(
        self,
        ctx: Context,
        payer: str,
        payee: str,
        asset: str,
        amount: int,
        conditions: Conditions,
        *,
        expiry_height: int = 0,
        expiry_time: int = 0,
        reference: str = "",
        controller: str = "",
    ) -> Escrow:
        """Lock ``amount`` of ``payer``'s spendable ``asset`` for ``payee`` until the conditions
        hold (release) or the expiry passes (refund).

        ``controller``: a module name for an escrow that module settles through
        ``release_controlled`` / ``refund_controlled`` (it may then name no condition
        and no expiry); transactions cannot touch such an escrow.
        """
        check_terms(amount, conditions, expiry_height, expiry_time, controller)
        if expiry_height and expiry_height <= ctx.height:
            raise ErrBadDeadline(
                f"expiry height {expiry_height} is not after the current height {ctx.height}"
            )
        if expiry_time and expiry_time <= ctx.time_ns:
            raise ErrBadDeadline(
                f"expiry time {expiry_time} ns is not after the block time {ctx.time_ns} ns"
            )
        if self._bank.get_asset(ctx.store, asset) is None:
            raise ErrUnknownAsset(f"asset {asset} does not exist: check the symbol")
        if payee == payer:
            raise ErrInvalidParty("the payee must be another account than the payer")
        for account, role in ((payee, "payee"), *((a, "approver") for a in conditions.approvers)):
            self._require_party(ctx.store, account, role)
        spendable = self._bank.spendable(ctx.store, payer, asset)
        if spendable < amount:
            raise ErrInsufficientFunds(
                f"{payer} can lock at most {spendable} {asset} (its spendable balance), "
                f"not {amount}"
            )
        escrow = Escrow(
            id=NEXT_ID.peek(ctx.store),
            payer=payer,
            payee=payee,
            asset=asset,
            amount=amount,
            conditions=conditions,
            expiry_height=expiry_height,
            expiry_time=expiry_time,
            reference=reference,
            controller=controller,
            created_height=ctx.height,
            created_time=ctx.time_ns,
            status=OPEN,
            approvals=(),
            cancel_consents=(),
            preimage=b"",
            closed_height=0,
            closed_by="",
        )
        # a keeper caller's values pass the codecs a message's pass (reference, controller…),
        # so what is stored always reads back
        Escrow.from_obj(escrow.to_obj())
        NEXT_ID.next(ctx)
        self._bank.freeze_amount(ctx, payer, asset, amount, freeze_reason(escrow.id))
        self._add_locked(ctx, payer, asset, amount)
        ESCROWS.set(ctx, escrow.id, escrow)
        if expiry_height:
            DUE_BY_HEIGHT.set(ctx, (expiry_height, escrow.id), b"")
        if expiry_time:
            DUE_BY_TIME.set(ctx, (expiry_time, escrow.id), b"")
        ctx.emit(events.created(escrow))
        return escrow

    # -- messages ---------------------------------------------------------------------------

    def approve(self, ctx: Context, escrow_id: int, approver: str) -> Escrow:
        """``approver`` (one of the named approvers) approves the release."""
        escrow = self._require_settleable(ctx, escrow_id)
        if approver not in escrow.conditions.approvers:
            raise ErrNotApprover(
                f"{approver} is not an approver of escrow {escrow_id} "
                f"(approvers: {', '.join(escrow.conditions.approvers) or 'none'})"
            )
        if escrow.has_approved(approver):
            raise ErrAlreadyApproved(f"{approver} already approved escrow {escrow_id}")
        approvals = tuple(
            sorted((*escrow.approvals, Approval(approver, ctx.height)), key=lambda a: a.account)
        )
        updated = replace(escrow, approvals=approvals)
        ESCROWS.set(ctx, escrow_id, updated)
        ctx.emit(events.approved(updated, approver))
        return updated

    def release(self, ctx: Context, escrow_id: int, releaser: str, preimage: bytes) -> Escrow:
        """Pay the escrow to its payee if every condition holds now; anyone may ask.

        ``preimage`` is required (and recorded, and emitted) when the escrow has a
        hash lock; it must be empty otherwise.
        """
        escrow = self._require_settleable(ctx, escrow_id)
        self._check_conditions(ctx, escrow, preimage)
        return self._pay_out(ctx, escrow, releaser, preimage)

    def refund(self, ctx: Context, escrow_id: int, by: str) -> Escrow:
        """Return an expired escrow to its payer; anyone may ask (the outcome is fixed)."""
        escrow = self._require_open(ctx.store, escrow_id)
        if escrow.controller:
            raise self._controlled(escrow)
        if not escrow.expired_at(ctx.height, ctx.time_ns):
            raise ErrNotExpired(
                f"escrow {escrow_id} expires at {self._deadline(escrow)}: it can be refunded "
                "from then on (the payer and payee may cancel it together before)"
            )
        return self._close(ctx, escrow, REFUNDED, by)

    def consent_to_cancel(self, ctx: Context, escrow_id: int, party: str) -> Escrow:
        """The payer or the payee consents to cancel; the second consent cancels (refund)."""
        escrow = self._require_settleable(ctx, escrow_id)
        if party not in (escrow.payer, escrow.payee):
            raise ErrNotParty(
                f"{party} is neither the payer nor the payee of escrow {escrow_id}: "
                "a cancellation needs both of them"
            )
        if party in escrow.cancel_consents:
            raise ErrAlreadyConsented(
                f"{party} already consented to cancel escrow {escrow_id}: the other party "
                "must consent too"
            )
        consents = tuple(sorted((*escrow.cancel_consents, party)))
        updated = replace(escrow, cancel_consents=consents)
        ESCROWS.set(ctx, escrow_id, updated)
        ctx.emit(events.cancel_consented(updated, party))
        if set(consents) == {escrow.payer, escrow.payee}:
            return self._close(ctx, updated, CANCELLED, party)
        return updated

    # -- for the module that controls an escrow ---------------------------------------------

    def release_controlled(self, ctx: Context, escrow_id: int, controller: str) -> Escrow:
        """The controlling module pays the escrow to its payee (e.g. collateral on default).

        Named conditions still apply; a controller cannot bypass the payer-frozen rule.
        """
        escrow = self._require_controller(ctx, escrow_id, controller)
        self._check_conditions(ctx, escrow, b"")
        return self._pay_out(ctx, escrow, controller, b"")

    def refund_controlled(self, ctx: Context, escrow_id: int, controller: str) -> Escrow:
        """The controlling module returns the escrow to its payer (e.g. a repaid loan)."""
        escrow = self._require_controller(ctx, escrow_id, controller)
        return self._close(ctx, escrow, REFUNDED, controller)

    # -- end of block -----------------------------------------------------------------------

    def refund_due(self, ctx: Context) -> list[int]:
        """Refund every open escrow whose expiry has come (run at the end of each block).

        Each refund is all or nothing. One can only fail if another module has
        unfrozen part of the escrow's amount (which the module invariant reports):
        then ``escrow_refund_failed`` is emitted, the escrow stays open and due, and
        the next block tries again, rather than the block failing for every escrow.
        Returns the ids refunded.
        """
        refunded = []
        for escrow_id in self.due(ctx.store, ctx.height, ctx.time_ns):
            branch, write = ctx.cached()
            try:
                self._close(branch, self._require_open(ctx.store, escrow_id), REFUNDED, END_BLOCK)
            except FinchainError as exc:
                ctx.emit(events.refund_failed(escrow_id, exc.message))
                continue
            write()
            refunded.append(escrow_id)
        return refunded

    # -- genesis ----------------------------------------------------------------------------

    def import_escrow(self, ctx: Context, escrow: Escrow) -> None:
        """Genesis: store an exported escrow; the bank's genesis already holds its frozen part."""
        ESCROWS.set(ctx, escrow.id, escrow)
        if escrow.is_open:
            self._add_locked(ctx, escrow.payer, escrow.asset, escrow.amount)
            if escrow.expiry_height:
                DUE_BY_HEIGHT.set(ctx, (escrow.expiry_height, escrow.id), b"")
            if escrow.expiry_time:
                DUE_BY_TIME.set(ctx, (escrow.expiry_time, escrow.id), b"")
        NEXT_ID.set(ctx, max(NEXT_ID.peek(ctx.store), escrow.id + 1))

    # -- internals --------------------------------------------------------------------------

    def _require_open(self, reader: KVReader, escrow_id: int) -> Escrow:
        escrow = self.require(reader, escrow_id)
        if not escrow.is_open:
            raise ErrNotOpen(
                f"escrow {escrow_id} was {escrow.status} at height {escrow.closed_height}"
            )
        return escrow

    def _require_settleable(self, ctx: Context, escrow_id: int) -> Escrow:
        """Open, not controlled by a module, and not expired (then only a refund is left)."""
        escrow = self._require_open(ctx.store, escrow_id)
        if escrow.controller:
            raise self._controlled(escrow)
        if escrow.expired_at(ctx.height, ctx.time_ns):
            raise ErrExpired(
                f"escrow {escrow_id} expired at {self._deadline(escrow)}: it is refunded to "
                "the payer at the end of this block"
            )
        return escrow

    def _require_controller(self, ctx: Context, escrow_id: int, controller: str) -> Escrow:
        escrow = self._require_open(ctx.store, escrow_id)
        if not controller or escrow.controller != controller:
            raise ErrControlled(f"escrow {escrow_id} is not controlled by module {controller!r}")
        return escrow

    @staticmethod
    def _controlled(escrow: Escrow) -> Exception:
        return ErrControlled(
            f"escrow {escrow.id} is controlled by module {escrow.controller}: it is settled "
            "through that module's own messages"
        )

    @staticmethod
    def _deadline(escrow: Escrow) -> str:
        parts = []
        if escrow.expiry_height:
            parts.append(f"height {escrow.expiry_height}")
        if escrow.expiry_time:
            parts.append(f"time {escrow.expiry_time} ns")
        return " or ".join(parts) or "no expiry"

    def _require_party(self, reader: KVReader, account: str, role: str) -> None:
        status = self._accounts.status(reader, account)
        if status is None or status is AccountStatus.CLOSED:
            state = "does not exist" if status is None else "is closed"
            raise ErrInvalidParty(f"{role} {account} {state}: check the account id")

    def _check_conditions(self, ctx: Context, escrow: Escrow, preimage: bytes) -> None:
        """Every declared condition holds now, checked in a fixed order (the first failing
        one names the refusal)."""
        terms = escrow.conditions
        lock = terms.hash_lock
        if lock is None:
            if preimage:
                raise ErrWrongPreimage(
                    f"escrow {escrow.id} has no hash lock: release it without a preimage"
                )
        elif hash_bytes(lock.hash_alg, preimage) != lock.hash:
            raise ErrWrongPreimage(
                f"the preimage does not hash to the {lock.hash_alg} lock {lock.hash.hex()} "
                f"of escrow {escrow.id}"
            )
        if terms.not_before_height and ctx.height < terms.not_before_height:
            raise ErrTimeLocked(
                f"escrow {escrow.id} can be released from height {terms.not_before_height} "
                f"(now {ctx.height})"
            )
        if terms.not_before_time and ctx.time_ns < terms.not_before_time:
            raise ErrTimeLocked(
                f"escrow {escrow.id} can be released from time {terms.not_before_time} ns "
                f"(now {ctx.time_ns} ns)"
            )
        if escrow.approved < terms.threshold:
            waiting = [a for a in terms.approvers if not escrow.has_approved(a)]
            raise ErrNotApproved(
                f"escrow {escrow.id} has {escrow.approved} of {terms.threshold} approvals; "
                f"not yet approved by {', '.join(waiting)}"
            )
        if terms.evidence is not None:
            self._check_evidence(ctx, escrow)

    def _check_evidence(self, ctx: Context, escrow: Escrow) -> None:
        wanted = escrow.conditions.evidence
        assert wanted is not None
        what = f"{wanted.hash_alg} {wanted.hash.hex()}"
        record = self._evidence.get(ctx.store, wanted.hash_alg, wanted.hash)
        if record is None:
            raise ErrEvidenceMissing(
                f"escrow {escrow.id} needs the evidence {what}: record it with evidence/record"
            )
        if wanted.submitter and record.submitter != wanted.submitter:
            raise ErrEvidenceMismatch(
                f"evidence {what} was recorded by {record.submitter}, not by {wanted.submitter}"
            )
        named = {c.account for c in record.cosigners}
        missing = [a for a in wanted.cosigners if a not in named]
        if missing:
            raise ErrEvidenceMismatch(
                f"evidence {what} does not name {', '.join(missing)} as co-signer"
            )
        outstanding = record.outstanding()
        if outstanding:
            raise ErrEvidenceIncomplete(
                f"evidence {what} still waits for the co-signature of {', '.join(outstanding)}"
            )

    def _pay_out(self, ctx: Context, escrow: Escrow, by: str, preimage: bytes) -> Escrow:
        if self._accounts.status(ctx.store, escrow.payer) is AccountStatus.FROZEN:
            raise ErrPayerFrozen(
                f"the payer {escrow.payer} of escrow {escrow.id} is frozen: the escrow cannot "
                "pay out until the freeze is lifted (it is refunded at its expiry)"
            )
        closed = self._close(ctx, escrow, RELEASED, by, preimage)
        self._bank.transfer(ctx, escrow.payer, escrow.payee, escrow.asset, escrow.amount)
        return closed

    def _close(
        self, ctx: Context, escrow: Escrow, status: str, by: str, preimage: bytes = b""
    ) -> Escrow:
        """The one way an escrow ends: unfreeze exactly its amount, leave the queues, record."""
        self._bank.unfreeze_amount(
            ctx, escrow.payer, escrow.asset, escrow.amount, freeze_reason(escrow.id)
        )
        self._add_locked(ctx, escrow.payer, escrow.asset, -escrow.amount)
        if escrow.expiry_height:
            DUE_BY_HEIGHT.remove(ctx, (escrow.expiry_height, escrow.id))
        if escrow.expiry_time:
            DUE_BY_TIME.remove(ctx, (escrow.expiry_time, escrow.id))
        closed = escrow.closed(status, ctx.height, by, preimage)
        ESCROWS.set(ctx, escrow.id, closed)
        if status == RELEASED:
            ctx.emit(events.released(closed))
        elif status == REFUNDED:
            ctx.emit(events.refunded(closed))
        else:
            ctx.emit(events.cancelled(closed))
        return closed

    def _add_locked(self, ctx: Context, payer: str, asset: str, delta: int) -> None:
        total = self.locked(ctx.store, payer, asset) + delta
        if total < 0:
            raise RuntimeError(f"escrow lock of {payer} in {asset} would go negative")
        if total:
            LOCKED.set(ctx, (payer, asset), total)
        else:
            LOCKED.remove(ctx, (payer, asset))
