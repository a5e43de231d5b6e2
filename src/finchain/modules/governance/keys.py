"""The governance module's key layout: the only place its store keys are spelled.

Numbers (proposal ids, heights, evidence ids) are 8 big-endian bytes, so that
byte order is numeric order and every listing comes out sorted without a sort.
"""

from __future__ import annotations

from finchain.core.collections import StoreKey

PREFIX = b"gov/"
STORE = StoreKey("governance", PREFIX)
PARAMS = PREFIX + b"params"
TOTAL_WEIGHT = PREFIX + b"total_weight"
NEXT_PROPOSAL = PREFIX + b"next_proposal"
NEXT_EVIDENCE = PREFIX + b"next_evidence"
MEMBER = PREFIX + b"member/"
VALIDATOR = PREFIX + b"validator/"
PROPOSAL = PREFIX + b"proposal/"
VOTE = PREFIX + b"vote/"
QUEUE = PREFIX + b"queue/"
EVIDENCE = PREFIX + b"evidence/"
EVIDENCE_SEEN = PREFIX + b"evidence_seen/"


def _u64(number: int) -> bytes:
    return number.to_bytes(8, "big")


def member(account: str) -> bytes:
    return MEMBER + account.encode()


def validator(address: bytes) -> bytes:
    """Validators are keyed by their 20-byte address: the form CometBFT names them in."""
    return VALIDATOR + address


def proposal(proposal_id: int) -> bytes:
    return PROPOSAL + _u64(proposal_id)


def votes_of(proposal_id: int) -> bytes:
    return VOTE + _u64(proposal_id) + b"/"


def vote(proposal_id: int, voter: str) -> bytes:
    return votes_of(proposal_id) + voter.encode()


def queue_at(height: int) -> bytes:
    """Proposals due at ``height``: to be tallied (voting ends) or executed (delay over)."""
    return QUEUE + _u64(height) + b"/"


def queue(height: int, proposal_id: int) -> bytes:
    return queue_at(height) + _u64(proposal_id)


def queued_id(key: bytes, height: int) -> int:
    return int.from_bytes(key[len(queue_at(height)) :], "big")


def evidence(evidence_id: int) -> bytes:
    return EVIDENCE + _u64(evidence_id)


def evidence_seen(kind: str, address: bytes, height: int) -> bytes:
    """Marks (kind, validator, height) as recorded: a repeated report is not counted twice."""
    return EVIDENCE_SEEN + address + _u64(height) + kind.encode()
