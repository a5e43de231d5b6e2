"""Message builders of the compliance module (see ``finchain.client.builders`` for the rest).

Each builds the message object and returns ``msg.to_raw()``. Rules are given as
the JSON shape of docs/regulation/compliance.md (``{"id", "expr", "action", …}``)
or as ``Rule`` values; the chain compiles and type-checks them at publish.

Example::

    from finchain.client import builders as b
    from finchain.client import compliance_builders as cb

    regulator.sign(cb.publish([{"id": "cap", "expr": "move.amount > 5000000",
                                "action": "deny", "reason": "above the cap: split it"}]))
    member.sign(b.submit_proposal("activate rules v1", [b.exec_msg(cb.activate(1, h + 10))]))
    approver.sign(cb.approve(held_id))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from finchain.codec import RawMsg
from finchain.modules.compliance.messages import (
    MsgActivate,
    MsgApprove,
    MsgGovSetProfile,
    MsgPublish,
    MsgSetAsset,
    MsgSetParams,
    MsgSetProfile,
)
from finchain.modules.compliance.types import Rule


def rule_of(rule: Rule | Mapping[str, Any]) -> Rule:
    """A rule from its JSON shape (lists of approvers, ints) or as given."""
    return rule if isinstance(rule, Rule) else Rule.from_json(dict(rule))


def publish(rules: Sequence[Rule | Mapping[str, Any]]) -> RawMsg:
    return MsgPublish(tuple(rule_of(r) for r in rules)).to_raw()


def activate(version: int, height: int) -> RawMsg:
    """Governed: wrap in ``builders.exec_msg`` inside a proposal."""
    return MsgActivate(version, height).to_raw()


def set_params(zone_offset_minutes: int = 480, window_seconds: int = 86400) -> RawMsg:
    """Governed."""
    return MsgSetParams(zone_offset_minutes, window_seconds).to_raw()


def set_asset(asset: str, regulated: bool = True) -> RawMsg:
    """Governed."""
    return MsgSetAsset(asset, regulated).to_raw()


def set_profile(issuer: str, account: str, jurisdiction: str, natural_person: bool) -> RawMsg:
    """Signed by the controller of ``issuer``, a KYC issuer with a current claim on ``account``."""
    return MsgSetProfile(issuer, account, jurisdiction, natural_person).to_raw()


def gov_set_profile(account: str, jurisdiction: str, natural_person: bool) -> RawMsg:
    """Governed."""
    return MsgGovSetProfile(account, jurisdiction, natural_person).to_raw()


def approve(held_id: int) -> RawMsg:
    return MsgApprove(held_id).to_raw()
