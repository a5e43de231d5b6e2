"""Event types and constructors of the accounts module (attributes in a fixed order)."""

from __future__ import annotations

from finchain.core.authority import AccountStatus
from finchain.core.events import Event

ACCOUNT_CREATED = "account_created"
KEY_ADDED = "key_added"
KEY_REMOVED = "key_removed"
KEY_ROTATED = "key_rotated"
THRESHOLD_CHANGED = "threshold_changed"
RECOVERY_CHANGED = "recovery_changed"
RESET_INITIATED = "key_reset_initiated"
RESET_CANCELLED = "key_reset_cancelled"
RESET_COMPLETED = "key_reset_completed"
STATUS_CHANGED = "account_status_changed"
ACCOUNT_CLOSED = "account_closed"
MFA_CHANGED = "mfa_rules_changed"
FACTOR_CHANGED = "key_factor_changed"


def account_created(account: str, creator: str) -> Event:
    return Event(ACCOUNT_CREATED, (("account", account), ("creator", creator)))


def key_changed(kind: str, account: str, key_id: str) -> Event:
    return Event(kind, (("account", account), ("key_id", key_id)))


def threshold_changed(account: str, threshold: int) -> Event:
    return Event(THRESHOLD_CHANGED, (("account", account), ("threshold", str(threshold))))


def recovery_changed(account: str, recovery: str) -> Event:
    return Event(RECOVERY_CHANGED, (("account", account), ("recovery", recovery)))


def reset_initiated(account: str, initiator: str, due: int) -> Event:
    return Event(
        RESET_INITIATED, (("account", account), ("initiator", initiator), ("due", str(due)))
    )


def reset_cancelled(account: str) -> Event:
    return Event(RESET_CANCELLED, (("account", account),))


def reset_completed(account: str) -> Event:
    return Event(RESET_COMPLETED, (("account", account),))


def status_changed(account: str, status: AccountStatus, reason: str) -> Event:
    return Event(
        STATUS_CHANGED, (("account", account), ("status", str(status)), ("reason", reason))
    )


def account_closed(account: str) -> Event:
    return Event(ACCOUNT_CLOSED, (("account", account),))


def mfa_changed(account: str, rules: int) -> Event:
    return Event(MFA_CHANGED, (("account", account), ("rules", str(rules))))


def factor_changed(account: str, key_id: str, factor: str) -> Event:
    return Event(FACTOR_CHANGED, (("account", account), ("key_id", key_id), ("factor", factor)))
