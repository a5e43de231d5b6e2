"""One thin function per message: check authority, call the keeper."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.errors import FinchainError
from finchain.modules.accounts import events
from finchain.modules.accounts.errors import (
    ErrAccountNotActive,
    ErrInvalidPolicy,
    ErrKeyExists,
    ErrKeyNotFound,
    ErrNotRecoveryAccount,
    ErrWouldLock,
)
from finchain.modules.accounts.keeper import AccountsKeeper
from finchain.modules.accounts.messages import (
    MsgAddKey,
    MsgCancelReset,
    MsgCloseAccount,
    MsgCreateAccount,
    MsgInitiateReset,
    MsgRemoveKey,
    MsgRotateKey,
    MsgSetFactor,
    MsgSetMfa,
    MsgSetRecovery,
    MsgSetThreshold,
)
from finchain.modules.accounts.types import KeyPolicy


def _check_policy(ctx: Context, policy: KeyPolicy) -> None:
    """Check a policy derived from the current one by a key change.

    A change that leaves the account unable to reach its threshold, or unable
    to meet one of its multi-factor rules, would lock it: said as such, with
    what to change first.
    """
    try:
        policy.check(max_keys=ctx.params.max_keys_per_account)
    except FinchainError as exc:
        if policy.threshold > sum(k.weight for k in policy.keys):
            raise ErrWouldLock(
                f"threshold {policy.threshold} exceeds the remaining key weight: "
                "lower the threshold first"
            ) from None
        rule = policy.unsatisfiable_rule()
        if rule is not None:
            raise ErrWouldLock(
                f"the account's {rule.operation} rule needs keys of {rule.min_factors} distinct "
                f"factors and this change leaves {len(policy.factors())}: lower or remove the "
                "rule first (accounts/set_mfa)"
            ) from None
        raise exc


def _require_recovery_target(
    ctx: Context, keeper: AccountsKeeper, recovery: str, owner: str
) -> None:
    if not recovery:
        return
    if recovery == owner:
        raise ErrInvalidPolicy("an account cannot be its own recovery account")
    if keeper.status(ctx.store, recovery) is not AccountStatus.ACTIVE:
        raise ErrAccountNotActive(f"recovery account {recovery} does not exist or is not active")


def create_account(keeper: AccountsKeeper, ctx: Context, msg: MsgCreateAccount) -> None:
    _check_policy(ctx, msg.policy)
    _require_recovery_target(ctx, keeper, msg.recovery, "")
    keeper.create_account(ctx, msg.policy, msg.recovery, ctx.signer)


def add_key(keeper: AccountsKeeper, ctx: Context, msg: MsgAddKey) -> None:
    account = keeper.require_account(ctx.store, ctx.signer)
    if account.policy.key(msg.key.id) is not None:
        raise ErrKeyExists(
            f"key id {msg.key.id!r} is already on account {account.id}; pick another id"
        )
    policy = account.policy.with_keys([*account.policy.keys, msg.key])
    _check_policy(ctx, policy)
    keeper.set_policy(ctx, account, policy)
    ctx.emit(events.key_changed(events.KEY_ADDED, account.id, msg.key.id))


def remove_key(keeper: AccountsKeeper, ctx: Context, msg: MsgRemoveKey) -> None:
    account = keeper.require_account(ctx.store, ctx.signer)
    if account.policy.key(msg.key_id) is None:
        raise ErrKeyNotFound(f"key id {msg.key_id!r} is not on account {account.id}")
    remaining = [k for k in account.policy.keys if k.id != msg.key_id]
    if not remaining:
        raise ErrWouldLock("cannot remove the last key; close the account instead")
    policy = account.policy.with_keys(remaining)
    _check_policy(ctx, policy)
    keeper.set_policy(ctx, account, policy)
    ctx.emit(events.key_changed(events.KEY_REMOVED, account.id, msg.key_id))


def rotate_key(keeper: AccountsKeeper, ctx: Context, msg: MsgRotateKey) -> None:
    account = keeper.require_account(ctx.store, ctx.signer)
    old = account.policy.key(msg.key_id)
    if old is None:
        raise ErrKeyNotFound(f"key id {msg.key_id!r} is not on account {account.id}")
    # The key id keeps its weight and its factor: new material in the same custody.
    replaced = replace(old, scheme=msg.scheme, public_key=msg.public_key)
    policy = account.policy.with_keys(
        [replaced if k.id == old.id else k for k in account.policy.keys]
    )
    _check_policy(ctx, policy)
    keeper.set_policy(ctx, account, policy)
    ctx.emit(events.key_changed(events.KEY_ROTATED, account.id, msg.key_id))


def set_threshold(keeper: AccountsKeeper, ctx: Context, msg: MsgSetThreshold) -> None:
    account = keeper.require_account(ctx.store, ctx.signer)
    policy = replace(account.policy, threshold=msg.threshold)
    _check_policy(ctx, policy)
    keeper.set_policy(ctx, account, policy)
    ctx.emit(events.threshold_changed(account.id, msg.threshold))


def set_recovery(keeper: AccountsKeeper, ctx: Context, msg: MsgSetRecovery) -> None:
    account = keeper.require_account(ctx.store, ctx.signer)
    _require_recovery_target(ctx, keeper, msg.recovery, account.id)
    keeper.set_recovery(ctx, account, msg.recovery)


def set_mfa(keeper: AccountsKeeper, ctx: Context, msg: MsgSetMfa) -> None:
    account = keeper.require_account(ctx.store, ctx.signer)
    policy = replace(account.policy, mfa=msg.rules)
    policy.check(max_keys=ctx.params.max_keys_per_account)  # refuses an unsatisfiable rule
    keeper.set_policy(ctx, account, policy)
    ctx.emit(events.mfa_changed(account.id, len(msg.rules)))


def set_factor(keeper: AccountsKeeper, ctx: Context, msg: MsgSetFactor) -> None:
    account = keeper.require_account(ctx.store, ctx.signer)
    old = account.policy.key(msg.key_id)
    if old is None:
        raise ErrKeyNotFound(f"key id {msg.key_id!r} is not on account {account.id}")
    policy = account.policy.with_keys(
        [replace(k, factor=msg.factor) if k.id == old.id else k for k in account.policy.keys]
    )
    _check_policy(ctx, policy)
    keeper.set_policy(ctx, account, policy)
    ctx.emit(events.factor_changed(account.id, msg.key_id, msg.factor))


def initiate_reset(keeper: AccountsKeeper, ctx: Context, msg: MsgInitiateReset) -> None:
    target = keeper.require_account(ctx.store, msg.account)
    if not target.recovery or target.recovery != ctx.signer:
        raise ErrNotRecoveryAccount(
            f"only account {target.recovery or '(none set)'} may start a key reset of {target.id}"
        )
    if target.status is AccountStatus.CLOSED:
        raise ErrAccountNotActive(f"account {target.id} is closed")
    _check_policy(ctx, msg.policy)
    keeper.start_reset(ctx, target, msg.policy, ctx.signer)


def cancel_reset(keeper: AccountsKeeper, ctx: Context, msg: MsgCancelReset) -> None:
    keeper.cancel_reset(ctx, ctx.signer)


def close_account(keeper: AccountsKeeper, ctx: Context, msg: MsgCloseAccount) -> None:
    keeper.close(ctx, keeper.require_account(ctx.store, ctx.signer))


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgCreateAccount: create_account,
    MsgAddKey: add_key,
    MsgRemoveKey: remove_key,
    MsgRotateKey: rotate_key,
    MsgSetThreshold: set_threshold,
    MsgSetRecovery: set_recovery,
    MsgInitiateReset: initiate_reset,
    MsgCancelReset: cancel_reset,
    MsgCloseAccount: close_account,
    MsgSetMfa: set_mfa,
    MsgSetFactor: set_factor,
}
