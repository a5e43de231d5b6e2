"""The only code that reads or writes the evidence module's keys.

Storage: the record under ``rec/<alg code><hash>`` (DAG-CBOR), plus one entry
in each of the two append-only lists of ``keys.py``. An entry is 41 bytes:
the block time (8 bytes), the algorithm code and the hash, so a time search
and a page of hashes need no record read. Records are never deleted: a
proof of existence that could vanish would prove nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from finchain.codec import decode_trusted, encode
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.modules.evidence import events, keys
from finchain.modules.evidence.deps import AccountStatusView, DidLookup
from finchain.modules.evidence.errors import (
    ErrAlreadyCosigned,
    ErrInvalidCosigner,
    ErrNotCosigner,
    ErrRecordComplete,
    ErrRecordExists,
    ErrRecordNotFound,
)
from finchain.modules.evidence.types import (
    ALG_CODES,
    ALG_NAMES,
    COMPLETE,
    HASH_BYTES,
    Cosignature,
    EvidenceRecord,
)

_U64 = 8


@dataclass(frozen=True, slots=True)
class Entry:
    """A position in one of the lists: which record, and the time it was written."""

    time_ns: int
    hash_alg: str
    hash: bytes


def _encode_entry(record: EvidenceRecord) -> bytes:
    return record.time_ns.to_bytes(_U64, "big") + bytes([ALG_CODES[record.hash_alg]]) + record.hash


def _decode_entry(raw: bytes) -> Entry:
    return Entry(int.from_bytes(raw[:_U64], "big"), ALG_NAMES[raw[_U64]], raw[_U64 + 1 :])


def _count(raw: bytes | None) -> int:
    return 0 if raw is None else int.from_bytes(raw, "big")


class EvidenceView:
    """Read-only access on any reader."""

    def get(self, reader: KVReader, hash_alg: str, digest: bytes) -> EvidenceRecord | None:
        raw = reader.get(keys.record(ALG_CODES[hash_alg], digest))
        return None if raw is None else EvidenceRecord.from_obj(decode_trusted(raw))

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
        return _count(reader.get(keys.COUNT))

    def entry(self, reader: KVReader, position: int) -> Entry:
        return _decode_entry(self._entry_raw(reader, keys.seq(position)))

    def submitter_count(self, reader: KVReader, account: str) -> int:
        return _count(reader.get(keys.submitter_count(account)))

    def submitter_entry(self, reader: KVReader, account: str, position: int) -> Entry:
        return _decode_entry(self._entry_raw(reader, keys.by_submitter(account, position)))

    def iterate_records(self, reader: KVReader) -> Iterator[EvidenceRecord]:
        """Every record in the order it was written (for genesis export and invariants)."""
        for position in range(self.count(reader)):
            found = self.entry(reader, position)
            yield self.require(reader, found.hash_alg, found.hash)

    @staticmethod
    def _entry_raw(reader: KVReader, key: bytes) -> bytes:
        raw = reader.get(key)
        if raw is None or len(raw) != _U64 + 1 + HASH_BYTES:
            # the lists are written only with their counters, so a hole is corrupt state
            raise RuntimeError(f"evidence index entry {key!r} is missing or malformed")
        return raw


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
            tuple(Cosignature(account) for account in cosigners),
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
        ctx.store.set(keys.record(ALG_CODES[hash_alg], digest), encode(updated.to_obj()))
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
        store = ctx.store
        store.set(keys.record(ALG_CODES[record.hash_alg], record.hash), encode(record.to_obj()))
        entry = _encode_entry(record)
        store.set(keys.seq(record.seq), entry)
        store.set(keys.COUNT, (record.seq + 1).to_bytes(_U64, "big"))
        mine = self.submitter_count(store, record.submitter)
        store.set(keys.by_submitter(record.submitter, mine), entry)
        store.set(keys.submitter_count(record.submitter), (mine + 1).to_bytes(_U64, "big"))

    def _require_cosigner_account(self, ctx: Context, submitter: str, account: str) -> None:
        if account == submitter:
            raise ErrInvalidCosigner(
                f"the submitter {submitter} signs by recording: do not name it as a co-signer"
            )
        status = self._accounts.status(ctx.store, account)
        if status is None or status == "closed":
            state = "does not exist" if status is None else "is closed"
            raise ErrInvalidCosigner(
                f"co-signer {account} {state} and could never sign: check the account id"
            )
