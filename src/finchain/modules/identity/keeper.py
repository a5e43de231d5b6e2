"""The only code that reads or writes the identity module's keys.

Narrow door: every new version of a DID goes through ``_put_version``, which
moves the superseded version into history, numbers and time-stamps the new
one, checks the whole document, keeps the controller index, and emits the
version's event. So creation, update, rotation and deactivation are all
versioned and visible the same way.

View methods take any reader (a context's store, committed or historical
state) and never raise on a malformed or unknown DID: they answer None/False,
because other modules (credentials) call them with DIDs read from documents.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from finchain.core import gas
from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.events import Event
from finchain.core.kv import KVReader
from finchain.crypto import verify_signature
from finchain.errors import FinchainError
from finchain.modules.identity import events
from finchain.modules.identity.binding import binding_statement
from finchain.modules.identity.deps import AccountsView
from finchain.modules.identity.document import (
    INVALID_DID,
    INVALID_DID_URL,
    NOT_FOUND,
    resolution,
    resolution_error,
)
from finchain.modules.identity.errors import (
    ErrAlreadyBound,
    ErrBadBindingProof,
    ErrBadGenesis,
    ErrControllerCloses,
    ErrDeactivated,
    ErrDidNotFound,
    ErrInvalidController,
    ErrMethodExists,
    ErrMethodNotFound,
    ErrNoChange,
    ErrNotBound,
    ErrNotController,
    ErrServiceExists,
    ErrServiceNotFound,
    ErrStaleBindingNonce,
    ErrTooMany,
)
from finchain.modules.identity.keys import (
    BINDINGS,
    BY_CONTROLLER,
    BY_DID,
    DIDS,
    NEXT_NUMBER,
    VERSIONS,
)
from finchain.modules.identity.types import (
    AUTHENTICATION,
    MAX_BOUND_ACCOUNTS,
    Binding,
    DidRecord,
    Method,
    RelationshipChange,
    Service,
    did_for,
    number_on_chain,
    parse_did,
)

MethodInfo = tuple[str, bytes, tuple[str, ...]]
"""``(scheme, public key bytes, relationships)`` of a verification method."""


class IdentityView:
    """Read-only access, usable on any reader."""

    def next_number(self, reader: KVReader) -> int:
        return NEXT_NUMBER.peek(reader)

    def record(self, reader: KVReader, number: int) -> DidRecord | None:
        """The current version of DID ``number``."""
        return DIDS.get(reader, number)

    def record_of(self, reader: KVReader, did: object) -> DidRecord | None:
        """The current version of ``did``; None if malformed, unknown or of another chain."""
        try:
            _, number = parse_did(did)
        except FinchainError:
            return None
        found = self.record(reader, number)
        return found if found is not None and found.did == did else None

    def version(self, reader: KVReader, current: DidRecord, version_id: int) -> DidRecord | None:
        """Version ``version_id`` of the DID whose current version is ``current``."""
        if version_id == current.version:
            return current
        if not 1 <= version_id < current.version:
            return None
        _, number = parse_did(current.did)
        return VERSIONS.get(reader, (number, version_id))

    def version_at(self, reader: KVReader, current: DidRecord, time_ns: int) -> DidRecord | None:
        """The version in force at block time ``time_ns`` (None before the DID existed).

        Versions carry non-decreasing block times, so a binary search finds it in
        O(log versions) reads: the VC verifier asks for an issuer's keys as of
        the issuance date on every verification.
        """
        if current.updated_ns <= time_ns:
            return current
        if current.created_ns > time_ns:
            return None
        low, high = 1, current.version - 1  # version `low` is in force at time_ns
        while low < high:
            middle = (low + high + 1) // 2
            found = self.version(reader, current, middle)
            if found is not None and found.updated_ns <= time_ns:
                low = middle
            else:
                high = middle - 1
        return self.version(reader, current, low)

    def records(self, reader: KVReader) -> Iterator[DidRecord]:
        """Every DID's current version, in number order."""
        return DIDS.values(reader)

    def history(self, reader: KVReader, number: int) -> Iterator[DidRecord]:
        """The superseded versions of DID ``number``, oldest first."""
        return VERSIONS.values(reader, prefix=(number,))

    # -- what other modules call -------------------------------------------------------------

    def controller_account(self, reader: KVReader, did: str) -> str | None:
        """The account controlling ``did``; None if unknown or deactivated."""
        found = self.record_of(reader, did)
        return None if found is None or found.deactivated else found.controller_account

    def controls(self, reader: KVReader, did: str, account: str) -> bool:
        """True iff ``account`` may change ``did``: it is the DID's controller account, or the
        controller account of one of its active controller DIDs (one level, not transitive)."""
        found = self.record_of(reader, did)
        if found is None or found.deactivated:
            return False
        if found.controller_account == account:
            return True
        return any(self.controller_account(reader, c) == account for c in found.controllers)

    def is_active(self, reader: KVReader, did: str) -> bool:
        found = self.record_of(reader, did)
        return found is not None and not found.deactivated

    def did_of_account(self, reader: KVReader, account: str) -> str | None:
        """The DID ``account`` is bound to, if any."""
        binding = BINDINGS.get(reader, account)
        if binding is None:
            return None
        found = self.record(reader, binding.number)
        return None if found is None else found.did

    def verification_method(
        self, reader: KVReader, did: str, key_id: str, *, at_time_ns: int | None = None
    ) -> MethodInfo | None:
        """The key behind ``<did>#<key_id>`` now, or in force at block time ``at_time_ns``.

        Now: None if the DID is unknown or deactivated. At a time: the method as
        the DID held it then, even if the DID was later deactivated; callers that
        must refuse deactivated issuers check :meth:`is_active` as well.
        """
        current = self.record_of(reader, did)
        if current is None:
            return None
        found = current if at_time_ns is None else self.version_at(reader, current, at_time_ns)
        method = None if found is None else found.method(key_id)
        return None if method is None else (method.scheme, method.public_key, method.relationships)

    def bound_accounts(self, reader: KVReader, number: int) -> list[str]:
        """The accounts bound to DID ``number``, in account order."""
        return list(BINDINGS.by(BY_DID, reader, number))

    def bindings(self, reader: KVReader) -> Iterator[tuple[str, Binding]]:
        """(account, binding) of every binding, in account order."""
        return BINDINGS.iterate(reader)

    def dids_of_controller(self, reader: KVReader, account: str) -> Iterator[int]:
        """The numbers of the DIDs whose controller account is ``account``, in order."""
        return DIDS.by(BY_CONTROLLER, reader, account)

    def dids_of_controller_page(
        self, reader: KVReader, account: str, cursor: int, limit: int
    ) -> tuple[list[DidRecord], int | None]:
        """Up to ``limit`` DIDs whose controller account is ``account`` (deactivated ones
        included), numbered ``cursor`` or more, and the number the next page starts at
        (None when this is the last). Skipped entries cost a key read each, no decode."""
        page: list[DidRecord] = []
        for number in self.dids_of_controller(reader, account):
            if number < cursor:
                continue
            if len(page) == limit:
                return page, number
            found = self.record(reader, number)
            if found is not None:
                page.append(found)
        return page, None

    def resolve(
        self,
        reader: KVReader,
        did: object,
        *,
        version_id: int | None = None,
        at_time_ns: int | None = None,
    ) -> dict[str, Any]:
        """A DID Resolution result: the document and its metadata, or an error in the metadata.

        ``version_id`` (DID parameter ``versionId``) or ``at_time_ns``
        (``versionTime``) select a past version. Never raises.
        """
        try:
            _, number = parse_did(did)
        except FinchainError as exc:
            return resolution_error(INVALID_DID, exc.message)
        if version_id is not None and at_time_ns is not None:
            return resolution_error(INVALID_DID_URL, "give versionId or versionTime, not both")
        current = self.record(reader, number)
        if current is None or current.did != did:
            return resolution_error(NOT_FOUND, f"{did} is not registered on this chain")
        if version_id is not None:
            resolved = self.version(reader, current, version_id)
            missing = f"{did} has versions 1 to {current.version}, not {version_id}"
        elif at_time_ns is not None:
            resolved = self.version_at(reader, current, at_time_ns)
            missing = f"{did} did not exist yet at that time"
        else:
            resolved, missing = current, ""
        if resolved is None:
            return resolution_error(NOT_FOUND, missing)
        following = self.version(reader, current, resolved.version + 1)
        return resolution(resolved, current, following)


