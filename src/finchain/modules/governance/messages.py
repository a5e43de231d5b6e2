"""Messages of the governance module, and the actions a proposal carries.

Two messages: ``gov/submit_proposal`` (a title, a description and up to
:data:`MAX_ACTIONS` actions; no action makes a text proposal) and ``gov/vote``.
An action is a map with a ``type`` and its fields; it is checked here, without
state, when the proposal is submitted, and against state only when the passed
proposal executes (state may have moved on in between).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self

from finchain.core.errors import ErrInvalidMsg
from finchain.core.msgs import Msg
from finchain.core.params import ChainParams
from finchain.core.schema import expect_fields, get_bytes, get_int, get_list, get_str
from finchain.crypto import public_key_from_bytes
from finchain.errors import FinchainError
from finchain.modules.accounts.types import is_account_id
from finchain.modules.governance.errors import ErrInvalidParam, ErrInvalidValidator
from finchain.modules.governance.types import (
    MAX_CHAIN_PARAM,
    MAX_POWER,
    MAX_WEIGHT,
    VALIDATOR_SCHEMES,
    VOTE_OPTIONS,
    parse_gov_param,
)

MAX_ACTIONS = 16
MAX_TITLE = 140
MAX_DESCRIPTION = 4096
MAX_NAME = 64
MAX_PUBLIC_KEY = 65
SPACE_APP = "app"
SPACE_GOV = "governance"
CHAIN_PARAM_NAMES = tuple(f.name for f in fields(ChainParams))


def _account(value: dict[str, Any], name: str) -> str:
    account = get_str(value, name, max_len=14)
    if not is_account_id(account):
        raise ErrInvalidMsg(f"field {name!r}: {account!r} is not a valid account id")
    return account


def _public_key(value: dict[str, Any]) -> bytes:
    key = get_bytes(value, "public_key", max_len=MAX_PUBLIC_KEY)
    if len(key) not in (32, 65):
        raise ErrInvalidValidator(
            f"public_key has {len(key)} bytes; an ed25519 key has 32, an sm2 key 65"
        )
    return key


def _power(value: dict[str, Any]) -> int:
    return get_int(value, "power", low=1, high=MAX_POWER)


class Action(ABC):
    """One change a proposal makes when it executes; ``KIND`` is its wire ``type``."""

    KIND: ClassVar[str]

    @classmethod
    @abstractmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        """Parse the wire map (``type`` included) strictly."""

    @abstractmethod
    def fields_value(self) -> dict[str, Any]:
        """The wire map without ``type``."""

    def to_value(self) -> dict[str, Any]:
        return {"type": self.KIND, **self.fields_value()}


@dataclass(frozen=True, slots=True)
class AddMember(Action):
    """Admit an institution: its (existing, active) account, a label and a voting weight."""

    KIND = "add_member"
    account: str
    name: str
    weight: int

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"type", "account", "name", "weight"}, cls.KIND)
        return cls(
            _account(value, "account"),
            get_str(value, "name", max_len=MAX_NAME),
            get_int(value, "weight", low=1, high=MAX_WEIGHT),
        )

    def fields_value(self) -> dict[str, Any]:
        return {"account": self.account, "name": self.name, "weight": self.weight}


@dataclass(frozen=True, slots=True)
class RemoveMember(Action):
    KIND = "remove_member"
    account: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"type", "account"}, cls.KIND)
        return cls(_account(value, "account"))

    def fields_value(self) -> dict[str, Any]:
        return {"account": self.account}


@dataclass(frozen=True, slots=True)
class SetMemberWeight(Action):
    KIND = "set_member_weight"
    account: str
    weight: int

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"type", "account", "weight"}, cls.KIND)
        return cls(_account(value, "account"), get_int(value, "weight", low=1, high=MAX_WEIGHT))

    def fields_value(self) -> dict[str, Any]:
        return {"account": self.account, "weight": self.weight}


@dataclass(frozen=True, slots=True)
class AddValidator(Action):
    """Add a consensus key; its scheme must be the one every validator of the chain uses."""

    KIND = "add_validator"
    name: str
    scheme: str
    public_key: bytes
    power: int

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"type", "name", "scheme", "public_key", "power"}, cls.KIND)
        scheme = get_str(value, "scheme", max_len=16)
        if scheme not in VALIDATOR_SCHEMES:
            raise ErrInvalidValidator(
                f"validator scheme must be one of {list(VALIDATOR_SCHEMES)}, got {scheme!r}"
            )
        public_key = _public_key(value)
        try:
            public_key_from_bytes(scheme, public_key)
        except FinchainError as exc:
            raise ErrInvalidValidator(f"public_key: {exc.message}") from None
        return cls(get_str(value, "name", max_len=MAX_NAME), scheme, public_key, _power(value))

    def fields_value(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scheme": self.scheme,
            "public_key": self.public_key,
            "power": self.power,
        }


@dataclass(frozen=True, slots=True)
class _KeyAndPower(Action):
    """The shape shared by actions that name a validator key and a power."""

    public_key: bytes
    power: int

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"type", "public_key", "power"}, cls.KIND)
        return cls(_public_key(value), _power(value))

    def fields_value(self) -> dict[str, Any]:
        return {"public_key": self.public_key, "power": self.power}


@dataclass(frozen=True, slots=True)
class SetValidatorPower(_KeyAndPower):
    """Change an active validator's power (to remove it, use ``remove_validator``)."""

    KIND = "set_validator_power"


