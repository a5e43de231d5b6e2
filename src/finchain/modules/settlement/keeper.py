"""The only code that reads or writes the settlement module's state.

Legs move through the bank's ``transfer`` inside one ``ctx.cached()`` branch:
written back only if every leg succeeded, so an instruction settles all of its
legs (or all of a number of whole lots) or none. ``end_block`` reads the queues
keyed by due height/time and the retry queue keyed by retry height, never the
whole book: what it reads follows what is due in that block.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from finchain.codec import Tx, TxSignature
from finchain.core.authority import AccountStatus
from finchain.core.collections import Map
from finchain.core.context import Context
from finchain.core.errors import (
    ErrAccountClosed,
    ErrAccountFrozen,
    ErrBadSignature,
    ErrDuplicateSignature,
    ErrInsufficientWeight,
    ErrResetLock,
    ErrUnknownAccount,
    ErrUnknownKey,
)
from finchain.core.kv import KVReader
from finchain.core.signatures import SignatureJob
from finchain.crypto.hashes import sha256
from finchain.errors import FinchainError
from finchain.modules.settlement import events
from finchain.modules.settlement.deps import AccountStatusView, Endorsements, Ledger
from finchain.modules.settlement.errors import (
    ErrBadEndorsement,
    ErrCancelRequested,
    ErrDeadlineTooFar,
    ErrExpired,
    ErrMismatch,
    ErrMissingEndorsement,
    ErrNotCancellable,
    ErrNotParty,
    ErrReferenceUsed,
    ErrTooManyOpen,
    ErrUnexpectedEndorsement,
    ErrUnknownAsset,
    ErrUnknownInstruction,
    ErrUnknownParty,
    ErrWrongSubmitter,
)
from finchain.modules.settlement.keys import (
    DUE_HEIGHT,
    DUE_TIME,
    EXPIRE_HEIGHT,
    EXPIRE_TIME,
    INSTRUCTIONS,
    NEXT_ID,
    OPEN_BY_ACCOUNT,
    OPEN_COUNT,
    REFS,
    RETRY,
)
from finchain.modules.settlement.messages import MsgSettle
from finchain.modules.settlement.types import (
    CANCELLED,
    EXPIRED,
    FAILED,
    FINAL,
    MATCHED,
    MAX_OPEN_PER_ACCOUNT,
    MAX_RETRY_INTERVAL,
    MAX_WINDOW_BLOCKS,
    MAX_WINDOW_NS,
    PARTIAL,
    PENDING,
    SETTLED,
    UNMATCHED,
    Endorsement,
    Instruction,
    Settlement,
    endorse_bytes_of,
    lot_amount,
)

_MARK = b""
SETTLE_TYPE = MsgSettle.TYPE
# What the accounts module raises when signatures do not authorise an account: an
# endorsement refused for these is settlement:9. Anything else (running out of the
# transaction's budget above all) is not about the endorsement and passes through.
_POLICY_REFUSALS = (
    ErrUnknownAccount,
    ErrInsufficientWeight,
    ErrBadSignature,
    ErrDuplicateSignature,
    ErrUnknownKey,
    ErrAccountFrozen,
    ErrAccountClosed,
    ErrResetLock,
)


class SettlementView:
    """Read-only access on any reader."""

    def get(self, reader: KVReader, id_: int) -> Settlement | None:
        return INSTRUCTIONS.get(reader, id_)

    def require(self, reader: KVReader, id_: int) -> Settlement:
        found = INSTRUCTIONS.get(reader, id_)
        if found is None:
            raise ErrUnknownInstruction(f"no settlement instruction {id_}: check the id")
        return found

    def by_reference(self, reader: KVReader, party: str, reference: str) -> Settlement | None:
        id_ = REFS.get(reader, (party, reference))
        return None if id_ is None else INSTRUCTIONS.get(reader, id_)

    def of_party(self, reader: KVReader, party: str) -> Iterator[tuple[str, int]]:
        """(reference, id) of every instruction ``party`` authorised, in reference order."""
        for (_, reference), id_ in REFS.iterate(reader, prefix=(party,)):
            yield reference, id_

    def all_settlements(self, reader: KVReader) -> Iterator[Settlement]:
        return INSTRUCTIONS.values(reader)

    def next_id(self, reader: KVReader) -> int:
        return NEXT_ID.peek(reader)

    def open_count(self, reader: KVReader) -> int:
        return OPEN_COUNT.peek(reader)

    def open_by_account(self, reader: KVReader) -> dict[str, int]:
        """How many open instructions each account authorised (accounts with none absent)."""
        return dict(OPEN_BY_ACCOUNT.iterate(reader))

    def due(self, reader: KVReader, height: int, time_ns: int) -> list[int]:
        """The instructions to attempt at the end of a block at ``height`` / ``time_ns``, in id
        order: matched ones whose settlement date has come, pending ones whose retry is due.
        Reads the entries due and at most one more per queue, however many wait for later."""
        ids = {id_ for _, id_ in _up_to(DUE_HEIGHT, reader, height)}
        ids.update(id_ for _, id_ in _up_to(DUE_TIME, reader, time_ns))
        ids.update(id_ for _, id_ in _up_to(RETRY, reader, height))
        return sorted(ids)

    def queued(self, reader: KVReader) -> dict[str, set[int]]:
        """The ids in each queue (for invariants and tests)."""
        return {
            "due": {i for _, i in DUE_HEIGHT.keys(reader)} | {i for _, i in DUE_TIME.keys(reader)},
            "retry": {i for _, i in RETRY.keys(reader)},
            "expire": {i for _, i in EXPIRE_HEIGHT.keys(reader)}
            | {i for _, i in EXPIRE_TIME.keys(reader)},
        }


class SettlementKeeper(SettlementView):
    def __init__(
        self, ledger: Ledger, accounts: AccountStatusView, endorsements: Endorsements
    ) -> None:
        self._ledger = ledger
        self._accounts = accounts
        self._endorsements = endorsements

    # -- path (a): every payer authorises one transaction ------------------------------------------

    def settle(
        self,
        ctx: Context,
        submitter: str,
        instruction: Instruction,
        endorsements: Sequence[Endorsement],
    ) -> Settlement:
        """Check the endorsements, record the instruction, and settle it now if it is due."""
        if instruction.submitter != submitter:
            raise ErrWrongSubmitter(
                f"the instruction names {instruction.submitter} as its submitter, and this "
                f"transaction is from {submitter}: only the named submitter may send it (draft "
                "it with your account as submitter and collect the endorsements again)"
            )
        self._check_submission(ctx, instruction)
        self._check_endorsements(ctx, submitter, instruction, endorsements)
        signers = tuple(sorted({submitter, *(e.account for e in endorsements)}))
        self._require_fresh_refs(ctx, signers, instruction.reference)
        state = self._create(ctx, instruction, signers, MATCHED)
        ctx.emit(
            events.submitted(state.id, instruction.reference, submitter, instruction.kind, MATCHED)
        )
        if self._is_due(ctx, instruction):
            # Every payer has just been found active: the submitter by the ante chain,
            # the endorsers by their endorsement check.
            after = self._attempt(ctx, state, payers_checked=True)
            if after.status in FINAL:
                INSTRUCTIONS.set(ctx, after.id, after)
                return after
            state = _schedule_retry(ctx, after, progressed=after.settled_lots > 0)
        else:
            self._queue_due(ctx, state)
        INSTRUCTIONS.set(ctx, state.id, state)
        self._queue_expiry(ctx, state)
        _count_open(ctx, +1)
        _count_authorised(ctx, state.signers, +1)
        return state

    def _check_endorsements(
        self,
        ctx: Context,
        submitter: str,
        instruction: Instruction,
        endorsements: Sequence[Endorsement],
    ) -> None:
        payers = set(instruction.payers)
        seen: set[str] = set()
        for endorsement in endorsements:
            account = endorsement.account
            if account == submitter or account in seen or account not in payers:
                why = (
                    "the submitter signs the transaction itself"
                    if account == submitter
                    else "it endorses twice"
                    if account in seen
                    else "it pays on no leg"
                )
                raise ErrUnexpectedEndorsement(
                    f"endorsement by {account} is not expected: {why}; remove it"
                )
            seen.add(account)
        missing = sorted(payers - seen - {submitter})
        if missing:
            raise ErrMissingEndorsement(
                f"{missing[0]} pays on a leg but has not endorsed the instruction: add its "
                "signatures over the instruction's sign-bytes"
            )
        if not endorsements:
            return
        message = instruction.sign_bytes(ctx.chain_id)
        entry_id = sha256(message)
        for endorsement in endorsements:
            signatures = [TxSignature(s.key, s.sig) for s in endorsement.signatures]
            try:
                self._endorsements.authorize(
                    ctx,
                    endorsement.account,
                    signatures,
                    message,
                    entry_id,
                    partial(instruction.outflows, endorsement.account),
                    asset_operation=True,
                )
            except FinchainError as exc:
                if exc.codespace != "accounts" and not any(
                    error.matches(exc) for error in _POLICY_REFUSALS
                ):
                    raise
                raise ErrBadEndorsement(
                    f"endorsement by {endorsement.account}: {exc.message} "
                    f"[{exc.codespace}:{exc.code}]",
                    cause=f"{exc.codespace}:{exc.code}",
                ) from None

    def signature_jobs(
        self, reader: KVReader, txs: Sequence[tuple[Tx, bytes]]
    ) -> list[SignatureJob]:
        """The endorsement signatures a block's ``settlement/settle`` messages will need, for
        the application's batch pre-pass. Read from the raw messages: a malformed or
        non-canonical one is skipped, and its endorsements are then verified singly."""
        jobs: list[SignatureJob] = []
        for tx, _ in txs:
            for raw in tx.body.msgs:
                if raw.type == SETTLE_TYPE:
                    jobs += self._endorsement_jobs(reader, tx.body.chain_id, raw.value)
        return jobs

    def _endorsement_jobs(
        self, reader: KVReader, chain_id: str, value: dict[str, Any]
    ) -> list[SignatureJob]:
        instruction, endorsements = value.get("instruction"), value.get("endorsements")
        if not isinstance(instruction, dict) or not isinstance(endorsements, list):
            return []
        message = endorse_bytes_of(chain_id, instruction)
        entry_id = sha256(message)
        jobs = []
        for endorsement in endorsements:
            try:
                account = endorsement["account"]
                signatures = [TxSignature(s["key"], s["sig"]) for s in endorsement["signatures"]]
            except (KeyError, TypeError):
                continue
            if isinstance(account, str) and all(
                isinstance(s.key_id, str) and isinstance(s.signature, bytes) for s in signatures
            ):
                jobs += self._endorsements.jobs(reader, account, signatures, message, entry_id)
        return jobs

    # -- path (b): matching ------------------------------------------------------------------------

    def instruct(
        self, ctx: Context, submitter: str, counterparty: str, instruction: Instruction
    ) -> Settlement:
        """Record the submitter's side, or match it with the counterparty's waiting side."""
        if submitter not in instruction.parties or submitter == counterparty:
            raise ErrNotParty(
                f"{submitter} is not a party to the legs besides {counterparty}: "
                "instruct only your own side"
            )
        self._check_submission(ctx, instruction)
        self._require_fresh_refs(ctx, (submitter,), instruction.reference)
        waiting = self.by_reference(ctx.store, counterparty, instruction.reference)
        if waiting is None:
            state = self._create(ctx, instruction, (submitter,), UNMATCHED)
            INSTRUCTIONS.set(ctx, state.id, state)
            self._queue_expiry(ctx, state)
            _count_open(ctx, +1)
            _count_authorised(ctx, state.signers, +1)
            ctx.emit(
                events.submitted(
                    state.id, instruction.reference, submitter, instruction.kind, UNMATCHED
                )
            )
            return state
        if waiting.status != UNMATCHED or waiting.signers != (counterparty,):
            raise ErrMismatch(
                f"{counterparty}'s reference {instruction.reference} names instruction "
                f"{waiting.id}, which is {waiting.status}: agree a new reference"
            )
        if waiting.instruction != instruction:
            raise ErrMismatch(
                f"instruction {waiting.id} of {counterparty} differs in "
                f"{', '.join(_differences(waiting.instruction, instruction))}: correct your side "
                "or ask the counterparty to cancel and resubmit"
            )
        REFS.set(ctx, (submitter, instruction.reference), waiting.id)
        _count_authorised(ctx, (submitter,), +1)
        state = replace(
            waiting,
            signers=tuple(sorted((counterparty, submitter))),
            status=MATCHED,
            updated=ctx.height,
        )
        INSTRUCTIONS.set(ctx, state.id, state)
        self._queue_due(ctx, state)
        ctx.emit(
            events.submitted(state.id, instruction.reference, submitter, instruction.kind, MATCHED)
        )
        ctx.emit(events.matched(state.id, instruction.reference, state.signers))
        return state

    # -- cancellation ------------------------------------------------------------------------------

    def cancel(self, ctx: Context, party: str, id_: int) -> Settlement:
        state = self.require(ctx.store, id_)
        if party not in state.signers:
            raise ErrNotParty(
                f"{party} did not authorise instruction {id_} ({', '.join(state.signers)} did)"
            )
        if state.status in FINAL:
            raise ErrNotCancellable(f"instruction {id_} is {state.status}: nothing to cancel")
        if party in state.cancel_requests:
            raise ErrCancelRequested(
                f"{party} has asked to cancel instruction {id_}; waiting for "
                f"{', '.join(sorted(set(state.signers) - set(state.cancel_requests)))}"
            )
        requests = tuple(sorted((*state.cancel_requests, party)))
        outstanding = len(state.signers) - len(requests)
        if outstanding:
            state = replace(state, cancel_requests=requests, updated=ctx.height)
            INSTRUCTIONS.set(ctx, id_, state)
            ctx.emit(events.cancel_requested(id_, state.instruction.reference, party, outstanding))
            return state
        state = self._finish(ctx, state, replace(state, status=CANCELLED, cancel_requests=requests))
        ctx.emit(events.closed(events.CANCELLED, id_, state.instruction.reference))
        return state

    # -- end of block ------------------------------------------------------------------------------

    def end_block(self, ctx: Context) -> None:
        """Attempt what is due (settlement dates reached, retries due), then close what reached
        its deadline, each pending one after a last attempt in its deadline block."""
        if not OPEN_COUNT.peek(ctx.store):
            return
        due = self.due(ctx.store, ctx.height, ctx.time_ns)
        for id_ in due:
            self._retry(ctx, self.require(ctx.store, id_))
        attempted = set(due)
        for queue, now in ((EXPIRE_HEIGHT, ctx.height), (EXPIRE_TIME, ctx.time_ns)):
            for _, id_ in _up_to(queue, ctx.store, now):
                state = self.require(ctx.store, id_)
                if state.status in (PENDING, PARTIAL) and id_ not in attempted:
                    after = self._attempt(ctx, state)
                    if after.status == SETTLED:
                        self._finish(ctx, state, after)
                        continue
                    state = after
                self._expire(ctx, state)

    def _retry(self, ctx: Context, state: Settlement) -> None:
        """Attempt a due instruction; take it out of the queue that made it due, and queue
        its next retry unless it settled."""
        after = self._attempt(ctx, state)
        if after.status == SETTLED:
            self._finish(ctx, state, after)
            return
        _unqueue_waiting(ctx, state)
        after = _schedule_retry(ctx, after, progressed=after.settled_lots > state.settled_lots)
        INSTRUCTIONS.set(ctx, after.id, after)

    def _expire(self, ctx: Context, state: Settlement) -> None:
        if state.status == UNMATCHED:
            final, kind = EXPIRED, events.EXPIRED
            reason = "unmatched at the deadline"
        else:
            final, kind = FAILED, events.FAILED
            reason = state.reason or "not settled by the deadline"
        self._finish(ctx, state, replace(state, status=final, reason=reason))
        ctx.emit(events.closed(kind, state.id, state.instruction.reference, reason))

    def _finish(self, ctx: Context, state: Settlement, final: Settlement) -> Settlement:
        """Record ``final`` (settled, cancelled, expired or failed) in place of the open
        ``state``: out of every queue ``state`` is in, no longer counted as open."""
        self._dequeue(ctx, state)
        _count_open(ctx, -1)
        _count_authorised(ctx, state.signers, -1)
        final = replace(final, retry_height=0, retry_interval=0, updated=ctx.height)
        INSTRUCTIONS.set(ctx, final.id, final)
        return final

    # -- settling ----------------------------------------------------------------------------------

    def _attempt(
        self, ctx: Context, state: Settlement, *, payers_checked: bool = False
    ) -> Settlement:
        """Settle the remaining lots if the balances allow, else the most whole lots allowed
        (when partials are), else record why not. Each try is all legs or none. A payer
        that is not active (frozen since it authorised) holds the instruction pending."""
        instruction = state.instruction
        remaining = instruction.lots - state.settled_lots
        reason = "" if payers_checked else self._inactive_payer(ctx, instruction)
        if not reason:
            reason = self._try_lots(ctx, instruction, remaining)
            if not reason:
                ctx.emit(events.settled(state.id, instruction.reference, remaining))
                return replace(
                    state,
                    status=SETTLED,
                    settled_lots=instruction.lots,
                    reason="",
                    updated=ctx.height,
                )
            if instruction.partial_allowed:
                lots = min(remaining - 1, self._affordable_lots(ctx, instruction))
                if lots >= instruction.min_lots and not self._try_lots(ctx, instruction, lots):
                    done = state.settled_lots + lots
                    ctx.emit(
                        events.partially_settled(
                            state.id, instruction.reference, lots, done, instruction.lots
                        )
                    )
                    return replace(
                        state, status=PARTIAL, settled_lots=done, reason=reason, updated=ctx.height
                    )
        status = PARTIAL if state.settled_lots else PENDING
        if (state.status, state.reason) != (status, reason):
            ctx.emit(events.pending(state.id, instruction.reference, reason))
            state = replace(state, status=status, reason=reason, updated=ctx.height)
        return state

    def _try_lots(self, ctx: Context, instruction: Instruction, lots: int) -> str:
        """Move ``lots`` lots of every leg in one branch; "" on success, else why not."""
        branch, write = ctx.cached()
        per = instruction.lots
        try:
            for leg in instruction.legs:
                self._ledger.transfer(
                    branch, leg.sender, leg.recipient, leg.asset, lot_amount(leg.amount, per, lots)
                )
        except FinchainError as exc:
            return exc.message
        write()
        return ""

    def _affordable_lots(self, ctx: Context, instruction: Instruction) -> int:
        """The whole lots every payer can fund from its spendable balance, counting its gross
        deliveries per asset (what it receives in the same instruction is not counted)."""
        need: dict[tuple[str, str], int] = {}
        for leg in instruction.legs:
            key = (leg.sender, leg.asset)
            need[key] = need.get(key, 0) + lot_amount(leg.amount, instruction.lots, 1)
        return min(
            self._ledger.spendable(ctx.store, sender, asset) // per_lot
            for (sender, asset), per_lot in sorted(need.items())
        )

    def _inactive_payer(self, ctx: Context, instruction: Instruction) -> str:
        """Why a payer cannot pay now: not active (frozen or closed since it authorised), or
        inside a key-reset lock window, where asset operations stay blocked
        (docs/multifactor.md), so its legs wait as a frozen payer's do."""
        for payer in instruction.payers:
            account = self._accounts.get_account(ctx.store, payer)
            if account is None or account.status is not AccountStatus.ACTIVE:
                return f"payer {payer} is {'unknown' if account is None else account.status}"
            if account.reset_due:
                return (
                    f"payer {payer} is in a key-reset lock window (until height "
                    f"{account.reset_due}): its asset operations are blocked"
                )
        return ""

    # -- helpers -----------------------------------------------------------------------------------

    def _check_submission(self, ctx: Context, instruction: Instruction) -> None:
        """The deadline is ahead and within the settlement window; every asset exists; every
        party exists and is not closed (a frozen one may be unfrozen before the deadline)."""
        deadline, deadline_ns = instruction.deadline_height, instruction.deadline_time_ns
        if deadline and deadline < ctx.height:
            raise ErrExpired(
                f"the deadline height {deadline} is before this block "
                f"({ctx.height}): set a later deadline"
            )
        if deadline_ns and deadline_ns < ctx.time_ns:
            raise ErrExpired("the deadline time is before this block's time: set a later deadline")
        if deadline and deadline - ctx.height > MAX_WINDOW_BLOCKS:
            latest = ctx.height + MAX_WINDOW_BLOCKS
            raise ErrDeadlineTooFar(
                f"the deadline height {deadline} is more than {MAX_WINDOW_BLOCKS} blocks after "
                f"this block ({ctx.height}): set a deadline at most {latest}"
            )
        if deadline_ns and deadline_ns - ctx.time_ns > MAX_WINDOW_NS:
            raise ErrDeadlineTooFar(
                f"the deadline time is more than {MAX_WINDOW_NS // 10**9 // 86_400} days after "
                "this block's time: set an earlier deadline"
            )
        for asset in sorted({leg.asset for leg in instruction.legs}):
            if self._ledger.get_asset(ctx.store, asset) is None:
                raise ErrUnknownAsset(f"asset {asset} does not exist: check the symbol")
        for party in instruction.parties:
            account = self._accounts.get_account(ctx.store, party)
            if account is None or account.status is AccountStatus.CLOSED:
                raise ErrUnknownParty(
                    f"account {party} on a leg "
                    f"{'does not exist' if account is None else 'is closed'}: check the id"
                )

    def _require_fresh_refs(self, ctx: Context, parties: Sequence[str], reference: str) -> None:
        for party in parties:
            used = REFS.get(ctx.store, (party, reference))
            if used is not None:
                raise ErrReferenceUsed(
                    f"{party} already used reference {reference} (instruction {used}): "
                    "a reference is used once; choose a new one"
                )

    def _create(
        self, ctx: Context, instruction: Instruction, signers: tuple[str, ...], status: str
    ) -> Settlement:
        id_ = NEXT_ID.next(ctx)
        for signer in signers:
            REFS.set(ctx, (signer, instruction.reference), id_)
        return Settlement(id_, instruction, signers, status, ctx.height, ctx.height)

    @staticmethod
    def _is_due(ctx: Context, instruction: Instruction) -> bool:
        return instruction.settle_height <= ctx.height and instruction.settle_time_ns <= ctx.time_ns

    @staticmethod
    def _queue_due(ctx: Context, state: Settlement) -> None:
        instruction = state.instruction
        if instruction.settle_time_ns:
            DUE_TIME.set(ctx, (instruction.settle_time_ns, state.id), _MARK)
        else:
            DUE_HEIGHT.set(ctx, (instruction.settle_height, state.id), _MARK)

    @staticmethod
    def _queue_expiry(ctx: Context, state: Settlement) -> None:
        instruction = state.instruction
        if instruction.deadline_time_ns:
            EXPIRE_TIME.set(ctx, (instruction.deadline_time_ns, state.id), _MARK)
        else:
            EXPIRE_HEIGHT.set(ctx, (instruction.deadline_height, state.id), _MARK)

    @staticmethod
    def _remove_expiry(ctx: Context, state: Settlement) -> None:
        instruction = state.instruction
        if instruction.deadline_time_ns:
            EXPIRE_TIME.remove(ctx, (instruction.deadline_time_ns, state.id))
        else:
            EXPIRE_HEIGHT.remove(ctx, (instruction.deadline_height, state.id))

    def _dequeue(self, ctx: Context, state: Settlement) -> None:
        """Take an open instruction out of every queue it is in (it is becoming final)."""
        self._remove_expiry(ctx, state)
        _unqueue_waiting(ctx, state)

    # -- genesis -----------------------------------------------------------------------------------

    def import_settlement(self, ctx: Context, state: Settlement) -> None:
        """Write an exported instruction back with its references and queue entries."""
        INSTRUCTIONS.set(ctx, state.id, state)
        for signer in state.signers:
            REFS.set(ctx, (signer, state.instruction.reference), state.id)
        if state.status in FINAL:
            return
        _count_open(ctx, +1)
        _count_authorised(ctx, state.signers, +1)
        self._queue_expiry(ctx, state)
        if state.status == MATCHED:
            self._queue_due(ctx, state)
        elif state.status in (PENDING, PARTIAL):
            RETRY.set(ctx, (state.retry_height, state.id), _MARK)

    def set_next_id(self, ctx: Context, next_id: int) -> None:
        NEXT_ID.set(ctx, next_id)


