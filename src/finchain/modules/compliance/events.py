"""Event types and constructors of the compliance module (attributes in a fixed order).

``compliance_alert`` is the contract the indexer and the regulator's stream consume:
its attributes and their order are fixed (docs/regulation/compliance.md). Denials
are not events: the transaction fails, and its result's ``info`` names the rule set.
"""

from __future__ import annotations

from finchain.core.events import Event
from finchain.modules.compliance.types import HeldTx

ALERT = "compliance_alert"
HELD = "compliance_held"
APPROVED = "compliance_approved"
EXECUTED = "compliance_executed"
HELD_FAILED = "compliance_held_failed"
EXPIRED = "compliance_expired"
PUBLISHED = "compliance_published"
SCHEDULED = "compliance_scheduled"
ACTIVATED = "compliance_activated"
PARAMS_SET = "compliance_params_set"
ASSET_SET = "compliance_asset_set"
PROFILE_SET = "compliance_profile_set"


def alert(
    *,
    rule: str,
    report_type: str,
    ruleset: int,
    tx: bytes,
    account: str,
    counterparty: str,
    asset: str,
    amount: int,
    institution: str,
    counterparty_institution: str,
    height: int,
) -> Event:
    return Event(
        ALERT,
        (
            ("rule", rule),
            ("report_type", report_type),
            ("ruleset", str(ruleset)),
            ("tx", tx.hex()),
            ("account", account),
            ("counterparty", counterparty),
            ("asset", asset),
            ("amount", str(amount)),
            ("institution", institution),
            ("counterparty_institution", counterparty_institution),
            ("height", str(height)),
        ),
    )


def held(h: HeldTx) -> Event:
    return Event(
        HELD,
        (
            ("held_id", str(h.id)),
            ("rule", h.rule),
            ("ruleset", str(h.ruleset)),
            ("tx", h.tx_id.hex()),
            ("account", h.account),
            ("approvers", ",".join(h.approvers)),
            ("threshold", str(h.threshold)),
            ("deadline_height", str(h.deadline_height)),
        ),
    )


def approved(h: HeldTx, approver: str) -> Event:
    return Event(
        APPROVED,
        (("held_id", str(h.id)), ("approver", approver), ("approvals", str(len(h.approvals)))),
    )


def closed(h: HeldTx) -> Event:
    kind = {"executed": EXECUTED, "failed": HELD_FAILED, "expired": EXPIRED}[h.status]
    attrs: tuple[tuple[str, str], ...] = (
        ("held_id", str(h.id)),
        ("tx", h.tx_id.hex()),
        ("account", h.account),
    )
    if h.error:
        attrs = (*attrs, ("error", h.error))
    return Event(kind, attrs)


def published(version: int, publisher: str, rules: int) -> Event:
    return Event(
        PUBLISHED, (("version", str(version)), ("publisher", publisher), ("rules", str(rules)))
    )


def scheduled(version: int, height: int) -> Event:
    return Event(SCHEDULED, (("version", str(version)), ("height", str(height))))


def activated(version: int, previous: int) -> Event:
    return Event(ACTIVATED, (("version", str(version)), ("previous", str(previous))))


def params_set(zone_offset_minutes: int, window_seconds: int) -> Event:
    return Event(
        PARAMS_SET,
        (
            ("zone_offset_minutes", str(zone_offset_minutes)),
            ("window_seconds", str(window_seconds)),
        ),
    )


def asset_set(asset: str, regulated: bool) -> Event:
    return Event(ASSET_SET, (("asset", asset), ("regulated", "true" if regulated else "false")))


def profile_set(account: str, jurisdiction: str, natural_person: bool, by: str) -> Event:
    return Event(
        PROFILE_SET,
        (
            ("account", account),
            ("jurisdiction", jurisdiction),
            ("natural_person", "true" if natural_person else "false"),
            ("set_by", by),
        ),
    )
