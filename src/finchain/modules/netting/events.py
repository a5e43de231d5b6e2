"""Event types and constructors of the netting module (attributes in a fixed order).

A settlement emits, in order: the bank's ``coin_spent`` / ``coin_received`` /
``transfer`` events of each net transfer; one ``netting_obligations_unsettled``
per submit batch and reason that lost obligations (in the order of their first
removal; the ``netting/unsettled`` query lists each obligation in removal
order); one ``netting_position`` per member (in account-id order); then
``netting_cycle_settled`` with the report.
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.core.events import Event
from finchain.modules.netting.clearing import Obligation
from finchain.modules.netting.types import Report

CYCLE_OPENED = "netting_cycle_opened"
OBLIGATIONS_SUBMITTED = "netting_obligations_submitted"
OBLIGATIONS_UNSETTLED = "netting_obligations_unsettled"
POSITION = "netting_position"
CYCLE_SETTLED = "netting_cycle_settled"


def cycle_opened(
    cycle: int, operator: str, asset: str, members: int, close_height: int, close_time_ns: int
) -> Event:
    return Event(
        CYCLE_OPENED,
        (
            ("cycle", str(cycle)),
            ("operator", operator),
            ("asset", asset),
            ("members", str(members)),
            ("close_height", str(close_height)),
            ("close_time_ns", str(close_time_ns)),
        ),
    )


def submitted(cycle: int, payer: str, batch: int, count: int, value: int) -> Event:
    return Event(
        OBLIGATIONS_SUBMITTED,
        (
            ("cycle", str(cycle)),
            ("payer", payer),
            ("batch", str(batch)),
            ("count", str(count)),
            ("value", str(value)),
        ),
    )


def unsettled(
    cycle: int, batch: int, payer: str, obligations: Sequence[Obligation], reason: str
) -> Event:
    """Obligations of one batch removed for one reason: ``indexes`` their places in the
    batch in removal order (comma-separated), ``value`` their sum."""
    return Event(
        OBLIGATIONS_UNSETTLED,
        (
            ("cycle", str(cycle)),
            ("batch", str(batch)),
            ("payer", payer),
            ("reason", reason),
            ("count", str(len(obligations))),
            ("value", str(sum(ob.amount for ob in obligations))),
            ("indexes", ",".join(str(ob.index) for ob in obligations)),
        ),
    )


def position(cycle: int, member: str, net: int) -> Event:
    return Event(POSITION, (("cycle", str(cycle)), ("member", member), ("net", str(net))))


def cycle_settled(report: Report) -> Event:
    return Event(
        CYCLE_SETTLED,
        (
            ("cycle", str(report.cycle)),
            ("status", report.status),
            ("submitted", str(report.submitted)),
            ("gross", str(report.gross)),
            ("net", str(report.net)),
            ("saved", str(report.saved)),
            ("settled", str(report.settled)),
            ("removed", str(report.removed)),
            ("removed_value", str(report.removed_value)),
            ("transfers", str(report.transfers)),
        ),
    )