def _count_open(ctx: Context, change: int) -> None:
    """A count of 0 is stored as no entry: a chain imported from an export (which writes the
    count only for open instructions) then holds the same entries as the exporting chain."""
    count = OPEN_COUNT.peek(ctx.store) + change
    if count:
        OPEN_COUNT.set(ctx, count)
    else:
        ctx.store.delete(OPEN_COUNT.key)


def _count_authorised(ctx: Context, accounts: Sequence[str], change: int) -> None:
    """Count an instruction becoming open (+1) or final (-1) for each account that authorised
    it; refuse one more open instruction for an account at ``MAX_OPEN_PER_ACCOUNT``."""
    for account in accounts:
        count = (OPEN_BY_ACCOUNT.get(ctx.store, account) or 0) + change
        if count > MAX_OPEN_PER_ACCOUNT:
            raise ErrTooManyOpen(
                f"{account} has authorised {MAX_OPEN_PER_ACCOUNT} open settlement instructions, "
                "the most allowed: wait for some to settle, or cancel some, before adding more"
            )
        if count:
            OPEN_BY_ACCOUNT.set(ctx, account, count)
        else:
            OPEN_BY_ACCOUNT.remove(ctx, account)


def _schedule_retry(ctx: Context, state: Settlement, *, progressed: bool) -> Settlement:
    """Queue the next attempt of an instruction that did not settle in full at this height.

    The gap is 1 block after its first attempt or after one that settled some lots, else
    twice the previous gap, at most ``MAX_RETRY_INTERVAL``: retried 1, 2, 4, ... blocks
    later, so a book that cannot settle costs each block a shrinking share of it.
    """
    previous = state.retry_interval
    interval = 1 if progressed or not previous else min(2 * previous, MAX_RETRY_INTERVAL)
    state = replace(state, retry_height=ctx.height + interval, retry_interval=interval)
    RETRY.set(ctx, (state.retry_height, state.id), _MARK)
    return state


def _unqueue_waiting(ctx: Context, state: Settlement) -> None:
    """Take ``state`` out of the queue it waits in for its next attempt: the due queue while
    matched, the retry queue while pending or partially settled."""
    if state.status == MATCHED:
        instruction = state.instruction
        if instruction.settle_time_ns:
            DUE_TIME.remove(ctx, (instruction.settle_time_ns, state.id))
        else:
            DUE_HEIGHT.remove(ctx, (instruction.settle_height, state.id))
    elif state.status in (PENDING, PARTIAL):
        RETRY.remove(ctx, (state.retry_height, state.id))


def _up_to(queue: Map[tuple[int, int], bytes], reader: KVReader, now: int) -> list[tuple[int, int]]:
    """The queue's (at, id) keys with ``at`` <= ``now``, read in order and stopping at the
    first later one, so the cost follows what is due."""
    found = []
    for at, id_ in queue.keys(reader):
        if at > now:
            break
        found.append((at, id_))
    return found


def _differences(ours: Instruction, theirs: Instruction) -> list[str]:
    a, b = ours.to_obj(), theirs.to_obj()
    return sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))
