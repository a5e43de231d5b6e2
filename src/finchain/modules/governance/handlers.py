"""One thin function per message: check authority, call the keeper.

Authority in governance is membership: only a member submits and votes. What
a proposal may change is checked when it executes (keeper), not here.
"""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.context import Context
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.governance.errors import ErrNotMember
from finchain.modules.governance.keeper import GovernanceKeeper
from finchain.modules.governance.messages import MsgSubmitProposal, MsgVote
from finchain.modules.governance.types import Member


def _require_member(keeper: GovernanceKeeper, ctx: Context, what: str) -> Member:
    member = keeper.member(ctx.store, ctx.signer)
    if member is None:
        raise ErrNotMember(
            f"account {ctx.signer} is not a governance member and cannot {what}: "
            "ask a member to submit a proposal admitting it"
        )
    return member


def submit_proposal(keeper: GovernanceKeeper, ctx: Context, msg: MsgSubmitProposal) -> None:
    _require_member(keeper, ctx, "submit proposals")
    keeper.submit(ctx, ctx.signer, msg.title, msg.description, msg.actions)


def vote(keeper: GovernanceKeeper, ctx: Context, msg: MsgVote) -> None:
    keeper.vote(ctx, msg.proposal_id, _require_member(keeper, ctx, "vote"), msg.option)


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgSubmitProposal: submit_proposal,
    MsgVote: vote,
}
