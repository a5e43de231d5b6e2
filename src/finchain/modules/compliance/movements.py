"""The value movements a transaction's messages make: what a rule is evaluated against.

A pure function of the messages and the signing account, so the ante decorator
(before the messages run), the post handler (after they ran: aggregates) and the
simulation all see the same list. Messages are read by their type and fields (the
import contract lets this module import no other module's messages). Besides the
bank's, the messages that name what they move are movements too, so that moving value
through them does not step around the rules: every leg of a settlement instruction
(``settlement/settle``; sender = the leg's payer; in ``settlement/instruct``, which
both sides send, the legs the signer pays), an escrow's
lock (``escrow/create``: the signer to the payee), every netting obligation
(``netting/submit``: the signer to the payee) and an issue of a security
(``securities/issue``: a ``cash_in`` like ``bank/mint``, which it is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from finchain.core.msgs import Msg

TRANSFER = "transfer"
CASH_IN = "cash_in"
CASH_OUT = "cash_out"
NONE = "none"
KINDS = (TRANSFER, CASH_IN, CASH_OUT, NONE)


@dataclass(frozen=True, slots=True)
class Movement:
    """One movement of ``amount`` base units of ``asset`` (kind ``none``: no value moves).

    ``transfer``: sender → recipient; ``cash_in`` (``bank/mint``): the minting account is
    the sender, the credited account the recipient; ``cash_out`` (``bank/burn``) and
    ``none``: sender and recipient are both the transaction's account.
    """

    index: int
    msg_type: str
    kind: str
    sender: str
    recipient: str
    asset: str
    amount: int

    @property
    def outgoing(self) -> bool:
        """Whether the sender's outgoing aggregates count it (transfers and cash-outs)."""
        return self.kind in (TRANSFER, CASH_OUT)

    @property
    def incoming(self) -> bool:
        """Whether the recipient's incoming aggregates count it (transfers and cash-ins)."""
        return self.kind in (TRANSFER, CASH_IN)


def movements_of(msgs: Sequence[Msg], account: str) -> list[Movement]:
    """Every movement of ``msgs`` signed by ``account``, in message (and output) order."""
    found: list[Movement] = []
    for index, msg in enumerate(msgs):
        kind = msg.TYPE
        if kind == "bank/transfer":
            for output in getattr(msg, "outputs", ()):
                found.append(
                    Movement(index, kind, TRANSFER, account, output.to, output.asset, output.amount)
                )
        elif kind in ("settlement/settle", "settlement/instruct"):
            # settle: every leg, whoever pays it (the endorsers too); instruct: each side
            # sends the same legs, so each side's own (the legs it pays) are its movements.
            for leg in getattr(msg, "instruction").legs:  # noqa: B009
                if kind == "settlement/settle" or leg.sender == account:
                    found.append(
                        Movement(
                            index, kind, TRANSFER, leg.sender, leg.recipient, leg.asset, leg.amount
                        )
                    )
        elif kind == "escrow/create":
            to, asset, amount = (getattr(msg, n) for n in ("payee", "asset", "amount"))
            found.append(Movement(index, kind, TRANSFER, account, to, asset, amount))
        elif kind == "netting/submit":
            asset = getattr(msg, "asset")  # noqa: B009
            for ob in getattr(msg, "obligations"):  # noqa: B009
                found.append(Movement(index, kind, TRANSFER, account, ob.payee, asset, ob.amount))
        elif kind == "securities/issue":
            # The issuer mints units of the security (a bank asset named by its ISIN).
            to, asset, amount = (getattr(msg, n) for n in ("to", "isin", "amount"))
            found.append(Movement(index, kind, CASH_IN, account, to, asset, amount))
        elif kind == "bank/mint":
            to, asset, amount = (getattr(msg, n) for n in ("to", "asset", "amount"))
            found.append(Movement(index, kind, CASH_IN, account, to, asset, amount))
        elif kind == "bank/burn":
            asset, amount = (getattr(msg, n) for n in ("asset", "amount"))
            found.append(Movement(index, kind, CASH_OUT, account, account, asset, amount))
        else:
            found.append(Movement(index, kind, NONE, account, account, "", 0))
    return found
