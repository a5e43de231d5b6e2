"""The only code that reads or writes the evidence module's state (``keys.py``).

Records are never deleted: a proof of existence that could vanish would prove
nothing. A new record is written, with its place in each list, by one helper
(``_write_new``); a co-signature only rewrites the record.
"""

from __future__ import annotations

from collections.abc import Iterator

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.modules.evidence import events
from finchain.modules.evidence.deps import AccountStatusView, DidLookup
from finchain.modules.evidence.errors import (
    ErrAlreadyCosigned,
    ErrInvalidCosigner,
    ErrNotCosigner,
    ErrRecordComplete,
    ErrRecordExists,
    ErrRecordNotFound,
)
from finchain.modules.evidence.keys import BY_SUBMITTER, COUNT, RECORDS, SUBMITTER_COUNT
from finchain.modules.evidence.types import COMPLETE, Cosignature, EvidenceRecord


class EvidenceView:
    """Read-only access on any reader."""

    def get(self, reader: KVReader, hash_alg: str, digest: bytes) -> EvidenceRecord | None:
        return RECORDS.get(reader, (hash_alg, digest))

    def require(self, reader: KVReader, hash_alg: str, digest: bytes) -> EvidenceRecord:
        found = self.get(reader, hash_alg, digest)
        if found is None:
            raise ErrRecordNotFound(
                f"no evidence is recorded for {hash_alg} {digest.hex()}: check the algorithm "
                "and the hash (record it with evidence/record)"
            )
        return found

    def count(self, reader: KVReader) -> int:
        """How many records the chain holds."""
        return COUNT.peek(reader)

    def at(self, reader: KVReader, position: int) -> EvidenceRecord:
        """The record at ``position`` (0 .. count - 1) in the order written."""
        key = RECORDS.get_by("position", reader, position)
        found = None if key is None else RECORDS.get(reader, key)
        if found is None:
            # positions are filed with their records, so a hole is corrupt state
            raise RuntimeError(f"evidence position {position} is missing")
        return found

    def submitter_count(self, reader: KVReader, account: str) -> int:
        return SUBMITTER_COUNT.get(reader, account) or 0

    def submitter_record(self, reader: KVReader, account: str, position: int) -> EvidenceRecord:
        """The ``position``-th record of ``account`` (0 .. submitter_count - 1)."""
        seq = BY_SUBMITTER.get(reader, (account, position))
        if seq is None:
            raise RuntimeError(f"evidence list of {account} is missing position {position}")
        return self.at(reader, seq)

    def records(self, reader: KVReader) -> Iterator[EvidenceRecord]:
        """Every record in the order it was written (for genesis export and invariants)."""
        for position in range(self.count(reader)):
            yield self.at(reader, position)


class EvidenceKeeper(EvidenceView):
    """Records evidence and co-signatures.

    Parameters:
        accounts: account status, to refuse co-signers that could never sign.
        identity: the DID bound to an account; None while no identity module is
            wired (records then carry no DID).
    """

    def __init__(self, accounts: AccountStatusView, identity: DidLookup | None = None) -> None:
        self._accounts = accounts
        self._identity = identity

    def record(
        self,
        ctx: Context,
        submitter: str,
        hash_alg: str,
        digest: bytes,
        kind: str,
        metadata: tuple[tuple[str, str], ...],
        cosigners: tuple[str, ...],
    ) -> EvidenceRecord:
        """Store a new record signed by ``submitter`` in the current block and transaction."""
        existing = self.get(ctx.store, hash_alg, digest)
        if existing is not None:
            raise ErrRecordExists(
                f"{hash_alg} {digest.hex()} was already recorded by {existing.submitter} "
                f"at height {existing.height} (time_ns {existing.time_ns}); "
                "query it with evidence/record",
                submitter=existing.submitter,
                height=existing.height,
                time_ns=existing.time_ns,
            )
        for account in cosigners:
            self._require_cosigner_account(ctx, submitter, account)
        record = EvidenceRecord(
            hash_alg,
            digest,
            kind,
            metadata,
            submitter,
            self.did_of(ctx.store, submitter),
            ctx.height,
            ctx.time_ns,
            ctx.tx_id,
            self.count(ctx.store),
            tuple(Cosignature.named(account) for account in sorted(cosigners)),
        )
        self._write_new(ctx, record)
        ctx.emit(events.recorded(hash_alg, digest, kind, submitter, len(cosigners)))
        if record.status == COMPLETE:
            ctx.emit(events.completed(hash_alg, digest, submitter))
        return record

    def cosign(self, ctx: Context, cosigner: str, hash_alg: str, digest: bytes) -> None:
        """``cosigner`` signs the record in the current block and transaction."""
        record = self.require(ctx.store, hash_alg, digest)
        if record.status == COMPLETE:
            raise ErrRecordComplete(
                f"{hash_alg} {digest.hex()} is complete: every named co-signer has signed"
            )
        named = record.cosigner(cosigner)
        if named is None:
            raise ErrNotCosigner(
                f"account {cosigner} is not a co-signer of {hash_alg} {digest.hex()} "
                f"(named: {', '.join(c.account for c in record.cosigners)})"
            )
        if named.signed:
            raise ErrAlreadyCosigned(
                f"account {cosigner} already signed {hash_alg} {digest.hex()} "
                f"at height {named.height}"
            )
        signature = Cosignature(
            cosigner, ctx.height, ctx.time_ns, ctx.tx_id, self.did_of(ctx.store, cosigner)
        )
        updated = record.with_cosignature(signature)
        RECORDS.set(ctx, updated.key, updated)
        outstanding = len(updated.outstanding())
        ctx.emit(events.cosigned(hash_alg, digest, cosigner, outstanding))
        if not outstanding:
            ctx.emit(events.completed(hash_alg, digest, updated.submitter))

    def did_of(self, reader: KVReader, account: str) -> str:
        """The DID bound to ``account`` ("" if none or no identity module)."""
        if self._identity is None:
            return ""
        return self._identity.did_of_account(reader, account) or ""

    def import_record(self, ctx: Context, record: EvidenceRecord) -> None:
        """Genesis: store a record exported by another chain (its ``seq`` must be next)."""
        if self.get(ctx.store, record.hash_alg, record.hash) is not None:
            raise ErrRecordExists(f"{record.hash_alg} {record.hash.hex()} is listed twice")
        self._write_new(ctx, record)

    def _write_new(self, ctx: Context, record: EvidenceRecord) -> None:
        """The record, its position, and its place in its submitter's list."""
        if COUNT.next(ctx) != record.seq:
            raise RuntimeError(f"evidence record {record.hash.hex()} is not at the next position")
        RECORDS.set(ctx, record.key, record)
        mine = self.submitter_count(ctx.store, record.submitter)
        BY_SUBMITTER.set(ctx, (record.submitter, mine), record.seq)
        SUBMITTER_COUNT.set(ctx, record.submitter, mine + 1)

    def _require_cosigner_account(self, ctx: Context, submitter: str, account: str) -> None:
        if account == submitter:
            raise ErrInvalidCosigner(
                f"the submitter {submitter} signs by recording: do not name it as a co-signer"
            )
        status = self._accounts.status(ctx.store, account)
        if status is None or status == AccountStatus.CLOSED:
            state = "does not exist" if status is None else "is closed"
            raise ErrInvalidCosigner(
                f"co-signer {account} {state} and could never sign: check the account id"
            )
