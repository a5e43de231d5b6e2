"""The aml module: sanctions lists and travel-rule records.

Genesis: ``app_state["aml"] = {"lists": [{"list": {...}, "entries": [...]}, ...],
"active": V, "draft": V, "next_version": N, "travel": [...]}``: every list version
in version order with its entries (increasing), in the form ``aml/list``
answers; the active and draft versions (0: none); the next version number; the
travel records in envelope-hash order. On import each list's hash, count and
last entry are recomputed from its entries and must agree. The default writes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finchain.core.context import Context
from finchain.core.fields import Checked, Integer, ListOf, Nested, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import Invariant, RecordGenesisModule, genesis_errors, parse_genesis
from finchain.modules.aml import handlers, queries
from finchain.modules.aml.errors import ErrBadGenesis
from finchain.modules.aml.keeper import AmlKeeper
from finchain.modules.aml.keys import STORE
from finchain.modules.aml.types import (
    DRAFT,
    ENTRY,
    MAX_LIST_SIZE,
    MAX_VERSION,
    SEALED,
    SanctionsList,
    TravelRecord,
    chain_start,
    chain_step,
    increasing,
)

NAME = "aml"
_MAX_GENESIS = 10_000_000


@dataclass(frozen=True, slots=True)
class ListWithEntries(Record):
    WHAT = "sanctions list with entries"
    list: SanctionsList = wire(Nested(SanctionsList))
    entries: tuple[str, ...] = wire(
        Checked(ListOf(ENTRY, max_items=MAX_LIST_SIZE), increasing), default=()
    )

    def check(self) -> None:
        found = self.list
        digest = chain_start(found.hash_alg)
        for entry in self.entries:
            digest = chain_step(found.hash_alg, digest, entry)
        last = self.entries[-1] if self.entries else ""
        if (found.count, found.hash, found.last) != (len(self.entries), digest, last):
            raise ErrBadGenesis(
                f"aml genesis: list {found.version}'s count, hash or last entry disagrees "
                "with its entries"
            )


@dataclass(frozen=True, slots=True)
class AmlGenesis(Record):
    WHAT = "aml genesis"
    lists: tuple[ListWithEntries, ...] = wire(
        ListOf(Nested(ListWithEntries), max_items=_MAX_GENESIS), default=()
    )
    active: int = wire(Integer(low=0, high=MAX_VERSION), default=0)
    draft: int = wire(Integer(low=0, high=MAX_VERSION), default=0)
    next_version: int = wire(Integer(low=1, high=MAX_VERSION), default=1)
    travel: tuple[TravelRecord, ...] = wire(
        ListOf(Nested(TravelRecord), max_items=_MAX_GENESIS), default=()
    )

    def check(self) -> None:
        problem = _pointers_problem(
            [item.list for item in self.lists], self.active, self.draft, self.next_version
        )
        if problem:
            raise ErrBadGenesis(f"aml genesis: {problem}")
        keys = [(record.envelope_hash, record.account) for record in self.travel]
        if keys != sorted(set(keys)):
            raise ErrBadGenesis(
                "aml genesis: travel records must be in increasing (hash, account) order"
            )


def _pointers_problem(
    lists: Sequence[SanctionsList], active: int, draft: int, next_version: int
) -> str | None:
    """What is wrong with the versions, the active and draft pointers and the next number."""
    versions = [found.version for found in lists]
    if versions != sorted(set(versions)):
        return "lists must be in increasing version order"
    if versions and versions[-1] >= next_version:
        return f"next_version {next_version} must exceed every version ({versions[-1]})"
    by_version = {found.version: found for found in lists}
    if active and (active not in by_version or by_version[active].state != SEALED):
        return f"active version {active} is not a sealed list"
    drafts = [found.version for found in lists if found.state == DRAFT]
    if drafts != ([draft] if draft else []):
        return f"the draft pointer ({draft or 'none'}) disagrees with the drafts {drafts}"
    if draft and draft != next_version - 1:
        return f"draft {draft} must be the last version opened ({next_version - 1})"
    sealed = [found.version for found in lists if found.state == SEALED]
    if sealed and active != sealed[-1]:
        return f"the active version must be the last sealed one ({sealed[-1]}), not {active}"
    return None


class AmlModule(RecordGenesisModule[AmlKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES
    GENESIS = AmlGenesis
    GENESIS_ERROR = ErrBadGenesis

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        genesis = parse_genesis(AmlGenesis, state, ErrBadGenesis)
        with genesis_errors(ErrBadGenesis, AmlGenesis.WHAT):
            for item in genesis.lists:
                self.keeper.import_list(ctx, item.list, item.entries)
            self.keeper.import_pointers(ctx, genesis.active, genesis.draft, genesis.next_version)
            for record in genesis.travel:
                self.keeper.import_travel(ctx, record)

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        k = self.keeper
        lists = tuple(
            ListWithEntries(found, tuple(k.entries(reader, found.version)))
            for found in k.lists(reader)
        )
        return AmlGenesis(
            lists,
            k.active_list_version(reader),
            k.draft_version(reader) or 0,
            k.next_version(reader),
            tuple(k.travel_records(reader)),
        ).to_json()

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [("aml/lists", self._lists_consistent)]

    def _lists_consistent(self, reader: KVReader) -> str | None:
        """The pointers agree with the list records, and each record's count and hash are
        those of the entries stored under its version (reads every entry once)."""
        k = self.keeper
        lists = list(k.lists(reader))
        problem = _pointers_problem(
            lists,
            k.active_list_version(reader),
            k.draft_version(reader) or 0,
            k.next_version(reader),
        )
        if problem:
            return problem
        for found in lists:
            digest, count = chain_start(found.hash_alg), 0
            for entry in k.entries(reader, found.version):
                digest, count = chain_step(found.hash_alg, digest, entry), count + 1
            if (count, digest) != (found.count, found.hash):
                return f"list {found.version} records {found.count} entries, {count} are stored"
        return None


__all__ = ["NAME", "AmlGenesis", "AmlModule"]
