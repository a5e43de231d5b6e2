"""Event types and constructors of the interventions module (attributes in a fixed order).

Every event carries ``intervention_id``, ``kind`` and the affected ``account``, so
an institution watching its own accounts sees every intervention touching them.
The bank's ``amount_frozen`` / ``amount_unfrozen`` (reason ``intervention <id>``),
``asset_paused`` / ``asset_resumed`` and ``transfer`` events, and the accounts
module's status change, accompany them.
"""

from __future__ import annotations

from finchain.core.events import Event
from finchain.modules.interventions.types import Intervention

INTERVENTION_PROPOSED = "intervention_proposed"
INTERVENTION_APPROVED = "intervention_approved"
INTERVENTION_EXECUTED = "intervention_executed"
INTERVENTION_LIFTED = "intervention_lifted"
INTERVENTION_LAPSED = "intervention_lapsed"
INTERVENTION_LIFT_FAILED = "intervention_lift_failed"
OFFICERS_SET = "intervention_officers_set"


def _head(i: Intervention) -> tuple[tuple[str, str], ...]:
    return (("intervention_id", str(i.id)), ("kind", i.kind), ("account", i.account))


def proposed(i: Intervention) -> Event:
    return Event(
        INTERVENTION_PROPOSED,
        (
            *_head(i),
            ("proposer", i.proposer),
            ("asset", i.asset),
            ("amount", str(i.amount)),
            ("order_hash", i.order_hash.hex()),
            ("threshold", str(i.threshold)),
        ),
    )


def approved(i: Intervention, officer: str) -> Event:
    return Event(
        INTERVENTION_APPROVED,
        (*_head(i), ("officer", officer), ("approvals", str(len(i.approvals)))),
    )


def executed(i: Intervention) -> Event:
    return Event(INTERVENTION_EXECUTED, (*_head(i), ("status", i.status)))


def lifted(i: Intervention, by: str) -> Event:
    return Event(INTERVENTION_LIFTED, (*_head(i), ("by", by)))


def lapsed(i: Intervention) -> Event:
    return Event(INTERVENTION_LAPSED, _head(i))


def lift_failed(i: Intervention, reason: str) -> Event:
    return Event(INTERVENTION_LIFT_FAILED, (*_head(i), ("reason", reason)))


def officers_set(officers: tuple[str, ...], threshold: int) -> Event:
    return Event(OFFICERS_SET, (("officers", ",".join(officers)), ("threshold", str(threshold))))
