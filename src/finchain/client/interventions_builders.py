"""Message builders of the interventions module (see ``finchain.client.builders`` for the rest).

Each builds the message object and returns ``msg.to_raw()``: the wire form comes
from the message's declaration. Builders do not check their arguments; the
chain refuses a malformed message with ``tx:6`` and a bad intervention with a
code of the ``interventions`` codespace.

Example::

    from finchain.client import builders as b
    from finchain.client import interventions_builders as ivb

    member.sign(b.submit_proposal("officers", [b.exec_msg(ivb.set_officers([o1, o2, o3], 2))]))
    o1.sign(ivb.freeze_amount(account, "CNY", 500_00, legal_basis="Art. 38 ...",
                              deadline_height=h + 100, order=("sha256", digest)))
    o2.sign(ivb.approve(intervention_id))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NotRequired, TypedDict, Unpack

from finchain.codec import RawMsg
from finchain.modules.interventions.messages import MsgApprove, MsgPropose, MsgSetOfficers
from finchain.modules.interventions.types import (
    FORCED_TRANSFER,
    FREEZE_ACCOUNT,
    FREEZE_AMOUNT,
    PAUSE_ASSET,
    RESUME_ASSET,
    UNFREEZE_ACCOUNT,
    UNFREEZE_AMOUNT,
)

Order = tuple[str, bytes] | None
"""A court order as ``(hash_alg, 32-byte digest of the document)``, or None."""


class Terms(TypedDict):
    """What every intervention carries besides the fields of its kind."""

    legal_basis: str
    deadline_height: int
    order: NotRequired[Order]
    expiry_height: NotRequired[int]
    expiry_time: NotRequired[int]


def set_officers(officers: Sequence[str], threshold: int) -> RawMsg:
    """For a governance proposal's ``exec`` action: the officers and the approvals needed."""
    return MsgSetOfficers(tuple(sorted(officers)), threshold).to_raw()


def propose(
    kind: str,
    *,
    legal_basis: str,
    deadline_height: int,
    account: str = "",
    to: str = "",
    asset: str = "",
    amount: int = 0,
    target: int = 0,
    order: Order = None,
    expiry_height: int = 0,
    expiry_time: int = 0,
) -> RawMsg:
    """Any intervention (the functions below name the fields of each kind)."""
    alg, digest = order if order is not None else ("", b"")
    return MsgPropose(
        kind, legal_basis, deadline_height, account, to, asset, amount, target, alg, digest,
        expiry_height, expiry_time,
    ).to_raw()  # fmt: skip


def freeze_account(account: str, **terms: Unpack[Terms]) -> RawMsg:
    """Freeze ``account`` (it may receive but not sign) until lifted or expired."""
    return propose(FREEZE_ACCOUNT, account=account, **terms)


def freeze_amount(account: str, asset: str, amount: int, **terms: Unpack[Terms]) -> RawMsg:
    """Freeze ``amount`` of ``account``'s ``asset`` (kept in the balance, not spendable)."""
    return propose(FREEZE_AMOUNT, account=account, asset=asset, amount=amount, **terms)


def pause_asset(asset: str, **terms: Unpack[Terms]) -> RawMsg:
    """Refuse every transfer of ``asset`` until resumed or expired."""
    return propose(PAUSE_ASSET, asset=asset, **terms)


def unfreeze_account(target: int, **terms: Unpack[Terms]) -> RawMsg:
    """Lift the account freeze ``target``."""
    return propose(UNFREEZE_ACCOUNT, target=target, **terms)


def unfreeze_amount(target: int, amount: int, **terms: Unpack[Terms]) -> RawMsg:
    """Release ``amount`` of what the amount freeze ``target`` holds."""
    return propose(UNFREEZE_AMOUNT, target=target, amount=amount, **terms)


def resume_asset(target: int, **terms: Unpack[Terms]) -> RawMsg:
    """Lift the pause ``target``."""
    return propose(RESUME_ASSET, target=target, **terms)


def forced_transfer(
    account: str, to: str, asset: str, amount: int, **terms: Unpack[Terms]
) -> RawMsg:
    """Move ``amount`` of ``asset`` from ``account`` to ``to`` under a court order (``order=``)."""
    return propose(FORCED_TRANSFER, account=account, to=to, asset=asset, amount=amount, **terms)


def approve(intervention_id: int) -> RawMsg:
    """Approve a proposed intervention as an officer."""
    return MsgApprove(intervention_id).to_raw()
