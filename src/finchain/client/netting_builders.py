"""Message builders of the netting module (see ``finchain.client.builders`` for the rest).

Each builds the message object and returns ``msg.to_raw()``; the chain refuses a
malformed message with ``tx:6`` and a netting rule with its ``netting:`` code.

Example::

    from finchain.client import netting_builders as nb

    operator.sign(nb.open_cycle("CNY", [bank_a, bank_b, bank_c], close_height=500))
    bank_a.sign(nb.submit(1, "CNY", [(bank_b, 120_00), (bank_c, 75_00)]))
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.codec import RawMsg
from finchain.modules.netting.messages import MsgOpenCycle, MsgSubmitObligations, Obligation


def open_cycle(
    asset: str, members: Sequence[str], *, close_height: int = 0, close_time_ns: int = 0
) -> RawMsg:
    """Open a clearing cycle among ``members`` settling in ``asset``; the signer operates it.

    Parameters:
        asset: the settlement asset's symbol.
        members: 2 to 500 distinct active accounts.
        close_height: the cut-off height (obligations accepted below it), or
        close_time_ns: the cut-off block time; give exactly one.
    """
    return MsgOpenCycle(asset, tuple(sorted(members)), close_height, close_time_ns).to_raw()


def submit(cycle: int, asset: str, obligations: Sequence[tuple[str, int]]) -> RawMsg:
    """Submit the signer's obligations ``(payee, amount)`` (at most 1,000) to ``cycle``."""
    items = tuple(Obligation(payee, amount) for payee, amount in obligations)
    return MsgSubmitObligations(cycle, asset, items).to_raw()
