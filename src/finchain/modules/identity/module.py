"""The identity module: the ``did:finchain`` registry (docs/did-method.md).

Genesis (``IdentityGenesis``, JSON with public keys in hex):
``app_state["identity"] = {"next_number": 1, "dids": [], "bindings": []}``.
An exported chain carries every DID with its full version history (so past
versions still resolve after an upgrade) and every account binding, and
imports into a fresh chain entry for entry (the indexes are rebuilt by the
collections). DIDs name their chain, so an import refuses DIDs of another
chain id: renaming every DID would break every credential that names one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finchain.core.context import Context
from finchain.core.fields import HEIGHT, Integer, ListOf, Nested, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import Invariant, KeeperModule, genesis_errors, parse_genesis
from finchain.formats.did import MAX_NUMBER
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.identity import handlers, keys, queries
from finchain.modules.identity.errors import ErrBadGenesis
from finchain.modules.identity.keeper import IdentityKeeper
from finchain.modules.identity.types import (
    DID,
    MAX_BOUND_ACCOUNTS,
    DidRecord,
    parse_did,
)

NAME = "identity"
MAX_GENESIS_DIDS = 10_000_000
MAX_GENESIS_VERSIONS = 100_000


@dataclass(frozen=True, slots=True)
class DidHistory(Record):
    """Every version of one DID, oldest first (the last is the current one)."""

    WHAT = "DID history"
    versions: tuple[DidRecord, ...] = wire(
        ListOf(Nested(DidRecord), min_items=1, max_items=MAX_GENESIS_VERSIONS)
    )

    def check(self) -> None:
        first = self.versions[0]
        previous: DidRecord | None = None
        for number, record in enumerate(self.versions, 1):
            if record.version != number or record.did != first.did:
                raise ErrBadGenesis("versions must be 1, 2, ... of one DID")
            if (record.created_ns, record.created_height) != (
                first.created_ns,
                first.created_height,
            ):
                raise ErrBadGenesis("every version must keep the creation time and height")
            if previous is None and record.updated_ns != record.created_ns:
                raise ErrBadGenesis("version 1 is updated when it is created")
            if previous is not None and (
                record.updated_ns < previous.updated_ns or previous.deactivated
            ):
                raise ErrBadGenesis(f"version {number} goes back in time or follows a deactivation")
            if record.deactivated and (record.methods or record.services or record.controllers):
                raise ErrBadGenesis(
                    "a deactivated version holds no methods, services or controllers"
                )
            previous = record

    @property
    def current(self) -> DidRecord:
        return self.versions[-1]


@dataclass(frozen=True, slots=True)
class BindingEntry(Record):
    WHAT = "binding"
    account: str = wire(ACCOUNT)
    did: str = wire(DID)
    height: int = wire(HEIGHT)


@dataclass(frozen=True, slots=True)
class IdentityGenesis(Record):
    """The registry: the DID counter, every DID with its history, every binding.

    ``check`` holds the rules that need no state: DIDs in number order below
    the counter, controller DIDs that are other active DIDs of the genesis,
    bindings of distinct accounts to active DIDs, at most 64 per DID.
    """

    WHAT = "identity genesis"
    next_number: int = wire(Integer(low=1, high=MAX_NUMBER + 1))
    dids: tuple[DidHistory, ...] = wire(ListOf(Nested(DidHistory), max_items=MAX_GENESIS_DIDS))
    bindings: tuple[BindingEntry, ...] = wire(
        ListOf(Nested(BindingEntry), max_items=MAX_GENESIS_DIDS)
    )

    def check(self) -> None:
        current = {entry.current.did: entry.current for entry in self.dids}
        last = 0
        for index, entry in enumerate(self.dids):
            did = entry.current.did
            number = parse_did(did)[1]
            if not last < number < self.next_number:
                raise ErrBadGenesis(
                    f"dids[{index}]: {did} must come after DID number {last} and "
                    f"below next_number {self.next_number}"
                )
            last = number
            for controller in entry.current.controllers:
                found = current.get(controller)
                if controller == did or found is None or found.deactivated:
                    raise ErrBadGenesis(
                        f"{did}: controller {controller} is not another active DID of this genesis"
                    )
        counts: dict[str, int] = {}
        seen: set[str] = set()
        for index, binding in enumerate(self.bindings):
            where = f"bindings[{index}]"
            found = current.get(binding.did)
            if found is None or found.deactivated:
                raise ErrBadGenesis(
                    f"{where}: {binding.did!r} is not an active DID of this genesis"
                )
            if binding.account in seen:
                raise ErrBadGenesis(f"{where}: {binding.account} is bound twice")
            seen.add(binding.account)
            counts[binding.did] = counts.get(binding.did, 0) + 1
            if counts[binding.did] > MAX_BOUND_ACCOUNTS:
                raise ErrBadGenesis(
                    f"{where}: {binding.did} has more than {MAX_BOUND_ACCOUNTS} accounts"
                )


class IdentityModule(KeeperModule[IdentityKeeper]):
    name = NAME
    store_key = keys.STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES

    def default_genesis(self) -> dict[str, Any]:
        return IdentityGenesis(1, (), ()).to_json()

    def validate_genesis(self, state: dict[str, Any]) -> None:
        self._parse(state)

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        """DIDs of this chain with their versions, the counter, then bindings; the accounts
        named must exist (a controller of an active DID, not closed)."""
        genesis = self._parse(state)
        with genesis_errors(ErrBadGenesis, IdentityGenesis.WHAT):
            for entry in genesis.dids:
                self.keeper.import_did(ctx, entry.versions)
            self.keeper.set_next_number(ctx, genesis.next_number)
            for binding in genesis.bindings:
                number = parse_did(binding.did)[1]
                self.keeper.import_binding(ctx, number, binding.account, binding.height)

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        k = self.keeper
        dids: list[DidHistory] = []
        names: dict[int, str] = {}
        for current in k.records(reader):
            number = parse_did(current.did)[1]
            names[number] = current.did
            dids.append(DidHistory((*k.history(reader, number), current)))
        bindings = sorted(
            (BindingEntry(account, names[b.number], b.height) for account, b in k.bindings(reader)),
            key=lambda b: (b.did, b.account),
        )
        return IdentityGenesis(k.next_number(reader), tuple(dids), tuple(bindings)).to_json()

    @staticmethod
    def _parse(state: dict[str, Any]) -> IdentityGenesis:
        """The section, strictly, in canonical form (what ``export_genesis`` writes)."""
        genesis = parse_genesis(IdentityGenesis, state, ErrBadGenesis)
        for index, (entry, given) in enumerate(zip(genesis.dids, state["dids"], strict=True)):
            if entry.to_json() != given:
                raise ErrBadGenesis(
                    f"identity genesis: dids[{index}]: entries must be in canonical (sorted) order"
                )
        return genesis

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [
            ("identity/numbers-below-counter", self._numbers_below_counter),
            ("identity/history-complete", self._history_complete),
            ("identity/bindings-to-active-dids", self._bindings_consistent),
            ("identity/controller-index", self._controller_index),
        ]

    def _numbers_below_counter(self, reader: KVReader) -> str | None:
        next_number = self.keeper.next_number(reader)
        for record in self.keeper.records(reader):
            if parse_did(record.did)[1] >= next_number:
                return f"{record.did} is at or above the DID counter {next_number}"
        return None

    def _history_complete(self, reader: KVReader) -> str | None:
        for record in self.keeper.records(reader):
            stored = [v.version for v in self.keeper.history(reader, parse_did(record.did)[1])]
            if stored != list(range(1, record.version)):
                return f"{record.did} at version {record.version} has history {stored}"
        return None

    def _bindings_consistent(self, reader: KVReader) -> str | None:
        """Each binding is to an active DID and filed under that DID in the index, which
        lists no more than 64 accounts per DID."""
        for account, binding in self.keeper.bindings(reader):
            record = self.keeper.record(reader, binding.number)
            if record is None or record.deactivated:
                return f"account {account} is bound to DID number {binding.number}, not active"
            listed = self.keeper.bound_accounts(reader, binding.number)
            if account not in listed or len(listed) > MAX_BOUND_ACCOUNTS:
                return f"the accounts bound to DID number {binding.number} are listed as {listed}"
        return None

    def _controller_index(self, reader: KVReader) -> str | None:
        """Each controller account's index entries are exactly the DIDs it controls."""
        expected: dict[str, list[int]] = {}
        for record in self.keeper.records(reader):
            expected.setdefault(record.controller_account, []).append(parse_did(record.did)[1])
        for account, numbers in expected.items():
            if list(self.keeper.dids_of_controller(reader, account)) != numbers:
                return f"the controller-account index of {account} does not match its DIDs"
        return None


__all__ = ["NAME", "IdentityGenesis", "IdentityModule"]
