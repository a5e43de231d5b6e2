"""The accounts module: ids assigned by the chain, M-of-N key policies, reset, closure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.module import BaseModule, Handler, Invariant, Query
from finchain.core.msgs import Msg
from finchain.core.schema import expect_fields, get_list
from finchain.errors import FinchainError
from finchain.modules.accounts import handlers, keys, queries
from finchain.modules.accounts.errors import ErrBadGenesis
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
from finchain.modules.accounts.types import (
    KeyPolicy,
    account_id,
    is_account_id,
    policy_from_json,
    policy_to_json,
)

NAME = "accounts"


class AccountsModule(BaseModule):
    name = NAME
    store_key = keys.STORE
    consensus_version = 1

    def __init__(self, keeper: AccountsKeeper) -> None:
        self.keeper = keeper

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        k = self.keeper
        return {
            MsgCreateAccount: partial(handlers.create_account, k),
            MsgAddKey: partial(handlers.add_key, k),
            MsgRemoveKey: partial(handlers.remove_key, k),
            MsgRotateKey: partial(handlers.rotate_key, k),
            MsgSetThreshold: partial(handlers.set_threshold, k),
            MsgSetRecovery: partial(handlers.set_recovery, k),
            MsgInitiateReset: partial(handlers.initiate_reset, k),
            MsgCancelReset: partial(handlers.cancel_reset, k),
            MsgCloseAccount: partial(handlers.close_account, k),
            MsgSetMfa: partial(handlers.set_mfa, k),
            MsgSetFactor: partial(handlers.set_factor, k),
        }

    def queries(self) -> Mapping[str, Query]:
        return {
            "accounts/account": partial(queries.account, self.keeper),
            "accounts/closed": partial(queries.closed, self.keeper),
        }

    def validate_genesis(self, state: dict[str, Any]) -> None:
        """The section's shape; its contents are checked as ``init_genesis`` loads them."""
        if not isinstance(state, dict) or not state.keys() <= self.default_genesis().keys():
            raise ErrBadGenesis(f"{NAME} genesis must be a map of {sorted(self.default_genesis())}")

    def default_genesis(self) -> dict[str, Any]:
        return {"accounts": []}

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        """Genesis accounts get numbers 1, 2, … in file order; their ids must match."""
        try:
            expect_fields(state, {"accounts"}, "accounts genesis")
            entries = get_list(state, "accounts", max_items=1_000_000)
            for number, entry in enumerate(entries, start=1):
                expect_fields(entry, {"id", "policy", "recovery"}, f"genesis account #{number}")
                if entry["id"] != account_id(number):
                    raise ErrBadGenesis(
                        f"genesis account #{number} must have id {account_id(number)}, "
                        f"not {entry['id']!r}"
                    )
                policy = policy_from_json(entry["policy"], max_keys=ctx.params.max_keys_per_account)
                recovery = entry["recovery"]
                if recovery and (not is_account_id(recovery) or int(recovery[4:]) > len(entries)):
                    raise ErrBadGenesis(
                        f"genesis account #{number}: unknown recovery account {recovery!r}"
                    )
                self.keeper.create_account(ctx, policy, recovery, "genesis")
        except FinchainError as exc:
            if exc.error is ErrBadGenesis:
                raise
            raise ErrBadGenesis(f"accounts genesis: {exc.message}") from None

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        return {
            "accounts": [
                {"id": a.id, "policy": policy_to_json(a.policy), "recovery": a.recovery}
                for a in self.keeper.iterate_accounts(reader)
            ]
        }

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [("accounts/ids-below-counter", self._ids_below_counter)]

    def _ids_below_counter(self, reader: KVReader) -> str | None:
        next_number = self.keeper.next_number(reader)
        for account in self.keeper.iterate_accounts(reader):
            if int(account.id[4:]) >= next_number:
                return f"account {account.id} is at or above the id counter {next_number}"
        return None

    def end_block(self, ctx: Context) -> None:
        self.keeper.complete_due_resets(ctx)


def genesis_account(number: int, policy: KeyPolicy, recovery: str = "") -> dict[str, Any]:
    """A genesis entry for account ``number`` (helper for `finchain init` and tests)."""
    return {"id": account_id(number), "policy": policy_to_json(policy), "recovery": recovery}
