"""The only code that reads or writes the settlement module's state.

Legs move through the bank's ``transfer`` inside one ``ctx.cached()`` branch:
written back only if every leg succeeded, so an instruction settles all of its
legs (or all of a number of whole lots) or none. ``end_block`` reads the queues
keyed by due height/time and the retry set, never the whole book.
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
from finchain.core.kv import KVReader
from finchain.core.signatures import SignatureJob
from finchain.crypto.hashes import sha256
from finchain.errors import FinchainError
from finchain.modules.settlement import events
from finchain.modules.settlement.deps import AccountStatusView, Endorsements, Ledger
from finchain.modules.settlement.errors import (
    ErrBadEndorsement,
    ErrCancelRequested,
    ErrExpired,
    ErrMismatch,
    ErrMissingEndorsement,
    ErrNotCancellable,
    ErrNotParty,
    ErrReferenceUsed,
    ErrUnexpectedEndorsement,
    ErrUnknownAsset,
    ErrUnknownInstruction,
)
from finchain.modules.settlement.keys import (
    DUE_HEIGHT,
    DUE_TIME,
    EXPIRE_HEIGHT,
    EXPIRE_TIME,
    INSTRUCTIONS,
    NEXT_ID,
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

    def queued(self, reader: KVReader) -> dict[str, set[int]]:
        """The ids in each queue (for invariants and tests)."""
        return {
            "due": {i for _, i in DUE_HEIGHT.keys(reader)} | {i for _, i in DUE_TIME.keys(reader)},
            "retry": set(RETRY.keys(reader)),
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
            state = self._attempt(ctx, state, payers_checked=True)
            if state.status in FINAL:
                INSTRUCTIONS.set(ctx, state.id, state)
                return state
            RETRY.set(ctx, state.id, _MARK)
        else:
            self._queue_due(ctx, state)
        INSTRUCTIONS.set(ctx, state.id, state)
        self._queue_expiry(ctx, state)
        _count_open(ctx, +1)
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
        self._dequeue(ctx, state)
        _count_open(ctx, -1)
        state = replace(state, status=CANCELLED, cancel_requests=requests, updated=ctx.height)
        INSTRUCTIONS.set(ctx, id_, state)
        ctx.emit(events.closed(events.CANCELLED, id_, state.instruction.reference))
        return state

    # -- end of block ------------------------------------------------------------------------------

    def end_block(self, ctx: Context) -> None:
        """Settle what is due (and retry what is pending), then expire what reached its deadline."""
        if not OPEN_COUNT.peek(ctx.store):
            return
        due: set[int] = set(RETRY.keys(ctx.store))
        for queue, now in ((DUE_HEIGHT, ctx.height), (DUE_TIME, ctx.time_ns)):
            for at, id_ in _up_to(queue, ctx.store, now):
                queue.remove(ctx, (at, id_))
                due.add(id_)
        for id_ in sorted(due):
            state = self.require(ctx.store, id_)
            after = self._attempt(ctx, state)
            if after.status == SETTLED:
                RETRY.remove(ctx, id_)
                self._remove_expiry(ctx, after)
                _count_open(ctx, -1)
            elif not RETRY.has(ctx.store, id_):
                RETRY.set(ctx, id_, _MARK)
            if after != state:
                INSTRUCTIONS.set(ctx, id_, after)
        for queue, now in ((EXPIRE_HEIGHT, ctx.height), (EXPIRE_TIME, ctx.time_ns)):
            for _, id_ in _up_to(queue, ctx.store, now):
                self._expire(ctx, self.require(ctx.store, id_))

    def _expire(self, ctx: Context, state: Settlement) -> None:
        self._dequeue(ctx, state)
        _count_open(ctx, -1)
        if state.status == UNMATCHED:
            final, kind = EXPIRED, events.EXPIRED
            reason = "unmatched at the deadline"
        else:
            final, kind = FAILED, events.FAILED
            reason = state.reason or "not settled by the deadline"
        INSTRUCTIONS.set(
            ctx, state.id, replace(state, status=final, reason=reason, updated=ctx.height)
        )
        ctx.emit(events.closed(kind, state.id, state.instruction.reference, reason))

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
        for payer in instruction.payers:
            status = self._accounts.status(ctx.store, payer)
            if status is not AccountStatus.ACTIVE:
                return f"payer {payer} is {status or 'unknown'}"
        return ""

    # -- helpers -----------------------------------------------------------------------------------

    def _check_submission(self, ctx: Context, instruction: Instruction) -> None:
        """The deadline is still ahead and every asset exists."""
        if instruction.deadline_height and instruction.deadline_height < ctx.height:
            raise ErrExpired(
                f"the deadline height {instruction.deadline_height} is before this block "
                f"({ctx.height}): set a later deadline"
            )
        if instruction.deadline_time_ns and instruction.deadline_time_ns < ctx.time_ns:
            raise ErrExpired("the deadline time is before this block's time: set a later deadline")
        for asset in sorted({leg.asset for leg in instruction.legs}):
            if self._ledger.get_asset(ctx.store, asset) is None:
                raise ErrUnknownAsset(f"asset {asset} does not exist: check the symbol")

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
        if state.status == MATCHED:
            instruction = state.instruction
            if instruction.settle_time_ns:
                DUE_TIME.remove(ctx, (instruction.settle_time_ns, state.id))
            else:
                DUE_HEIGHT.remove(ctx, (instruction.settle_height, state.id))
        elif state.status in (PENDING, PARTIAL):
            RETRY.remove(ctx, state.id)

    # -- genesis -----------------------------------------------------------------------------------

    def import_settlement(self, ctx: Context, state: Settlement) -> None:
        """Write an exported instruction back with its references and queue entries."""
        INSTRUCTIONS.set(ctx, state.id, state)
        for signer in state.signers:
            REFS.set(ctx, (signer, state.instruction.reference), state.id)
        if state.status in FINAL:
            return
        _count_open(ctx, +1)
        self._queue_expiry(ctx, state)
        if state.status == MATCHED:
            self._queue_due(ctx, state)
        elif state.status in (PENDING, PARTIAL):
            RETRY.set(ctx, state.id, _MARK)

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
