"""Event types and constructors of the governance module (attributes in a fixed order).

Every governance action emits one of these, so an indexer following events
alone can rebuild who decided what, when, and with which votes. Events of a
proposal that fails to execute are dropped with its writes: they would
describe changes that never happened; ``proposal_failed`` says why instead.
"""

from __future__ import annotations

from finchain.core.events import Event
from finchain.modules.governance.types import Evidence, Failure, Tally, Validator

PROPOSAL_SUBMITTED = "proposal_submitted"
VOTE_CAST = "vote_cast"
PROPOSAL_PASSED = "proposal_passed"
PROPOSAL_REJECTED = "proposal_rejected"
PROPOSAL_EXECUTED = "proposal_executed"
PROPOSAL_FAILED = "proposal_failed"
MEMBER_ADDED = "member_added"
MEMBER_REMOVED = "member_removed"
MEMBER_WEIGHT_CHANGED = "member_weight_changed"
VALIDATOR_ADDED = "validator_added"
VALIDATOR_POWER_CHANGED = "validator_power_changed"
VALIDATOR_REMOVED = "validator_removed"
VALIDATOR_JAILED = "validator_jailed"
VALIDATOR_RESTORED = "validator_restored"
PARAM_CHANGED = "param_changed"
EVIDENCE_RECORDED = "evidence_recorded"


def proposal_submitted(proposal_id: int, proposer: str, voting_end: int, actions: int) -> Event:
    return Event(
        PROPOSAL_SUBMITTED,
        (
            ("proposal_id", str(proposal_id)),
            ("proposer", proposer),
            ("voting_end", str(voting_end)),
            ("actions", str(actions)),
        ),
    )


def vote_cast(proposal_id: int, voter: str, option: str, weight: int) -> Event:
    return Event(
        VOTE_CAST,
        (
            ("proposal_id", str(proposal_id)),
            ("voter", voter),
            ("option", option),
            ("weight", str(weight)),
        ),
    )


def _tally(tally: Tally) -> tuple[tuple[str, str], ...]:
    return (
        ("yes", str(tally.yes)),
        ("no", str(tally.no)),
        ("abstain", str(tally.abstain)),
        ("total_weight", str(tally.total_weight)),
    )


def proposal_passed(proposal_id: int, tally: Tally, execute_at: int) -> Event:
    return Event(
        PROPOSAL_PASSED,
        (("proposal_id", str(proposal_id)), *_tally(tally), ("execute_at", str(execute_at))),
    )


def proposal_rejected(proposal_id: int, tally: Tally, reason: str) -> Event:
    return Event(
        PROPOSAL_REJECTED, (("proposal_id", str(proposal_id)), *_tally(tally), ("reason", reason))
    )


def proposal_executed(proposal_id: int) -> Event:
    return Event(PROPOSAL_EXECUTED, (("proposal_id", str(proposal_id)),))


def proposal_failed(proposal_id: int, failure: Failure) -> Event:
    return Event(
        PROPOSAL_FAILED,
        (
            ("proposal_id", str(proposal_id)),
            ("codespace", failure.codespace),
            ("code", str(failure.code)),
            ("log", failure.log),
        ),
    )


def member_added(account: str, name: str, weight: int) -> Event:
    return Event(MEMBER_ADDED, (("account", account), ("name", name), ("weight", str(weight))))


def member_removed(account: str) -> Event:
    return Event(MEMBER_REMOVED, (("account", account),))


def member_weight_changed(account: str, weight: int) -> Event:
    return Event(MEMBER_WEIGHT_CHANGED, (("account", account), ("weight", str(weight))))


def validator_changed(kind: str, validator: Validator) -> Event:
    """Added, power changed, removed, jailed or restored: the validator as it now stands."""
    return Event(
        kind,
        (
            ("address", validator.address.hex()),
            ("name", validator.name),
            ("scheme", validator.scheme),
            ("public_key", validator.public_key.hex()),
            ("power", str(validator.effective_power if kind != VALIDATOR_REMOVED else 0)),
        ),
    )


def param_changed(space: str, name: str, value: str) -> Event:
    return Event(PARAM_CHANGED, (("space", space), ("name", name), ("value", value)))


def evidence_recorded(evidence: Evidence) -> Event:
    return Event(
        EVIDENCE_RECORDED,
        (
            ("evidence_id", str(evidence.id)),
            ("kind", evidence.kind),
            ("validator", evidence.validator.hex()),
            ("height", str(evidence.height)),
            ("outcome", evidence.outcome),
        ),
    )
