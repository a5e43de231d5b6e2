"""The governance module's state: the only place its keys are spelled.

Numbers (proposal ids, heights, evidence ids) are 8 big-endian bytes, so byte
order is numeric order and every listing comes out sorted without a sort.
Two indexes are kept by the collections themselves, so they can never
disagree with the records: the queue of proposals due at a height (to be
tallied or executed) and the evidence already recorded per report.
"""

from __future__ import annotations

from finchain.core.collections import (
    BYTES,
    STR,
    U64,
    FixedBytes,
    Index,
    IndexedMap,
    Item,
    Map,
    Pair,
    RecordValue,
    Sequence,
    StoreKey,
    U64Value,
)
from finchain.modules.governance.types import (
    ADDRESS_BYTES,
    Evidence,
    GovParams,
    Member,
    Proposal,
    Validator,
    Vote,
)

PREFIX = b"gov/"
STORE = StoreKey("governance", PREFIX)

PARAMS: Item[GovParams] = Item(STORE, b"params", RecordValue(GovParams.from_obj))
TOTAL_WEIGHT: Item[int] = Item(STORE, b"total_weight", U64Value())
"""The sum of the members' weights, kept by the keeper's two member doors."""
NEXT_PROPOSAL = Sequence(STORE, b"next_proposal")
NEXT_EVIDENCE = Sequence(STORE, b"next_evidence")

MEMBERS: Map[str, Member] = Map(STORE, b"member/", STR, RecordValue(Member.from_obj))
VALIDATORS: Map[bytes, Validator] = Map(
    STORE, b"validator/", FixedBytes(ADDRESS_BYTES), RecordValue(Validator.from_obj)
)
"""Validators by their 20-byte address: the form CometBFT names them in."""


def _due(proposal_id: int, proposal: Proposal) -> int | None:
    return proposal.due_at


PROPOSALS: IndexedMap[int, Proposal] = IndexedMap(
    STORE,
    b"proposal/",
    U64,
    RecordValue(Proposal.from_obj),
    {"queue": Index(b"queue/", U64, _due)},
)
"""Every proposal by id, kept forever; ``by("queue", reader, height)``: those due at ``height``."""

VOTES: Map[tuple[int, str], Vote] = Map(STORE, b"vote/", Pair(U64, STR), RecordValue(Vote.from_obj))
"""Votes by (proposal id, voter); iterate one proposal's with ``prefix=(proposal_id,)``."""


def _report(evidence_id: int, evidence: Evidence) -> tuple[tuple[str, int], bytes]:
    return (evidence.kind, evidence.height), evidence.validator


REPORT = Pair(Pair(STR, U64), BYTES)
"""A misbehaviour report's identity: ((kind, height), validator address)."""

EVIDENCE: IndexedMap[int, Evidence] = IndexedMap(
    STORE,
    b"evidence/",
    U64,
    RecordValue(Evidence.from_obj),
    {"report": Index(b"evidence_seen/", REPORT, _report, unique=True)},
)
"""Evidence by id; ``get_by("report", reader, ((kind, height), validator))``: recorded already?"""