@dataclass(frozen=True, slots=True)
class RemoveValidator(Action):
    KIND = "remove_validator"
    public_key: bytes

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"type", "public_key"}, cls.KIND)
        return cls(_public_key(value))

    def fields_value(self) -> dict[str, Any]:
        return {"public_key": self.public_key}


@dataclass(frozen=True, slots=True)
class RestoreValidator(_KeyAndPower):
    """Lift a jail: the validator is active again with ``power``."""

    KIND = "restore_validator"


@dataclass(frozen=True, slots=True)
class SetParam(Action):
    """Set one parameter: ``space`` ``app`` (ChainParams, effective after the block commits)
    or ``governance`` (effective for what happens after the executing proposal).

    ``value`` is an integer, or for the fractions ``pass_threshold`` and
    ``quorum`` a string such as ``"3/4"``.
    """

    KIND = "set_param"
    space: str
    name: str
    value: int | str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"type", "space", "name", "value"}, cls.KIND)
        space = get_str(value, "space", max_len=16)
        name = get_str(value, "name", max_len=64)
        raw = value["value"]
        if space == SPACE_GOV:
            parse_gov_param(name, raw)
        elif space == SPACE_APP:
            if name not in CHAIN_PARAM_NAMES:
                raise ErrInvalidParam(
                    f"unknown chain param {name!r}; known: {sorted(CHAIN_PARAM_NAMES)}"
                )
            if type(raw) is not int or not 1 <= raw <= MAX_CHAIN_PARAM:
                raise ErrInvalidParam(f"chain param {name} must be a positive integer")
        else:
            raise ErrInvalidParam(f"space must be {SPACE_APP!r} or {SPACE_GOV!r}, got {space!r}")
        return cls(space, name, raw)

    def fields_value(self) -> dict[str, Any]:
        return {"space": self.space, "name": self.name, "value": self.value}


@dataclass(frozen=True, slots=True)
class ExecMsg(Action):
    """Run a governed message of any module (e.g. accredit an issuer) with signer ``governance``.

    Only the wire shape is checked here; the application's router parses the
    message when the proposal is submitted (so a typo is refused at once) and
    again when it executes.
    """

    KIND = "exec"
    msg_type: str
    msg_value: dict[str, Any]

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"type", "msg"}, cls.KIND)
        msg = value["msg"]
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            raise ErrInvalidMsg("field 'msg' must be a message map with a string 'type'")
        msg_type = msg["type"]
        if msg_type.startswith("gov/"):
            raise ErrInvalidMsg(f"a proposal cannot execute governance's own {msg_type!r}")
        return cls(msg_type, {k: v for k, v in msg.items() if k != "type"})

    def fields_value(self) -> dict[str, Any]:
        return {"msg": {"type": self.msg_type, **self.msg_value}}


ACTIONS: dict[str, type[Action]] = {
    cls.KIND: cls
    for cls in (
        AddMember,
        RemoveMember,
        SetMemberWeight,
        AddValidator,
        SetValidatorPower,
        RemoveValidator,
        RestoreValidator,
        SetParam,
        ExecMsg,
    )
}


def parse_action(value: Any, index: int) -> Action:
    """An action from its wire map; errors name the action's position in the proposal."""
    kind = value.get("type") if isinstance(value, dict) else None
    cls = ACTIONS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ErrInvalidMsg(
            f"action #{index}: 'type' must be one of {sorted(ACTIONS)}, got {kind!r}"
        )
    try:
        return cls.from_value(value)
    except FinchainError as exc:
        raise exc.error(f"action #{index} ({kind}): {exc.message}") from None


@dataclass(frozen=True, slots=True)
class MsgSubmitProposal(Msg):
    """Put a proposal to the members; only a member may submit. Voting opens at once."""

    TYPE = "gov/submit_proposal"
    title: str
    description: str
    actions: tuple[Action, ...]

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"title", "description", "actions"}, cls.TYPE)
        items = get_list(value, "actions", max_items=MAX_ACTIONS)
        return cls(
            get_str(value, "title", max_len=MAX_TITLE),
            get_str(value, "description", max_len=MAX_DESCRIPTION, allow_empty=True),
            tuple(parse_action(item, i) for i, item in enumerate(items)),
        )

    def to_value(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "actions": [a.to_value() for a in self.actions],
        }


@dataclass(frozen=True, slots=True)
class MsgVote(Msg):
    """A member's vote; a later vote by the same member replaces it until voting ends."""

    TYPE = "gov/vote"
    proposal_id: int
    option: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"proposal_id", "option"}, cls.TYPE)
        option = get_str(value, "option", max_len=16)
        if option not in VOTE_OPTIONS:
            raise ErrInvalidMsg(f"option must be one of {list(VOTE_OPTIONS)}, got {option!r}")
        return cls(get_int(value, "proposal_id", low=1, high=2**63 - 1), option)

    def to_value(self) -> dict[str, Any]:
        return {"proposal_id": self.proposal_id, "option": self.option}


ALL_MSGS: tuple[type[Msg], ...] = (MsgSubmitProposal, MsgVote)
