"""Who may act: the governance authority, and the states an account can be in.

``GOV_AUTHORITY`` is the signer of a message executed by a passed governance
proposal (an ``exec`` action); a transaction can never carry that signer, so a
handler that requires it is a door only governance opens (Cosmos SDK's
"authority"). ``AccountStatus`` is the one spelling of an account's state that
every module compares against.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["GOV_AUTHORITY", "AccountStatus"]

GOV_AUTHORITY = "governance"


class AccountStatus(StrEnum):
    ACTIVE = "active"  # signs transactions, sends and receives
    FROZEN = "frozen"  # may receive, may not sign (JR/T 0184 13.5.4)
    CLOSED = "closed"  # neither; its id is never assigned again
