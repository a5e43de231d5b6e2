"""Messages of the accounts module: each field declared once (``finchain.core.fields``)."""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import PUBLIC_KEY, Nested, wire
from finchain.core.msgs import CLOSE, KEY_CHANGE, FieldlessMsg, Msg, Operation
from finchain.modules.accounts.mfa import FACTOR_OR_NONE, MfaRule, Rules
from finchain.modules.accounts.types import (
    ACCOUNT,
    ACCOUNT_OR_NONE,
    KEY_NAME,
    SCHEME,
    THRESHOLD,
    AccountKey,
    KeyPolicy,
)

_KEY_CHANGE = (Operation(KEY_CHANGE),)


class _ControlMsg(Msg):
    """A message that changes who controls the signer's account (or, for a reset, another's).

    Each is a ``key_change`` for the signer's multi-factor rules: a thief holding
    one factor must not be able to add their own key, drop a rule or hand the
    account to another recovery account.
    """

    __slots__ = ()

    def sensitive_operations(self) -> tuple[Operation, ...]:
        return _KEY_CHANGE


@dataclass(frozen=True, slots=True)
class MsgCreateAccount(Msg):
    """Open a new account; the chain assigns its id (returned in the account_created event)."""

    TYPE = "accounts/create"
    policy: KeyPolicy = wire(Nested(KeyPolicy))
    recovery: str = wire(ACCOUNT_OR_NONE)


@dataclass(frozen=True, slots=True)
class MsgAddKey(_ControlMsg):
    TYPE = "accounts/add_key"
    key: AccountKey = wire(Nested(AccountKey))


@dataclass(frozen=True, slots=True)
class MsgRemoveKey(_ControlMsg):
    TYPE = "accounts/remove_key"
    key_id: str = wire(KEY_NAME)


@dataclass(frozen=True, slots=True)
class MsgRotateKey(_ControlMsg):
    """Replace the key material behind ``key_id``, keeping its id, weight and factor."""

    TYPE = "accounts/rotate_key"
    key_id: str = wire(KEY_NAME)
    scheme: str = wire(SCHEME)
    public_key: bytes = wire(PUBLIC_KEY)

    def check(self) -> None:
        # The same checks as a key of a policy: a known scheme, a valid point.
        AccountKey(self.key_id, self.scheme, self.public_key, 1).check()


@dataclass(frozen=True, slots=True)
class MsgSetThreshold(_ControlMsg):
    TYPE = "accounts/set_threshold"
    threshold: int = wire(THRESHOLD)


@dataclass(frozen=True, slots=True)
class MsgSetRecovery(_ControlMsg):
    """Name the account allowed to start a key reset ("" for none)."""

    TYPE = "accounts/set_recovery"
    recovery: str = wire(ACCOUNT_OR_NONE)


@dataclass(frozen=True, slots=True)
class MsgInitiateReset(_ControlMsg):
    """Sent by the recovery account of ``account`` when its holder lost their keys."""

    TYPE = "accounts/initiate_reset"
    account: str = wire(ACCOUNT)
    policy: KeyPolicy = wire(Nested(KeyPolicy))


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
    rules: tuple[MfaRule, ...] = wire(Rules())


@dataclass(frozen=True, slots=True)
class MsgSetFactor(_ControlMsg):
    """Label key ``key_id`` with a factor, or remove its label with ``""``."""

    TYPE = "accounts/set_factor"
    key_id: str = wire(KEY_NAME)
    factor: str = wire(FACTOR_OR_NONE)


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
