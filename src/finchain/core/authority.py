"""Who may act: the governance authority, and the states an account can be in.

``GOV_AUTHORITY`` is the signer of a message executed by a passed governance
proposal (an ``exec`` action); a transaction can never carry that signer, so a
handler that requires it (``require_governance``) is a door only governance
opens (Cosmos SDK's "authority"). ``AccountStatus`` is the one spelling of an account's state that
every module compares against.
"""

from __future__ import annotations

from enum import StrEnum

from finchain.core.context import Context
from finchain.errors import ErrorCode

__all__ = ["GOV_AUTHORITY", "AccountStatus", "require_governance"]

GOV_AUTHORITY = "governance"


def require_governance(ctx: Context, error: ErrorCode, message: str) -> None:
    """Refuse with ``error`` unless a passed governance proposal runs this message."""
    if ctx.signer != GOV_AUTHORITY:
        raise error(message)


class AccountStatus(StrEnum):
    ACTIVE = "active"  # signs transactions, sends and receives
    FROZEN = "frozen"  # may receive, may not sign (JR/T 0184 13.5.4)
    CLOSED = "closed"  # neither; its id is never assigned again
