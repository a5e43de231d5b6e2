"""Message builders of the cbdc module (see ``finchain.client.builders`` for the rest).

Each builds the message object and returns ``msg.to_raw()``. Builders do not check
their arguments: the chain refuses a malformed message with ``tx:6`` and a refused
act with a code of the ``cbdc`` codespace.

Example::

    from finchain.client import builders as b
    from finchain.client import cbdc_builders as cb

    pboc.sign(b.create_asset("ECNY", "e-CNY", 2))             # issuer = sole minter/burner
    member.sign(b.submit_proposal("cbdc", [b.exec_msg(cb.designate(pboc_id, "ECNY"))]))
    pboc.sign(cb.authorise(operator_id, quota=1_000_000_00))
    pboc.sign(cb.issue(operator_id, 500_000_00, reference="RRR-2026-0001"))
    operator.sign(cb.open_wallet(owner_id, tier=4), cb.distribute(owner_id, 100_00))
    owner.sign(cb.withdraw(50_00))
"""

from __future__ import annotations

from finchain.codec import RawMsg
from finchain.modules.cbdc.messages import (
    MsgAuthorise,
    MsgDesignate,
    MsgDistribute,
    MsgIssue,
    MsgOpenWallet,
    MsgRedeem,
    MsgWithdraw,
)


def designate(central_bank: str, asset: str) -> RawMsg:
    """For a governance proposal's ``exec`` action: the central bank and its CBDC asset."""
    return MsgDesignate(central_bank, asset).to_raw()


def authorise(operator: str, quota: int) -> RawMsg:
    """Central bank: authorise ``operator`` or set its quota (not below what it holds issued)."""
    return MsgAuthorise(operator, quota).to_raw()


def issue(operator: str, amount: int, reference: str) -> RawMsg:
    """Central bank: issue ``amount`` to ``operator`` against new reserve ``reference``."""
    return MsgIssue(operator, amount, reference).to_raw()


def redeem(operator: str, amount: int, reference: str) -> RawMsg:
    """Central bank: take ``amount`` back from ``operator`` (destroyed), releasing the reserve."""
    return MsgRedeem(operator, amount, reference).to_raw()


def open_wallet(owner: str, tier: int) -> RawMsg:
    """Operator: open a wallet of ``tier`` (1..4) for ``owner`` under the signing operator."""
    return MsgOpenWallet(owner, tier).to_raw()


def distribute(wallet: str, amount: int) -> RawMsg:
    """Operator: move ``amount`` from its float into one of its own wallets."""
    return MsgDistribute(wallet, amount).to_raw()


def withdraw(amount: int) -> RawMsg:
    """Wallet owner: return ``amount`` to the wallet's own operator."""
    return MsgWithdraw(amount).to_raw()
