"""One thin function per message: check authority, call the keeper.

Officers are governance's to appoint; proposing and approving are the signer's
own acts (the keeper checks the signer is an officer).
"""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.authority import require_governance
from finchain.core.context import Context
from finchain.core.errors import ErrGovernanceOnly
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.interventions.keeper import InterventionsKeeper
from finchain.modules.interventions.messages import MsgApprove, MsgPropose, MsgSetOfficers


def set_officers(keeper: InterventionsKeeper, ctx: Context, msg: MsgSetOfficers) -> None:
    require_governance(ctx, ErrGovernanceOnly, "only governance appoints intervention officers")
    keeper.set_officers(ctx, msg.officers, msg.threshold)


def propose(keeper: InterventionsKeeper, ctx: Context, msg: MsgPropose) -> None:
    keeper.propose(
        ctx,
        ctx.signer,
        msg.kind,
        account=msg.account,
        to=msg.to,
        asset=msg.asset,
        amount=msg.amount,
        target=msg.target,
        order_hash_alg=msg.order_hash_alg,
        order_hash=msg.order_hash,
        legal_basis=msg.legal_basis,
        expiry_height=msg.expiry_height,
        expiry_time=msg.expiry_time,
        deadline_height=msg.deadline_height,
    )


def approve(keeper: InterventionsKeeper, ctx: Context, msg: MsgApprove) -> None:
    keeper.approve(ctx, ctx.signer, msg.intervention_id)


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgSetOfficers: set_officers,
    MsgPropose: propose,
    MsgApprove: approve,
}
