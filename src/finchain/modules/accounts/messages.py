"""Messages of the accounts module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from finchain.app.errors import ErrInvalidMsg
from finchain.app.msgs import FieldlessMsg, Msg
from finchain.app.schema import expect_fields, get_int, get_str
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
class MsgAddKey(Msg):
    TYPE = "accounts/add_key"
    key: AccountKey

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"key"}, cls.TYPE)
        return cls(AccountKey.from_obj(value["key"]))

    def to_value(self) -> dict[str, Any]:
        return {"key": self.key.to_obj()}


@dataclass(frozen=True, slots=True)
class MsgRemoveKey(Msg):
    TYPE = "accounts/remove_key"
    key_id: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"key_id"}, cls.TYPE)
        return cls(_key_id_field(value, "key_id"))

    def to_value(self) -> dict[str, Any]:
        return {"key_id": self.key_id}


@dataclass(frozen=True, slots=True)
class MsgRotateKey(Msg):
    """Replace the key material behind ``key_id``, keeping its id and weight."""

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
class MsgSetThreshold(Msg):
    TYPE = "accounts/set_threshold"
    threshold: int

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"threshold"}, cls.TYPE)
        return cls(get_int(value, "threshold", low=1, high=MAX_WEIGHT * 64))

    def to_value(self) -> dict[str, Any]:
        return {"threshold": self.threshold}


@dataclass(frozen=True, slots=True)
class MsgSetRecovery(Msg):
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
class MsgInitiateReset(Msg):
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
    """Sent by the account itself, under its current (old) policy, to stop a reset."""

    TYPE = "accounts/cancel_reset"


@dataclass(frozen=True, slots=True)
class MsgCloseAccount(FieldlessMsg):
    """Close the signing account for good; it must hold no assets. Its id is never reused."""

    TYPE = "accounts/close"


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
)
