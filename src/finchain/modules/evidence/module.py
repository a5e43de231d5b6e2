"""The evidence module: proof of existence of documents by hash, with multi-party co-signing.

Genesis: ``app_state["evidence"] = {"records": [...]}``, the records in the
order they were written, each in the form the ``evidence/record`` query
answers (what ``export_genesis`` produces; ``status`` and ``completed_height``,
and each co-signer's ``signed``, may be left out and are checked when given),
so a chain can carry its evidence over to a new genesis with the original
heights, times and transaction ids. Positions, submitter lists and counters
are rebuilt from that order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finchain.core.context import Context
from finchain.core.fields import ListOf, Nested, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import Invariant, KeeperModule, parse_genesis
from finchain.modules.evidence import handlers, queries
from finchain.modules.evidence.errors import ErrBadGenesis
from finchain.modules.evidence.keeper import EvidenceKeeper
from finchain.modules.evidence.keys import BY_SUBMITTER, RECORDS, STORE, SUBMITTER_COUNT
from finchain.modules.evidence.types import EvidenceRecord

NAME = "evidence"
_MAX_GENESIS_RECORDS = 100_000_000


@dataclass(frozen=True, slots=True)
class EvidenceGenesis(Record):
    """Every record, in the order written: ``seq`` is each one's position, times never decrease."""

    WHAT = "evidence genesis"
    records: tuple[EvidenceRecord, ...] = wire(
        ListOf(Nested(EvidenceRecord), max_items=_MAX_GENESIS_RECORDS)
    )

    def check(self) -> None:
        last_time = 0
        seen: set[tuple[str, bytes]] = set()
        for position, record in enumerate(self.records):
            what = f"evidence record #{position}"
            if record.seq != position:
                raise ErrBadGenesis(
                    f"{what}: seq must be {position} (records in the order written)"
                )
            if record.time_ns < last_time:
                raise ErrBadGenesis(
                    f"{what}: time_ns must not decrease from one record to the next"
                )
            if record.key in seen:
                raise ErrBadGenesis(
                    f"{what}: {record.hash_alg} {record.hash.hex()} is listed twice"
                )
            seen.add(record.key)
            last_time = record.time_ns


class EvidenceModule(KeeperModule[EvidenceKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES

    def default_genesis(self) -> dict[str, Any]:
        return EvidenceGenesis(()).to_json()

    def validate_genesis(self, state: dict[str, Any]) -> None:
        parse_genesis(EvidenceGenesis, state, ErrBadGenesis)

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        genesis = parse_genesis(EvidenceGenesis, state, ErrBadGenesis)
        if genesis.records and genesis.records[-1].time_ns > ctx.time_ns:
            raise ErrBadGenesis(
                f"evidence record #{len(genesis.records) - 1}: time_ns is after the genesis time"
            )
        for record in genesis.records:
            self.keeper.import_record(ctx, record)

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        return EvidenceGenesis(tuple(self.keeper.records(reader))).to_json()

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [("evidence/lists-match-records", self._lists_match_records)]

    def _lists_match_records(self, reader: KVReader) -> str | None:
        """Each record sits at its own position, in time order, and in its submitter's list."""
        k = self.keeper
        count = k.count(reader)
        if sum(1 for _ in RECORDS.keys(reader)) != count:
            return f"the chain holds a number of records other than its count {count}"
        per_submitter: dict[str, int] = {}
        last_time = 0
        for position, record in enumerate(k.records(reader)):
            if record.seq != position or record.time_ns < last_time:
                return f"record {record.hash.hex()} is out of place at position {position}"
            last_time = record.time_ns
            mine = per_submitter.get(record.submitter, 0)
            if BY_SUBMITTER.get(reader, (record.submitter, mine)) != position:
                return f"submitter list of {record.submitter} disagrees at position {mine}"
            per_submitter[record.submitter] = mine + 1
        counted = dict(SUBMITTER_COUNT.iterate(reader))
        if counted != per_submitter:
            wrong = sorted(
                a for a in counted.keys() | per_submitter if counted.get(a) != per_submitter.get(a)
            )
            return f"submitter counts of {', '.join(wrong)} disagree with their records"
        return None


__all__ = ["NAME", "EvidenceGenesis", "EvidenceModule"]