class IdentityKeeper(IdentityView):
    def __init__(self, accounts: AccountsView) -> None:
        self._accounts = accounts

    # -- checks ------------------------------------------------------------------------------

    def require_record(self, ctx: Context, did: str) -> DidRecord:
        """The current version of a DID of this chain; ErrForeignDid / ErrDidNotFound else."""
        found = self.record(ctx.store, number_on_chain(ctx.chain_id, did))
        if found is None:
            raise ErrDidNotFound(f"{did} is not registered: check the DID (query identity/resolve)")
        return found

    def require_active(self, ctx: Context, did: str) -> DidRecord:
        found = self.require_record(ctx, did)
        if found.deactivated:
            raise ErrDeactivated(f"{did} was deactivated at version {found.version} for good")
        return found

    def require_controlled(self, ctx: Context, did: str, signer: str) -> DidRecord:
        found = self.require_active(ctx, did)
        if not self.controls(ctx.store, did, signer):
            raise ErrNotController(
                f"account {signer} does not control {did}: send the transaction from its "
                f"controller account {found.controller_account} or from the controller account "
                "of one of its controller DIDs"
            )
        return found

    def require_active_account(self, ctx: Context, account: str, role: str) -> None:
        if self._accounts.status(ctx.store, account) != AccountStatus.ACTIVE:
            raise ErrInvalidController(f"{role} {account} is not an existing, active account")

    def assert_can_close(self, ctx: Context, account: str) -> None:
        """A close guard for the accounts module: a controller account of an active DID
        cannot close.

        A closed account never signs again, so its DIDs would stay active with nobody
        able to rotate a leaked key, deactivate them or revoke the data grants they
        made; only a governance proposal could retire them.
        """
        for number in self.dids_of_controller(ctx.store, account):
            found = self.record(ctx.store, number)
            if found is not None and not found.deactivated:
                raise ErrControllerCloses(
                    f"account {account} controls {found.did}: deactivate it "
                    "(identity/deactivate_did) or hand it to another account (identity/update_did "
                    "with controller_account) before closing the account"
                )

    def check_controllers(self, ctx: Context, did: str, controllers: Sequence[str]) -> None:
        """Controller DIDs must be other DIDs of this chain that exist and are active."""
        for controller in controllers:
            if controller == did:
                raise ErrInvalidController(
                    f"{did} cannot list itself as a controller: its controller account "
                    "already controls it"
                )
            number_on_chain(ctx.chain_id, controller)
            if not self.is_active(ctx.store, controller):
                raise ErrInvalidController(
                    f"controller {controller} is not a registered, active DID"
                )

    # -- lifecycle ---------------------------------------------------------------------------

    def create(
        self,
        ctx: Context,
        controller_account: str,
        methods: Sequence[Method],
        services: Sequence[Service],
        controllers: Sequence[str],
    ) -> DidRecord:
        number = self.next_number(ctx.store)
        did = did_for(ctx.chain_id, number)
        self.check_controllers(ctx, did, controllers)
        NEXT_NUMBER.set(ctx, number + 1)
        record = DidRecord(
            did, controller_account, (), (), (), 0, ctx.time_ns, ctx.height, 0, 0, False
        ).with_content(methods=methods, services=services, controllers=controllers)
        return self._put_version(ctx, None, record, events.did_created(did, controller_account))

    def update(
        self,
        ctx: Context,
        current: DidRecord,
        *,
        add_methods: Sequence[Method] = (),
        remove_methods: Sequence[str] = (),
        set_relationships: Sequence[RelationshipChange] = (),
        add_services: Sequence[Service] = (),
        remove_services: Sequence[str] = (),
        controllers: Sequence[str] | None = None,
        controller_account: str | None = None,
    ) -> DidRecord:
        """One new version with these changes, applied in this order (did-method.md §4.3)."""
        methods = {m.id: m for m in current.methods}
        for key_id in remove_methods:
            if methods.pop(key_id, None) is None:
                raise ErrMethodNotFound(f"{current.did} has no method {key_id!r} to remove")
        for method in add_methods:
            if method.id in methods:
                raise ErrMethodExists(
                    f"{current.did} already has a method {method.id!r}: use identity/rotate_key "
                    "to change its key"
                )
            methods[method.id] = method
        for change in set_relationships:
            if change.id not in methods:
                raise ErrMethodNotFound(f"{current.did} has no method {change.id!r}")
            methods[change.id] = replace(methods[change.id], relationships=change.relationships)
        services = {s.id: s for s in current.services}
        for service_id in remove_services:
            if services.pop(service_id, None) is None:
                raise ErrServiceNotFound(f"{current.did} has no service {service_id!r}")
        for service in add_services:
            if service.id in services:
                raise ErrServiceExists(f"{current.did} already has a service {service.id!r}")
            services[service.id] = service
        if controllers is not None:
            self.check_controllers(ctx, current.did, controllers)
        if controller_account is not None:
            self.require_active_account(ctx, controller_account, "new controller account")
        updated = current.with_content(
            methods=list(methods.values()),
            services=list(services.values()),
            controllers=controllers,
            controller_account=controller_account,
        )
        event = events.did_changed(events.DID_UPDATED, current.did, current.version + 1, ctx.signer)
        return self._put_version(ctx, current, updated, event)

    def rotate(
        self, ctx: Context, current: DidRecord, key_id: str, scheme: str, public_key: bytes
    ) -> DidRecord:
        old = current.method(key_id)
        if old is None:
            raise ErrMethodNotFound(f"{current.did} has no method {key_id!r} to rotate")
        new = Method(key_id, scheme, public_key, old.relationships)
        rotated = current.with_content(
            methods=[new if m.id == key_id else m for m in current.methods]
        )
        event = events.key_rotated(current.did, current.version + 1, ctx.signer, key_id)
        return self._put_version(ctx, current, rotated, event)

    def deactivate(self, ctx: Context, current: DidRecord) -> DidRecord:
        """Permanent: the record keeps only its id and controller account; bindings end."""
        number = parse_did(current.did)[1]
        for account in self.bound_accounts(ctx.store, number):
            self._drop_binding(ctx, current, account, "deactivated")
        emptied = replace(current, controllers=(), methods=(), services=(), deactivated=True)
        event = events.did_changed(
            events.DID_DEACTIVATED, current.did, current.version + 1, ctx.signer
        )
        return self._put_version(ctx, current, emptied, event)

    # -- bindings ----------------------------------------------------------------------------

    def bind(
        self,
        ctx: Context,
        record: DidRecord,
        account: str,
        *,
        key_id: str,
        nonce: int,
        signature: bytes,
    ) -> None:
        """Bind ``account`` (the signer: the account side) after checking the DID side's proof:
        ``signature`` by the DID's authentication method ``key_id`` over the binding
        statement for ``nonce``, which must be this transaction's."""
        bound_to = self.did_of_account(ctx.store, account)
        if bound_to is not None:
            raise ErrAlreadyBound(
                f"account {account} is bound to {bound_to}: unbind it first "
                "(an account is bound to one DID at most)"
            )
        method = record.method(key_id)
        if method is None or AUTHENTICATION not in method.relationships:
            raise ErrBadBindingProof(
                f"{record.did}#{key_id} is not an authentication method of the DID: "
                "sign the binding statement with one"
            )
        expected = self._accounts.nonce(ctx.store, account) - 1
        if nonce != expected:
            raise ErrStaleBindingNonce(
                f"the binding proof names nonce {nonce} but this transaction has nonce "
                f"{expected}: have the DID key sign the statement for the transaction's nonce"
            )
        ctx.store.meter.charge(gas.SIG_VERIFY[method.scheme], "verifying the binding proof")
        statement = binding_statement(ctx.chain_id, record.did, account, nonce)
        if not verify_signature(method.scheme, method.public_key, statement, signature):
            raise ErrBadBindingProof(
                f"the signature does not verify under {record.did}#{key_id} over the binding "
                "statement (finchain.modules.identity.binding.binding_statement)"
            )
        number = parse_did(record.did)[1]
        if len(self.bound_accounts(ctx.store, number)) >= MAX_BOUND_ACCOUNTS:
            raise ErrTooMany(f"{record.did} already has {MAX_BOUND_ACCOUNTS} bound accounts")
        self._put_binding(ctx, number, account, ctx.height)
        ctx.emit(events.account_bound(record.did, account))

    def unbind(self, ctx: Context, record: DidRecord, account: str, reason: str) -> None:
        if self.did_of_account(ctx.store, account) != record.did:
            raise ErrNotBound(f"account {account} is not bound to {record.did}")
        self._drop_binding(ctx, record, account, reason)

    # -- genesis -----------------------------------------------------------------------------

    def import_did(self, ctx: Context, versions: Sequence[DidRecord]) -> None:
        """Write an exported DID's versions as they were (genesis of an upgraded chain).

        The DID must be of this chain; the controller account of an active DID must
        exist and not be closed (a frozen one keeps its DIDs, as on the exporting chain).
        """
        current = versions[-1]
        number = number_on_chain(ctx.chain_id, current.did)
        status = self._accounts.status(ctx.store, current.controller_account)
        if not current.deactivated and status not in (AccountStatus.ACTIVE, AccountStatus.FROZEN):
            raise ErrBadGenesis(
                f"{current.did}: controller account {current.controller_account} does not exist "
                "or is closed"
            )
        for superseded in versions[:-1]:
            VERSIONS.set(ctx, (number, superseded.version), superseded)
        DIDS.set(ctx, number, versions[-1])

    def set_next_number(self, ctx: Context, number: int) -> None:
        NEXT_NUMBER.set(ctx, number)

    def import_binding(self, ctx: Context, number: int, account: str, height: int) -> None:
        """An exported binding; the account must exist (it may have closed since it bound)."""
        if self._accounts.status(ctx.store, account) is None:
            raise ErrBadGenesis(f"binding of {account}: no such account")
        self._put_binding(ctx, number, account, height)

    # -- the narrow doors --------------------------------------------------------------------

    def _put_version(
        self, ctx: Context, old: DidRecord | None, new: DidRecord, event: Event
    ) -> DidRecord:
        if old is not None and replace(new, version=old.version) == old:
            raise ErrNoChange(f"the update leaves {old.did} as it is: nothing to record")
        new.check()
        number = parse_did(new.did)[1]
        stamped = replace(
            new,
            version=1 if old is None else old.version + 1,
            updated_ns=ctx.time_ns,
            updated_height=ctx.height,
        )
        if old is not None:
            VERSIONS.set(ctx, (number, old.version), old)
        DIDS.set(ctx, number, stamped)  # the controller index follows
        ctx.emit(event)
        return stamped

    def _put_binding(self, ctx: Context, number: int, account: str, height: int) -> None:
        BINDINGS.set(ctx, account, Binding(number, height))  # the DID index follows

    def _drop_binding(self, ctx: Context, record: DidRecord, account: str, reason: str) -> None:
        BINDINGS.remove(ctx, account)
        ctx.emit(events.account_unbound(record.did, account, reason))
