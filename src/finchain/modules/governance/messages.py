"""Messages of the governance module.

Two messages: ``gov/submit_proposal`` (a title, a description and up to
:data:`~finchain.modules.governance.types.MAX_ACTIONS` actions; no action makes
a text proposal) and ``gov/vote``. The actions a proposal carries are records
of ``types`` (they are stored in state, and other modules' tools build them).
"""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import OneOf, wire
from finchain.core.msgs import Msg
from finchain.modules.governance.types import (
    ACTION_LIST,
    DESCRIPTION,
    ID,
    TITLE,
    VOTE_OPTIONS,
    Action,
)


@dataclass(frozen=True, slots=True)
class MsgSubmitProposal(Msg):
    """Put a proposal to the members; only a member may submit. Voting opens at once."""

    TYPE = "gov/submit_proposal"
    title: str = wire(TITLE)
    description: str = wire(DESCRIPTION)
    actions: tuple[Action, ...] = wire(ACTION_LIST)


@dataclass(frozen=True, slots=True)
class MsgVote(Msg):
    """A member's vote; a later vote by the same member replaces it until voting ends."""

    TYPE = "gov/vote"
    proposal_id: int = wire(ID)
    option: str = wire(OneOf(*VOTE_OPTIONS))


ALL_MSGS: tuple[type[Msg], ...] = (MsgSubmitProposal, MsgVote)
