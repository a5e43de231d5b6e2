"""Messages of the interventions module: set the officers, propose, approve.

``interventions/set_officers`` is governed: only a passed governance proposal
runs it. ``propose`` and ``approve`` are signed by officers.
"""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import HEIGHT, TIME_NS, Integer, wire
from finchain.core.msgs import Msg
from finchain.modules.accounts.types import ACCOUNT_OR_NONE
from finchain.modules.interventions.types import (
    AMOUNT_OR_ZERO,
    ASSET_OR_NONE,
    HASH_ALG,
    INTERVENTION_ID,
    KIND,
    LEGAL_BASIS,
    MAX_OFFICERS,
    OFFICERS,
    ORDER_HASH,
    TARGET_ID,
)


@dataclass(frozen=True, slots=True)
class MsgSetOfficers(Msg):
    """Governance only: the authorised officers, and ``threshold`` m of them (1 <= m <= n)
    that must approve an intervention."""

    TYPE = "interventions/set_officers"
    GOVERNED = True
    officers: tuple[str, ...] = wire(OFFICERS)
    threshold: int = wire(Integer(low=0, high=MAX_OFFICERS))


@dataclass(frozen=True, slots=True)
class MsgPropose(Msg):
    """An officer proposes an intervention (the proposal counts as the first approval).

    ``kind`` names the fields it takes: ``freeze_account`` (account),
    ``freeze_amount`` (account, asset, amount), ``pause_asset`` (asset),
    ``unfreeze_account`` / ``resume_asset`` (target: the intervention undone),
    ``unfreeze_amount`` (target, amount), ``forced_transfer`` (account, to, asset,
    amount; a court order required). Freezes and pauses may expire at
    ``expiry_height`` / ``expiry_time`` (0: none; the first reached).
    ``deadline_height``: the last height at which approvals count.
    """

    TYPE = "interventions/propose"
    kind: str = wire(KIND)
    legal_basis: str = wire(LEGAL_BASIS)
    deadline_height: int = wire(HEIGHT)
    account: str = wire(ACCOUNT_OR_NONE, default="")
    to: str = wire(ACCOUNT_OR_NONE, default="")
    asset: str = wire(ASSET_OR_NONE, default="")
    amount: int = wire(AMOUNT_OR_ZERO, default=0)
    target: int = wire(TARGET_ID, default=0)
    order_hash_alg: str = wire(HASH_ALG, default="")
    order_hash: bytes = wire(ORDER_HASH, default=b"")
    expiry_height: int = wire(HEIGHT, default=0)
    expiry_time: int = wire(TIME_NS, default=0)


@dataclass(frozen=True, slots=True)
class MsgApprove(Msg):
    """An officer approves a proposed intervention (once); at the threshold it runs."""

    TYPE = "interventions/approve"
    intervention_id: int = wire(INTERVENTION_ID)


ALL_MSGS: tuple[type[Msg], ...] = (MsgSetOfficers, MsgPropose, MsgApprove)
