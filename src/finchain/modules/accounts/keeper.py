"""The only code that reads or writes the accounts module's keys (through its collections)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from functools import lru_cache
from types import MappingProxyType

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.modules.accounts import events
from finchain.modules.accounts.deps import CloseGuard
from finchain.modules.accounts.errors import (
    ErrAccountNotActive,
    ErrAccountNotFound,
    ErrNoResetPending,
    ErrResetPending,
)
from finchain.modules.accounts.keys import ACCOUNTS, CLOSED, NEXT_NUMBER, NONCES, RESETS
from finchain.modules.accounts.mfa import FactorRules
from finchain.modules.accounts.signer import SignerInfo, SignerKey
from finchain.modules.accounts.types import Account, KeyPolicy, PendingReset, account_id


@lru_cache(maxsize=65_536)
def _signer_view(policy: KeyPolicy) -> tuple[Mapping[str, SignerKey], FactorRules | None]:
    """A policy's keys by id, and its factor rules (None without rules: the check is skipped).

    Cached: the ante chain asks for every transaction, and a decoded account (with its
    policy) is the same object for as long as its bytes are unchanged.
    """
    keys = MappingProxyType(
        {k.id: SignerKey(k.scheme, k.public_key, k.weight) for k in policy.keys}
    )
    if not policy.mfa:
        return keys, None
    labels = MappingProxyType({k.id: k.factor for k in policy.keys if k.factor})
    return keys, FactorRules(labels, policy.mfa)


class AccountsView:
    """Read-only access, usable on any reader (a context's store or a historical view)."""

    def get_account(self, reader: KVReader, account: str) -> Account | None:
        return ACCOUNTS.get(reader, account)

    def require_account(self, reader: KVReader, account: str) -> Account:
        found = ACCOUNTS.get(reader, account)
        if found is None:
            raise ErrAccountNotFound(f"account {account} does not exist: check the id")
        return found

    def status(self, reader: KVReader, account: str) -> AccountStatus | None:
        found = ACCOUNTS.get(reader, account)
        return None if found is None else found.status

    def nonce(self, reader: KVReader, account: str) -> int:
        found = NONCES.get(reader, account)
        return 0 if found is None else found

    def pending_reset(self, reader: KVReader, account: str) -> PendingReset | None:
        return RESETS.get(reader, account)

    def pending_resets(self, reader: KVReader) -> Iterator[PendingReset]:
        return RESETS.values(reader)

    def next_number(self, reader: KVReader) -> int:
        return NEXT_NUMBER.peek(reader)

    def iterate_accounts(self, reader: KVReader) -> Iterator[Account]:
        return ACCOUNTS.values(reader)

    def closed_accounts(self, reader: KVReader) -> list[tuple[str, int]]:
        """(id, height closed) of every closed account: the published list of retired ids."""
        return list(CLOSED.iterate(reader))

    def signer_info(self, ctx: Context, account: str) -> SignerInfo | None:
        found = ACCOUNTS.get(ctx.store, account)
        if found is None:
            return None
        keys, factors = _signer_view(found.policy)
        return SignerInfo(
            status=found.status,
            keys=keys,
            threshold=found.policy.threshold,
            nonce=self.nonce(ctx.store, account),
            reset_pending=found.reset_due != 0,
            factors=factors,
        )


class AccountsKeeper(AccountsView):
    def __init__(self) -> None:
        self._close_guards: list[CloseGuard] = []

    def add_close_guard(self, guard: CloseGuard) -> None:
        """Wired once by the application: the bank refuses to close an account holding assets."""
        self._close_guards.append(guard)

    def set_nonce(self, ctx: Context, account: str, nonce: int) -> None:
        NONCES.set(ctx, account, nonce)

    def create_account(
        self, ctx: Context, policy: KeyPolicy, recovery: str, creator: str
    ) -> Account:
        new_id = account_id(NEXT_NUMBER.next(ctx))
        account = Account(new_id, policy, AccountStatus.ACTIVE, recovery, ctx.height, 0)
        ACCOUNTS.set(ctx, new_id, account)
        ctx.emit(events.account_created(new_id, creator))
        return account

    def set_policy(self, ctx: Context, account: Account, policy: KeyPolicy) -> Account:
        self._require_no_reset(account)
        updated = replace(account, policy=policy)
        ACCOUNTS.set(ctx, account.id, updated)
        return updated

    def set_recovery(self, ctx: Context, account: Account, recovery: str) -> None:
        self._require_no_reset(account)
        ACCOUNTS.set(ctx, account.id, replace(account, recovery=recovery))
        ctx.emit(events.recovery_changed(account.id, recovery))

    def set_status(self, ctx: Context, account: str, status: AccountStatus, reason: str) -> None:
        """Freeze or unfreeze; called by modules that decide it (compliance, governance).

        ``status`` is ``AccountStatus.ACTIVE`` or ``AccountStatus.FROZEN``; closing
        is the account's own message (``accounts/close``), never another module's.
        """
        status = AccountStatus(status)  # a caller holding the plain string gets the same
        if status is AccountStatus.CLOSED:
            raise ValueError(f"set_status takes active or frozen, not {status!r}")
        found = self.require_account(ctx.store, account)
        if found.status is AccountStatus.CLOSED:
            raise ErrAccountNotActive(f"account {account} is closed; its status cannot change")
        ACCOUNTS.set(ctx, account, replace(found, status=status))
        ctx.emit(events.status_changed(account, status, reason))

    def close(self, ctx: Context, account: Account) -> None:
        self._require_no_reset(account)
        for guard in self._close_guards:
            guard(ctx, account.id)
        ACCOUNTS.set(ctx, account.id, replace(account, status=AccountStatus.CLOSED))
        CLOSED.set(ctx, account.id, ctx.height)
        ctx.emit(events.account_closed(account.id))

    def start_reset(
        self, ctx: Context, account: Account, policy: KeyPolicy, initiator: str
    ) -> None:
        self._require_no_reset(account)
        due = ctx.height + ctx.params.reset_lock_blocks
        ACCOUNTS.set(ctx, account.id, replace(account, reset_due=due))
        RESETS.set(ctx, account.id, PendingReset(account.id, policy, initiator, ctx.height, due))
        ctx.emit(events.reset_initiated(account.id, initiator, due))

    def cancel_reset(self, ctx: Context, account: str) -> None:
        if RESETS.get(ctx.store, account) is None:
            raise ErrNoResetPending(f"account {account} has no pending key reset to cancel")
        RESETS.remove(ctx, account)
        ACCOUNTS.set(ctx, account, replace(self.require_account(ctx.store, account), reset_due=0))
        ctx.emit(events.reset_cancelled(account))

    def complete_due_resets(self, ctx: Context) -> None:
        """End of block: a reset whose lock window ended at this height takes effect."""
        for account in list(RESETS.by("due", ctx.store, ctx.height)):
            pending = RESETS.get(ctx.store, account)
            if pending is None:
                continue
            RESETS.remove(ctx, account)
            found = self.require_account(ctx.store, account)
            ACCOUNTS.set(ctx, account, replace(found, policy=pending.policy, reset_due=0))
            ctx.emit(events.reset_completed(account))

    # -- genesis ----------------------------------------------------------------------------------

    def import_account(self, ctx: Context, account: Account, nonce: int, closed_at: int) -> None:
        """Write a genesis account as it was exported (the id counter follows it)."""
        if account.id != account_id(NEXT_NUMBER.next(ctx)):
            raise ValueError(f"accounts are imported in id order; {account.id} is out of place")
        ACCOUNTS.set(ctx, account.id, account)
        if nonce:
            NONCES.set(ctx, account.id, nonce)
        if closed_at:
            CLOSED.set(ctx, account.id, closed_at)

    def import_reset(self, ctx: Context, pending: PendingReset) -> None:
        RESETS.set(ctx, pending.account, pending)

    @staticmethod
    def _require_no_reset(account: Account) -> None:
        if account.reset_due:
            raise ErrResetPending(
                f"account {account.id} has a key reset pending: cancel it or wait for the "
                "lock window "
                f"to end at height {account.reset_due}"
            )
