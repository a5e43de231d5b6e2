"""The only code that reads or writes the aml module's state (``keys.py``).

Sanctions lists are built by one registered regulator per version, chunk by
chunk, and take effect when sealed: the seal is the publisher's statement of
the hash and size it meant, compared with what the chain received, so a lost or
reordered chunk cannot silently change the list. No governance vote stands
between seal and effect: FATF R.6 asks that designations apply "without delay",
and publishers are regulators governance has already registered.

Keeper methods other modules may call (through a Protocol in their ``deps.py``):
``listed_version``, ``active_list_version``, ``travel_covered``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.msgs import Msg
from finchain.crypto import get_suite
from finchain.modules.accounts.types import is_account_id
from finchain.modules.aml import events
from finchain.modules.aml.deps import DidLookup, RegulatorRegistry
from finchain.modules.aml.errors import (
    ErrBadVersion,
    ErrEntryOrder,
    ErrListTooLarge,
    ErrNotPublisher,
    ErrNotRegulator,
    ErrSealMismatch,
    ErrTravelExists,
    ErrUnknownInstitution,
    ErrUnknownList,
    ErrUnknownTravel,
)
from finchain.modules.aml.keys import (
    ACTIVE,
    DRAFT_VERSION,
    ENTRIES,
    LISTS,
    NEXT_VERSION,
    TRAVEL,
)
from finchain.modules.aml.messages import MsgTravelRecord
from finchain.modules.aml.types import (
    DISCARDED,
    DRAFT,
    MAX_LIST_SIZE,
    SEALED,
    SanctionsList,
    TravelRecord,
    chain_start,
)


class AmlView:
    """Read-only access on any reader."""

    _identity: DidLookup

    # -- what compliance reads ------------------------------------------------------------

    def active_list_version(self, reader: KVReader) -> int:
        """The version of the active sanctions list; 0 while none was ever sealed."""
        return ACTIVE.get(reader) or 0

    def listed_version(self, reader: KVReader, address: str) -> int | None:
        """The active list's version if ``address`` is on it, else None.

        ``address`` is an account id or a DID. An account is also listed when the
        DID bound to it is: a designated person's every account is caught by one
        entry. Two point reads for an account (three with a bound DID).
        """
        version = ACTIVE.get(reader)
        if not version:
            return None
        if ENTRIES.has(reader, (version, address)):
            return version
        did = self._identity.did_of_account(reader, address) if is_account_id(address) else None
        if did and ENTRIES.has(reader, (version, did)):
            return version
        return None

    def travel_covered(self, msgs: Sequence[Msg], index: int) -> bool:
        """Whether message ``index`` of a transaction whose decoded messages are ``msgs`` is
        covered by an ``aml/travel_record`` message of the same transaction (pure: reads no
        state; a record never covers itself or an index the transaction does not have)."""
        if not 0 <= index < len(msgs) or isinstance(msgs[index], MsgTravelRecord):
            return False
        return any(isinstance(m, MsgTravelRecord) and index in m.covers for m in msgs)

    # -- lists ------------------------------------------------------------------------------

    def get_list(self, reader: KVReader, version: int) -> SanctionsList | None:
        return LISTS.get(reader, version)

    def require_list(self, reader: KVReader, version: int) -> SanctionsList:
        found = LISTS.get(reader, version)
        if found is None:
            raise ErrUnknownList(
                f"no sanctions list has version {version}: query aml/active for the current one"
            )
        return found

    def lists(self, reader: KVReader) -> Iterator[SanctionsList]:
        """Every list version, in version order."""
        return LISTS.values(reader)

    def draft_version(self, reader: KVReader) -> int | None:
        return DRAFT_VERSION.get(reader)

    def next_version(self, reader: KVReader) -> int:
        return NEXT_VERSION.peek(reader)

    def on_list(self, reader: KVReader, version: int, entry: str) -> bool:
        """Whether ``entry`` (exactly as listed) is on version ``version``."""
        return ENTRIES.has(reader, (version, entry))

    def entries(self, reader: KVReader, version: int) -> Iterator[str]:
        """The entries of ``version`` in increasing order."""
        for (_, entry), _value in ENTRIES.iterate(reader, prefix=(version,)):
            yield entry

    # -- travel records ---------------------------------------------------------------------

    def travel(self, reader: KVReader, envelope_hash: bytes, account: str) -> TravelRecord | None:
        return TRAVEL.get(reader, (envelope_hash, account))

    def travel_of_hash(self, reader: KVReader, envelope_hash: bytes) -> list[TravelRecord]:
        """Every record of ``envelope_hash``, by recording account: an honest envelope has
        one; a copy of its hash recorded by another account is a record of that account's
        own messages (``check_record`` compares the account with the envelope's originator)."""
        return [record for _, record in TRAVEL.iterate(reader, prefix=(envelope_hash,))]

    def require_travel(self, reader: KVReader, envelope_hash: bytes, account: str) -> TravelRecord:
        found = TRAVEL.get(reader, (envelope_hash, account))
        if found is None:
            raise ErrUnknownTravel(
                f"account {account} recorded no travel-rule envelope {envelope_hash.hex()}"
            )
        return found

    def travel_records(self, reader: KVReader) -> Iterator[TravelRecord]:
        """Every travel record, in (envelope hash, account) order."""
        return TRAVEL.values(reader)

    def travel_hashes_of(self, reader: KVReader, role: str, did: str) -> Iterator[bytes]:
        """Envelope hashes of records naming ``did`` as ``role`` ("originator" or
        "beneficiary"), in hash order, each once."""
        last = None
        for envelope_hash, _account in TRAVEL.by(f"by_{role}", reader, did):
            if envelope_hash != last:
                yield envelope_hash
            last = envelope_hash


class AmlKeeper(AmlView):
    """Builds, seals and discards sanctions lists; records travel-rule envelopes.

    Parameters:
        credentials: the regulator registry (who may publish lists).
        identity: DIDs bound to accounts (a listed DID lists its accounts), and
            whether an institution's DID is active.
    """

    def __init__(self, credentials: RegulatorRegistry, identity: DidLookup) -> None:
        self._credentials = credentials
        self._identity = identity

    def _require_regulator(self, reader: KVReader, account: str) -> None:
        if self._credentials.regulator(reader, account) is None:
            raise ErrNotRegulator(
                f"account {account} is not a registered regulator: governance registers "
                "regulators (credentials/add_regulator)"
            )

    def _require_draft(self, ctx: Context, version: int) -> SanctionsList:
        draft = DRAFT_VERSION.get(ctx.store)
        if draft != version:
            hint = (
                f"the open draft is version {draft}"
                if draft
                else f"no draft is open; the next version is {self.next_version(ctx.store)}"
            )
            raise ErrUnknownList(f"sanctions list {version} is not an open draft: {hint}")
        return self.require_list(ctx.store, version)

    def _new_draft(self, ctx: Context, publisher: str, version: int) -> SanctionsList:
        """An empty draft of ``version`` (not yet written), which must be the next version."""
        expected = NEXT_VERSION.peek(ctx.store)
        if version != expected:
            raise ErrBadVersion(f"no draft is open: start version {expected}, not {version}")
        hash_alg = get_suite(ctx.suite).hash_name
        return SanctionsList(
            version, publisher, DRAFT, hash_alg, chain_start(hash_alg), 0, "", ctx.height, 0, 0
        )

    def _open(self, ctx: Context, version: int) -> None:
        NEXT_VERSION.next(ctx)
        DRAFT_VERSION.set(ctx, version)

    def _require_publisher(self, ctx: Context, publisher: str, version: int) -> SanctionsList:
        draft = self._require_draft(ctx, version)
        if draft.publisher != publisher:
            raise ErrNotPublisher(
                f"version {version} is being built by {draft.publisher}: only it may add to "
                "or seal it (any regulator may discard it)"
            )
        return draft

    def add_entries(
        self, ctx: Context, publisher: str, version: int, entries: tuple[str, ...]
    ) -> SanctionsList:
        """Append ``entries`` (checked increasing by the message) to draft ``version``,
        opening it if no draft is open and ``version`` is the next one."""
        self._require_regulator(ctx.store, publisher)
        open_version = DRAFT_VERSION.get(ctx.store)
        if open_version is None:
            draft = self._new_draft(ctx, publisher, version)
        elif version != open_version:
            raise ErrBadVersion(
                f"version {open_version} is being built: add to it, seal it or discard it "
                f"before version {version}"
            )
        else:
            draft = self._require_publisher(ctx, publisher, version)
        if draft.last and entries[0].encode() <= draft.last.encode():
            raise ErrEntryOrder(
                f"entry {entries[0]!r} does not follow the last one added, {draft.last!r}: "
                "send the list sorted, each chunk continuing the previous one"
            )
        if draft.count + len(entries) > MAX_LIST_SIZE:
            raise ErrListTooLarge(
                f"version {version} holds {draft.count} entries; {len(entries)} more would "
                f"exceed {MAX_LIST_SIZE}"
            )
        if open_version is None:
            self._open(ctx, version)
        for entry in entries:
            ENTRIES.set(ctx, (version, entry), b"")
        updated = draft.extended(entries)
        LISTS.set(ctx, version, updated)
        ctx.emit(events.entries_added(updated, len(entries)))
        return updated

    def seal(
        self, ctx: Context, publisher: str, version: int, count: int, digest: bytes
    ) -> SanctionsList:
        """Make draft ``version`` the active list if it holds ``count`` entries hashing to
        ``digest``; the list it replaces stays queryable. An empty list (``count`` 0) needs
        no draft: the seal of the next version opens and seals it."""
        self._require_regulator(ctx.store, publisher)
        opening = DRAFT_VERSION.get(ctx.store) is None and count == 0
        if opening:  # an empty list has no chunk to open its draft: the seal opens it
            draft = self._new_draft(ctx, publisher, version)
        else:
            draft = self._require_publisher(ctx, publisher, version)
        if draft.count != count or draft.hash != digest:
            raise ErrSealMismatch(
                f"the chain holds {draft.count} entries hashing to {draft.hash.hex()} "
                f"({draft.hash_alg}); you sealed {count} entries hashing to {digest.hex()}: "
                "send the missing chunks, or discard the draft and start again"
            )
        if opening:
            NEXT_VERSION.next(ctx)
        previous = self.active_list_version(ctx.store)
        updated = draft.closed(SEALED, ctx.height, ctx.time_ns)
        LISTS.set(ctx, version, updated)
        ACTIVE.set(ctx, version)
        DRAFT_VERSION.remove(ctx)
        ctx.emit(events.sealed(updated, previous))
        return updated

    def discard(self, ctx: Context, regulator: str, version: int) -> None:
        """Drop draft ``version``; its number is not reused, its entries stay (unreachable:
        lookups read only the active version)."""
        self._require_regulator(ctx.store, regulator)
        draft = self._require_draft(ctx, version)
        LISTS.set(ctx, version, draft.closed(DISCARDED, ctx.height, ctx.time_ns))
        DRAFT_VERSION.remove(ctx)
        ctx.emit(events.discarded(draft, regulator))

    def record_travel(
        self,
        ctx: Context,
        account: str,
        covers: tuple[int, ...],
        envelope_hash: bytes,
        originator_institution: str,
        beneficiary_institution: str,
    ) -> TravelRecord:
        """Record that the transfers at ``covers`` of the running transaction travel with
        the envelope hashing to ``envelope_hash`` (an account records an envelope once)."""
        for role, did in (
            ("originator", originator_institution),
            ("beneficiary", beneficiary_institution),
        ):
            if not self._identity.is_active(ctx.store, did):
                raise ErrUnknownInstitution(
                    f"{role} institution {did} is not a registered, active DID of this chain"
                )
        existing = TRAVEL.get(ctx.store, (envelope_hash, account))
        if existing is not None:
            raise ErrTravelExists(
                f"this account recorded envelope {envelope_hash.hex()} at height "
                f"{existing.height}: seal a new envelope for each transaction"
            )
        record = TravelRecord(
            get_suite(ctx.suite).hash_name,
            envelope_hash,
            originator_institution,
            beneficiary_institution,
            covers,
            account,
            ctx.tx_id,
            ctx.height,
            ctx.time_ns,
        )
        TRAVEL.set(ctx, (envelope_hash, account), record)
        ctx.emit(events.travel_recorded(record))
        return record

    # -- genesis ----------------------------------------------------------------------------

    def import_list(self, ctx: Context, found: SanctionsList, entries: Sequence[str]) -> None:
        """Store a list version and its entries as exported (the module checked them)."""
        LISTS.set(ctx, found.version, found)
        for entry in entries:
            ENTRIES.set(ctx, (found.version, entry), b"")

    def import_pointers(self, ctx: Context, active: int, draft: int, next_version: int) -> None:
        """The active and draft versions and the next number (each written only if set)."""
        if active:
            ACTIVE.set(ctx, active)
        if draft:
            DRAFT_VERSION.set(ctx, draft)
        if next_version != NEXT_VERSION.peek(ctx.store):
            NEXT_VERSION.set(ctx, next_version)

    def import_travel(self, ctx: Context, record: TravelRecord) -> None:
        key = (record.envelope_hash, record.account)
        if TRAVEL.has(ctx.store, key):
            raise ErrTravelExists(
                f"envelope {record.envelope_hash.hex()} of {record.account} is listed twice"
            )
        TRAVEL.set(ctx, key, record)
