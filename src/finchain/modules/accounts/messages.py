"""Messages of the accounts module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from finchain.core.errors import ErrInvalidMsg
from finchain.core.msgs import CLOSE, KEY_CHANGE, FieldlessMsg, Msg, Operation
from finchain.core.schema import expect_fields, get_int, get_list, get_str
from finchain.modules.accounts.mfa import MAX_RULES, MfaRule, check_factor, rules_from_list
from finchain.modules.accounts.types import (
    KEY_ID,
    MAX_WEIGHT,
    AccountKey,
    KeyPolicy,
    is_account_id,
)


def _account_field(value: dict[str, Any], name: str, *, allow_empty: bool = False) -> str:
    text = get_str(value, name, max_len=14, allow_empty=allow_empty)
    if text and not is_account_id(text):
        raise ErrInvalidMsg(f"field {name!r}: {text!r} is not a valid account id")
    return text


_KEY_CHANGE = (Operation(KEY_CHANGE),)


class _ControlMsg(Msg):
    """A message that changes who controls the signer's account (or, for a reset, another's).

    Each is a ``key_change`` for the signer's multi-factor rules: a thief holding
    one factor must not be able to add their own key, drop a rule or hand the
    account to another recovery account.
    """

    def sensitive_operations(self) -> tuple[Operation, ...]:
        return _KEY_CHANGE


def _key_id_field(value: dict[str, Any], name: str) -> str:
    key_id = get_str(value, name, max_len=32)
    if not KEY_ID.fullmatch(key_id):
        raise ErrInvalidMsg(f"field {name!r} must match {KEY_ID.pattern}")
    return key_id


@dataclass(frozen=True, slots=True)
class MsgCreateAccount(Msg):
    """Open a new account; the chain assigns its id (returned in the account_created event)."""

    TYPE = "accounts/create"
    policy: KeyPolicy
    recovery: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"policy", "recovery"}, cls.TYPE)
        return cls(
            KeyPolicy.from_obj(value["policy"]), _account_field(value, "recovery", allow_empty=True)
        )

    def to_value(self) -> dict[str, Any]:
        return {"policy": self.policy.to_obj(), "recovery": self.recovery}


@dataclass(frozen=True, slots=True)
class MsgAddKey(_ControlMsg):
    TYPE = "accounts/add_key"
    key: AccountKey

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"key"}, cls.TYPE)
        return cls(AccountKey.from_obj(value["key"]))

    def to_value(self) -> dict[str, Any]:
        return {"key": self.key.to_obj()}


@dataclass(frozen=True, slots=True)
class MsgRemoveKey(_ControlMsg):
    TYPE = "accounts/remove_key"
    key_id: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"key_id"}, cls.TYPE)
        return cls(_key_id_field(value, "key_id"))

    def to_value(self) -> dict[str, Any]:
        return {"key_id": self.key_id}


@dataclass(frozen=True, slots=True)
class MsgRotateKey(_ControlMsg):
    """Replace the key material behind ``key_id``, keeping its id, weight and factor."""

    TYPE = "accounts/rotate_key"
    key_id: str
    scheme: str
    public_key: bytes

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"key_id", "scheme", "public_key"}, cls.TYPE)
        key_id = _key_id_field(value, "key_id")
        checked = AccountKey.from_obj(
            {
                "id": key_id,
                "scheme": value["scheme"],
                "public_key": value["public_key"],
                "weight": 1,
            }
        )
        return cls(key_id, checked.scheme, checked.public_key)

    def to_value(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "scheme": self.scheme, "public_key": self.public_key}


@dataclass(frozen=True, slots=True)
class MsgSetThreshold(_ControlMsg):
    TYPE = "accounts/set_threshold"
    threshold: int

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"threshold"}, cls.TYPE)
        return cls(get_int(value, "threshold", low=1, high=MAX_WEIGHT * 64))

    def to_value(self) -> dict[str, Any]:
        return {"threshold": self.threshold}


@dataclass(frozen=True, slots=True)
class MsgSetRecovery(_ControlMsg):
    """Name the account allowed to start a key reset ("" for none)."""

    TYPE = "accounts/set_recovery"
    recovery: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"recovery"}, cls.TYPE)
        return cls(_account_field(value, "recovery", allow_empty=True))

    def to_value(self) -> dict[str, Any]:
        return {"recovery": self.recovery}


@dataclass(frozen=True, slots=True)
class MsgInitiateReset(_ControlMsg):
    """Sent by the recovery account of ``account`` when its holder lost their keys."""

    TYPE = "accounts/initiate_reset"
    account: str
    policy: KeyPolicy

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"account", "policy"}, cls.TYPE)
        return cls(_account_field(value, "account"), KeyPolicy.from_obj(value["policy"]))

    def to_value(self) -> dict[str, Any]:
        return {"account": self.account, "policy": self.policy.to_obj()}


@dataclass(frozen=True, slots=True)
class MsgCancelReset(FieldlessMsg):
    """Sent by the account itself, under its current (old) policy, to stop a reset.

    Not a guarded operation: it keeps the controls as they are, and an owner who
    lost one factor must still be able to stop a hostile reset with the others.
    """

    TYPE = "accounts/cancel_reset"


@dataclass(frozen=True, slots=True)
class MsgCloseAccount(FieldlessMsg):
    """Close the signing account for good; it must hold no assets. Its id is never reused."""

    TYPE = "accounts/close"

    def sensitive_operations(self) -> tuple[Operation, ...]:
        return (Operation(CLOSE),)


@dataclass(frozen=True, slots=True)
class MsgSetMfa(_ControlMsg):
    """Replace the account's multi-factor rules (an empty list removes them all)."""

    TYPE = "accounts/set_mfa"
    rules: tuple[MfaRule, ...]

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"rules"}, cls.TYPE)
        return cls(rules_from_list(get_list(value, "rules", max_items=MAX_RULES)))

    def to_value(self) -> dict[str, Any]:
        return {"rules": [r.to_obj() for r in self.rules]}


@dataclass(frozen=True, slots=True)
class MsgSetFactor(_ControlMsg):
    """Label key ``key_id`` with a factor, or remove its label with ``""``."""

    TYPE = "accounts/set_factor"
    key_id: str
    factor: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"key_id", "factor"}, cls.TYPE)
        factor = get_str(value, "factor", max_len=16, allow_empty=True)
        return cls(_key_id_field(value, "key_id"), check_factor(factor) if factor else "")

    def to_value(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "factor": self.factor}


ALL_MSGS: tuple[type[Msg], ...] = (
    MsgCreateAccount,
    MsgAddKey,
    MsgRemoveKey,
    MsgRotateKey,
    MsgSetThreshold,
    MsgSetRecovery,
    MsgInitiateReset,
    MsgCancelReset,
    MsgCloseAccount,
    MsgSetMfa,
    MsgSetFactor,
)
