"""The accounts module: ids assigned by the chain, M-of-N key policies, reset, closure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.fields import HEIGHT, Integer, ListOf, Nested, Optional, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import Invariant, KeeperModule, genesis_errors, parse_genesis
from finchain.modules.accounts import handlers, queries
from finchain.modules.accounts.errors import ErrBadGenesis
from finchain.modules.accounts.keeper import AccountsKeeper
from finchain.modules.accounts.keys import STORE
from finchain.modules.accounts.types import (
    ACCOUNT,
    ACCOUNT_OR_NONE,
    STATUS,
    Account,
    KeyPolicy,
    PendingReset,
    account_id,
)

NAME = "accounts"
NONCE = Integer(low=0, high=2**64 - 1)


@dataclass(frozen=True, slots=True)
class GenesisReset(Record):
    """A key reset pending at export: the policy it installs, who started it, when, until when."""

    WHAT = "pending reset"
    policy: KeyPolicy = wire(Nested(KeyPolicy))
    initiator: str = wire(ACCOUNT)
    started: int = wire(HEIGHT)
    due: int = wire(HEIGHT)


@dataclass(frozen=True, slots=True)
class GenesisAccount(Record):
    """An account of a genesis file (in its JSON form: public keys in hex).

    A new chain's file lists ``id``, ``policy`` and ``recovery``; an exported
    chain adds each other field where it differs from a new account's.
    ``closed_at`` is the height the account closed at (0: open).
    """

    WHAT = "genesis account"
    id: str = wire(ACCOUNT)
    policy: KeyPolicy = wire(Nested(KeyPolicy))
    recovery: str = wire(ACCOUNT_OR_NONE)
    status: AccountStatus = wire(STATUS, default=AccountStatus.ACTIVE)
    created: int = wire(HEIGHT, default=0)
    nonce: int = wire(NONCE, default=0)
    closed_at: int = wire(HEIGHT, default=0)
    reset: GenesisReset | None = wire(Optional(Nested(GenesisReset)), default=None)

    def check(self) -> None:
        closed = self.status is AccountStatus.CLOSED
        if closed != (self.closed_at != 0):
            raise ErrBadGenesis(f"account {self.id}: a closed account, and only one, has closed_at")
        if closed and self.reset is not None:
            raise ErrBadGenesis(f"account {self.id}: a closed account has no pending reset")


def _number(account: Account) -> int:
    return int(account.id[4:])


@dataclass(frozen=True, slots=True)
class AccountsGenesis(Record):
    """The accounts in id order; a recovery account or reset initiator must be one of them."""

    WHAT = "accounts genesis"
    accounts: tuple[GenesisAccount, ...] = wire(ListOf(Nested(GenesisAccount), max_items=1_000_000))

    def check(self) -> None:
        listed = len(self.accounts)
        for number, entry in enumerate(self.accounts, start=1):
            if entry.id != account_id(number):
                raise ErrBadGenesis(
                    f"genesis account #{number} must have id {account_id(number)}, not {entry.id!r}"
                )
            others = [entry.recovery] + ([entry.reset.initiator] if entry.reset else [])
            for other in others:
                if other and int(other[4:]) > listed:
                    raise ErrBadGenesis(
                        f"genesis account #{number}: unknown account {other!r} (recovery or "
                        "reset initiator)"
                    )


class AccountsModule(KeeperModule[AccountsKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES

    def default_genesis(self) -> dict[str, Any]:
        return {"accounts": []}

    def validate_genesis(self, state: dict[str, Any]) -> None:
        parse_genesis(AccountsGenesis, state, ErrBadGenesis)

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        """Accounts in id order (numbers 1, 2, …), then the id counter after the last."""
        genesis = parse_genesis(AccountsGenesis, state, ErrBadGenesis)
        max_keys = ctx.params.max_keys_per_account
        with genesis_errors(ErrBadGenesis, AccountsGenesis.WHAT):
            for entry in genesis.accounts:
                entry.policy.check(max_keys=max_keys)
                if entry.reset is not None:
                    entry.reset.policy.check(max_keys=max_keys)
        for entry in genesis.accounts:
            reset = entry.reset
            account = Account(
                entry.id,
                entry.policy,
                entry.status,
                entry.recovery,
                entry.created,
                0 if reset is None else reset.due,
            )
            self.keeper.import_account(ctx, account, entry.nonce, entry.closed_at)
            if reset is not None:
                self.keeper.import_reset(
                    ctx,
                    PendingReset(entry.id, reset.policy, reset.initiator, reset.started, reset.due),
                )

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        closed = dict(self.keeper.closed_accounts(reader))
        entries = []
        # In number order (the order ids are assigned and imported), not key order.
        for account in sorted(self.keeper.iterate_accounts(reader), key=_number):
            pending = self.keeper.pending_reset(reader, account.id)
            reset = (
                None
                if pending is None
                else GenesisReset(pending.policy, pending.initiator, pending.started, pending.due)
            )
            entries.append(
                GenesisAccount(
                    account.id,
                    account.policy,
                    account.recovery,
                    account.status,
                    account.created,
                    self.keeper.nonce(reader, account.id),
                    closed.get(account.id, 0),
                    reset,
                )
            )
        return AccountsGenesis(tuple(entries)).to_json()

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [
            ("accounts/ids-below-counter", self._ids_below_counter),
            ("accounts/resets-in-step", self._resets_in_step),
        ]

    def _ids_below_counter(self, reader: KVReader) -> str | None:
        next_number = self.keeper.next_number(reader)
        for account in self.keeper.iterate_accounts(reader):
            if int(account.id[4:]) >= next_number:
                return f"account {account.id} is at or above the id counter {next_number}"
        return None

    def _resets_in_step(self, reader: KVReader) -> str | None:
        """An account's reset marker and its pending reset come and go together."""
        pending = {p.account: p.due for p in self.keeper.pending_resets(reader)}
        for account in self.keeper.iterate_accounts(reader):
            if account.reset_due != pending.pop(account.id, 0):
                return f"account {account.id} has reset marker {account.reset_due} out of step"
        if pending:
            return f"pending resets of unknown accounts {sorted(pending)}"
        return None

    def end_block(self, ctx: Context) -> None:
        self.keeper.complete_due_resets(ctx)


def genesis_account(number: int, policy: KeyPolicy, recovery: str = "") -> dict[str, Any]:
    """A genesis entry for account ``number`` (helper for `finchain init` and tests)."""
    return GenesisAccount(account_id(number), policy, recovery).to_json()
