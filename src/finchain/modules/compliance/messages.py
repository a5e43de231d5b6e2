"""Messages of the compliance module.

``publish`` is signed by a regulator, ``approve`` by a named approver and
``set_profile`` by a KYC institution; ``activate``, ``set_params``, ``set_asset``
and ``gov_set_profile`` are governed: only a passed governance proposal runs them.
"""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import HEIGHT, Flag, Text, wire
from finchain.core.msgs import Msg
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.bank.types import ASSET_SYMBOL
from finchain.modules.compliance.types import (
    HELD_ID,
    JURISDICTION,
    RULES,
    VERSION,
    WINDOW_SECONDS,
    ZONE_OFFSET,
    Params,
    Rule,
    check_rules,
)


@dataclass(frozen=True, slots=True)
class MsgPublish(Msg):
    """A regulator publishes a rule set (1-64 rules); it gets the next version and takes
    effect only when governance activates it."""

    TYPE = "compliance/publish"
    rules: tuple[Rule, ...] = wire(RULES)

    def validate(self) -> None:
        check_rules(self.rules)


@dataclass(frozen=True, slots=True)
class MsgActivate(Msg):
    """Governance only: rule set ``version`` becomes the active set at ``height`` (in the
    future; exactly at that height, from the block's first transaction)."""

    TYPE = "compliance/activate"
    GOVERNED = True
    version: int = wire(VERSION)
    height: int = wire(HEIGHT)


@dataclass(frozen=True, slots=True)
class MsgSetParams(Msg):
    """Governance only: the zone "today" is counted in (UTC offset, minutes) and the
    sliding window (seconds, a multiple of 24)."""

    TYPE = "compliance/set_params"
    GOVERNED = True
    zone_offset_minutes: int = wire(ZONE_OFFSET)
    window_seconds: int = wire(WINDOW_SECONDS)

    def validate(self) -> None:
        Params(self.zone_offset_minutes, self.window_seconds).check()


@dataclass(frozen=True, slots=True)
class MsgSetAsset(Msg):
    """Governance only: whether ``asset`` is regulated (``asset.regulated`` in rules)."""

    TYPE = "compliance/set_asset"
    GOVERNED = True
    asset: str = wire(ASSET_SYMBOL)
    regulated: bool = wire(Flag())


@dataclass(frozen=True, slots=True)
class MsgSetProfile(Msg):
    """The account's KYC institution records its jurisdiction and person kind; signed by
    the controller of ``issuer``, an accredited KYC issuer with a current claim on it."""

    TYPE = "compliance/set_profile"
    issuer: str = wire(Text(max_len=128))
    account: str = wire(ACCOUNT)
    jurisdiction: str = wire(JURISDICTION)
    natural_person: bool = wire(Flag())


@dataclass(frozen=True, slots=True)
class MsgGovSetProfile(Msg):
    """Governance only: the same, for an account whose institution cannot (or a correction)."""

    TYPE = "compliance/gov_set_profile"
    GOVERNED = True
    account: str = wire(ACCOUNT)
    jurisdiction: str = wire(JURISDICTION)
    natural_person: bool = wire(Flag())


@dataclass(frozen=True, slots=True)
class MsgApprove(Msg):
    """A named approver approves a held transaction; at its threshold the messages run."""

    TYPE = "compliance/approve"
    held_id: int = wire(HELD_ID)


ALL_MSGS: tuple[type[Msg], ...] = (
    MsgPublish,
    MsgActivate,
    MsgSetParams,
    MsgSetAsset,
    MsgSetProfile,
    MsgGovSetProfile,
    MsgApprove,
)
