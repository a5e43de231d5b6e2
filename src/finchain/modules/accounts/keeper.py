"""The only code that reads or writes the accounts module's keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache
from types import MappingProxyType

from finchain.codec import decode_trusted, encode
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.modules.accounts import events, keys
from finchain.modules.accounts.deps import CloseGuard
from finchain.modules.accounts.errors import (
    ErrAccountNotActive,
    ErrAccountNotFound,
    ErrNoResetPending,
    ErrResetPending,
)
from finchain.modules.accounts.mfa import FactorRules
from finchain.modules.accounts.signer import SignerInfo, SignerKey
from finchain.modules.accounts.types import (
    STATUS_ACTIVE,
    STATUS_CLOSED,
    STATUSES,
    Account,
    KeyPolicy,
    PendingReset,
    account_id,
)


@lru_cache(maxsize=65_536)
def _account_from_raw(raw: bytes) -> Account:
    """Accounts are read on every transaction; equal bytes give an equal (immutable) Account."""
    return Account.from_obj(decode_trusted(raw))


@lru_cache(maxsize=65_536)
def _signer_keys(raw: bytes) -> dict[str, SignerKey]:
    return {
        k.id: SignerKey(k.scheme, k.public_key, k.weight)
        for k in _account_from_raw(raw).policy.keys
    }


@lru_cache(maxsize=65_536)
def _factor_rules(raw: bytes) -> FactorRules | None:
    """None for an account without rules, so the ante chain skips the check entirely."""
    policy = _account_from_raw(raw).policy
    if not policy.mfa:
        return None
    return FactorRules(
        MappingProxyType({k.id: k.factor for k in policy.keys if k.factor}), policy.mfa
    )


class AccountsView:
    """Read-only access, usable on any reader (a context's store or a historical view)."""

    def get_account(self, reader: KVReader, account: str) -> Account | None:
        raw = reader.get(keys.account(account))
        return None if raw is None else _account_from_raw(raw)

    def require_account(self, reader: KVReader, account: str) -> Account:
        found = self.get_account(reader, account)
        if found is None:
            raise ErrAccountNotFound(f"account {account} does not exist: check the id")
        return found

    def status(self, reader: KVReader, account: str) -> str | None:
        found = self.get_account(reader, account)
        return None if found is None else found.status

    def nonce(self, reader: KVReader, account: str) -> int:
        raw = reader.get(keys.nonce(account))
        return 0 if raw is None else int.from_bytes(raw, "big")

    def pending_reset(self, reader: KVReader, account: str) -> PendingReset | None:
        raw = reader.get(keys.reset(account))
        return None if raw is None else PendingReset.from_obj(decode_trusted(raw))

    def next_number(self, reader: KVReader) -> int:
        raw = reader.get(keys.NEXT_NUMBER)
        return 1 if raw is None else int.from_bytes(raw, "big")

    def iterate_accounts(self, reader: KVReader) -> Iterator[Account]:
        for _, raw in reader.iterate(keys.ACCOUNT):
            yield _account_from_raw(raw)

    def closed_accounts(self, reader: KVReader) -> list[tuple[str, int]]:
        """(id, height closed) of every closed account: the published list of retired ids."""
        return [
            (key[len(keys.CLOSED) :].decode(), int.from_bytes(raw, "big"))
            for key, raw in reader.iterate(keys.CLOSED)
        ]

    def signer_info(self, ctx: Context, account: str) -> SignerInfo | None:
        raw = ctx.store.get(keys.account(account))
        if raw is None:
            return None
        found = _account_from_raw(raw)
        return SignerInfo(
            status=found.status,
            keys=_signer_keys(raw),
            threshold=found.policy.threshold,
            nonce=self.nonce(ctx.store, account),
            reset_pending=found.reset_due != 0,
            factors=_factor_rules(raw),
        )


class AccountsKeeper(AccountsView):
    def __init__(self) -> None:
        self._close_guards: list[CloseGuard] = []

    def add_close_guard(self, guard: CloseGuard) -> None:
        """Wired once by the application: the bank refuses to close an account holding assets."""
        self._close_guards.append(guard)

    def set_nonce(self, ctx: Context, account: str, nonce: int) -> None:
        ctx.store.set(keys.nonce(account), nonce.to_bytes(8, "big"))

    def _save(self, ctx: Context, account: Account) -> None:
        ctx.store.set(keys.account(account.id), encode(account.to_obj()))

    def create_account(
        self, ctx: Context, policy: KeyPolicy, recovery: str, creator: str
    ) -> Account:
        number = self.next_number(ctx.store)
        new_id = account_id(number)
        ctx.store.set(keys.NEXT_NUMBER, (number + 1).to_bytes(8, "big"))
        account = Account(new_id, policy, STATUS_ACTIVE, recovery, ctx.height)
        self._save(ctx, account)
        ctx.emit(events.account_created(new_id, creator))
        return account

    def set_policy(self, ctx: Context, account: Account, policy: KeyPolicy) -> Account:
        self._require_no_reset(account)
        updated = replace(account, policy=policy)
        self._save(ctx, updated)
        return updated

    def set_recovery(self, ctx: Context, account: Account, recovery: str) -> None:
        self._require_no_reset(account)
        self._save(ctx, replace(account, recovery=recovery))
        ctx.emit(events.recovery_changed(account.id, recovery))

    def set_status(self, ctx: Context, account: str, status: str, reason: str) -> None:
        """Freeze or unfreeze; called by modules that decide it (compliance, governance)."""
        if status not in (s for s in STATUSES if s != STATUS_CLOSED):
            raise ValueError(f"set_status takes active or frozen, not {status!r}")
        found = self.require_account(ctx.store, account)
        if found.status == STATUS_CLOSED:
            raise ErrAccountNotActive(f"account {account} is closed; its status cannot change")
        self._save(ctx, replace(found, status=status))
        ctx.emit(events.status_changed(account, status, reason))

    def close(self, ctx: Context, account: Account) -> None:
        self._require_no_reset(account)
        for guard in self._close_guards:
            guard(ctx, account.id)
        self._save(ctx, replace(account, status=STATUS_CLOSED))
        ctx.store.set(keys.closed(account.id), ctx.height.to_bytes(8, "big"))
        ctx.emit(events.account_closed(account.id))

    def start_reset(
        self, ctx: Context, account: Account, policy: KeyPolicy, initiator: str
    ) -> None:
        self._require_no_reset(account)
        due = ctx.height + ctx.params.reset_lock_blocks
        pending = PendingReset(account.id, policy, initiator, ctx.height, due)
        self._save(ctx, replace(account, reset_due=due))
        ctx.store.set(keys.reset(account.id), encode(pending.to_obj()))
        ctx.store.set(keys.reset_due(due, account.id), b"")
        ctx.emit(events.reset_initiated(account.id, initiator, due))

    def cancel_reset(self, ctx: Context, account: str) -> None:
        pending = self.pending_reset(ctx.store, account)
        if pending is None:
            raise ErrNoResetPending(f"account {account} has no pending key reset to cancel")
        ctx.store.delete(keys.reset(account))
        ctx.store.delete(keys.reset_due(pending.due, account))
        self._save(ctx, replace(self.require_account(ctx.store, account), reset_due=0))
        ctx.emit(events.reset_cancelled(account))

    def complete_due_resets(self, ctx: Context) -> None:
        """End of block: a reset whose lock window ended at this height takes effect."""
        prefix = keys.reset_due_prefix(ctx.height)
        for key, _ in list(ctx.store.iterate(prefix)):
            account = key[len(prefix) :].decode()
            pending = self.pending_reset(ctx.store, account)
            ctx.store.delete(key)
            if pending is None:
                continue
            ctx.store.delete(keys.reset(account))
            found = self.require_account(ctx.store, account)
            self._save(ctx, replace(found, policy=pending.policy, reset_due=0))
            ctx.emit(events.reset_completed(account))

    @staticmethod
    def _require_no_reset(account: Account) -> None:
        if account.reset_due:
            raise ErrResetPending(
                f"account {account.id} has a key reset pending: cancel it or wait for the "
                "lock window "
                f"to end at height {account.reset_due}"
            )
