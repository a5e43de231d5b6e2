"""Messages of the settlement module: each field declared once (``finchain.core.fields``)."""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import ListOf, Nested, wire
from finchain.core.msgs import Msg, Operation
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.settlement.errors import ErrNotBilateral
from finchain.modules.settlement.types import (
    INSTRUCTION_ID,
    MAX_ENDORSEMENTS,
    Endorsement,
    Instruction,
    outflows,
)


@dataclass(frozen=True, slots=True)
class MsgSettle(Msg):
    """Settle an instruction in this transaction, authorised by every payer at once.

    The transaction's account signs as usual; every other account that pays on a
    leg adds an endorsement: its signatures over the instruction's sign-bytes.
    """

    TYPE = "settlement/settle"
    ASSET_OPERATION = True
    instruction: Instruction = wire(Nested(Instruction))
    endorsements: tuple[Endorsement, ...] = wire(
        ListOf(Nested(Endorsement), max_items=MAX_ENDORSEMENTS), default=()
    )

    def sensitive_operations(self) -> tuple[Operation, ...]:
        """The legs no endorsement covers: the transaction's own account must pay them
        (the handler refuses it otherwise), so its multi-factor rules guard them."""
        endorsers = {e.account for e in self.endorsements}
        unendorsed = {leg.sender for leg in self.instruction.legs} - endorsers
        return outflows(self.instruction.legs, unendorsed)


@dataclass(frozen=True, slots=True)
class MsgInstruct(Msg):
    """Submit one side of a bilateral instruction; the chain matches it with the other side."""

    TYPE = "settlement/instruct"
    ASSET_OPERATION = True
    instruction: Instruction = wire(Nested(Instruction))
    counterparty: str = wire(ACCOUNT)

    def validate(self) -> None:
        parties = self.instruction.parties
        if len(parties) != 2 or self.counterparty not in parties:
            raise ErrNotBilateral(
                f"a matched instruction has two parties, one of them the counterparty "
                f"{self.counterparty}; these legs name {len(parties)} ({', '.join(parties)}): "
                "use settlement/settle for a multilateral one"
            )

    def sensitive_operations(self) -> tuple[Operation, ...]:
        """What the submitter (the party that is not the counterparty) delivers."""
        own = set(self.instruction.parties) - {self.counterparty}
        return outflows(self.instruction.legs, own)


@dataclass(frozen=True, slots=True)
class MsgCancel(Msg):
    """Withdraw an unmatched side alone, or ask to cancel an authorised instruction
    (it is cancelled once every party that authorised it has asked)."""

    TYPE = "settlement/cancel"
    id: int = wire(INSTRUCTION_ID)


ALL_MSGS: tuple[type[Msg], ...] = (MsgSettle, MsgInstruct, MsgCancel)
