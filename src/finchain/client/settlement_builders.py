"""Message builders of the settlement module (see ``finchain.client.builders`` for the rest).

Each builds the message object and returns ``msg.to_raw()``; the wire form
comes from the declaration in ``finchain.modules.settlement``. ``endorse`` signs
an instruction for an account that pays on a leg but does not send the
transaction.

Example (a DvP: bank 1 delivers a bond to bank 2 against cash, in one
transaction sent by bank 1, the submitter the instruction names, and endorsed by
bank 2)::

    from finchain.client import settlement_builders as sb

    deal = sb.instruction(
        "T-2026-0001", "dvp",
        [sb.leg(bank1, bank2, "BOND-26", 100), sb.leg(bank2, bank1, "CNY", 10_150_000)],
        submitter=bank1,  # the default: the first leg's sender
        deadline_height=500,
    )
    raw = bank1_signer.sign(sb.settle(deal, [sb.endorse(chain_id, deal, bank2_signer)]))
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.client.builders import Signer
from finchain.codec import RawMsg
from finchain.modules.settlement.messages import MsgCancel, MsgInstruct, MsgSettle
from finchain.modules.settlement.types import Endorsement, Instruction, KeySignature, Leg


def leg(sender: str, recipient: str, asset: str, amount: int) -> Leg:
    """``amount`` base units of ``asset`` from ``sender`` to ``recipient`` (checked)."""
    built = Leg(sender, recipient, asset, amount)
    built.check()
    return built


def instruction(
    reference: str,
    kind: str,
    legs: Sequence[Leg],
    *,
    submitter: str | None = None,
    settle_height: int = 0,
    settle_time_ns: int = 0,
    deadline_height: int = 0,
    deadline_time_ns: int = 0,
    lots: int = 1,
    min_lots: int = 0,
) -> Instruction:
    """An instruction; checked as the chain checks it (``settlement:*`` codes on a bad one).

    ``kind`` is ``dvp``, ``pvp``, ``dvd`` or ``fop``; give one deadline; ``min_lots`` > 0
    allows partial settlement in whole lots (every amount a multiple of ``lots``).
    ``submitter`` is the only account that may send it with the endorsements
    (``settlement/settle``); default: the sender of the first leg.
    """
    if submitter is None:
        submitter = legs[0].sender if legs else ""
    built = Instruction(
        reference,
        kind,
        tuple(legs),
        submitter,
        settle_height,
        settle_time_ns,
        deadline_height,
        deadline_time_ns,
        lots,
        min_lots,
    )
    built.check()
    return built


def endorse(chain_id: str, deal: Instruction, signer: Signer) -> Endorsement:
    """``signer``'s account endorses ``deal``: every key the signer holds signs its sign-bytes."""
    message = deal.sign_bytes(chain_id)
    return Endorsement(
        signer.account,
        tuple(KeySignature(key_id, key.sign(message)) for key_id, key in signer.keys),
    )


def settle(deal: Instruction, endorsements: Sequence[Endorsement] = ()) -> RawMsg:
    """Settle ``deal`` in the sending transaction, with every other payer's endorsement."""
    return MsgSettle(deal, tuple(endorsements)).to_raw()


def instruct(deal: Instruction, counterparty: str) -> RawMsg:
    """Submit the sender's side of a bilateral ``deal``; it settles once matched and due."""
    return MsgInstruct(deal, counterparty).to_raw()


def cancel(id_: int) -> RawMsg:
    """Withdraw an unmatched side, or ask to cancel an authorised instruction."""
    return MsgCancel(id_).to_raw()
