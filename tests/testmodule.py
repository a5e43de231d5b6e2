"""A module that exists only in tests: it lets a test freeze an account or reject by policy.

Freezing is decided by later modules (compliance, governance) through the accounts
keeper; until they exist, this stands in as the caller, through a real message in
a real block, so the ante chain sees a genuinely frozen account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.module import Handler, Invariant, Query
from finchain.core.msgs import Msg
from finchain.core.schema import expect_fields, get_str
from finchain.modules.accounts.keeper import AccountsKeeper
from finchain.modules.governance.types import GOV_AUTHORITY


@dataclass(frozen=True, slots=True)
class MsgSetStatus(Msg):
    TYPE = "testonly/set_status"
    account: str
    status: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"account", "status"}, cls.TYPE)
        return cls(get_str(value, "account"), get_str(value, "status"))

    def to_value(self) -> dict[str, Any]:
        return {"account": self.account, "status": self.status}


@dataclass(frozen=True, slots=True)
class MsgGovernedStatus(MsgSetStatus):
    """The same change, allowed only when a passed governance proposal executes it."""

    TYPE = "testonly/governed_status"
    GOVERNED = True


class StatusForTestsModule:
    name = "testonly"

    def __init__(self, accounts: AccountsKeeper) -> None:
        self.accounts = accounts

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        def set_status(ctx: Context, msg: MsgSetStatus) -> None:
            self.accounts.set_status(ctx, msg.account, msg.status, "test")

        def governed_status(ctx: Context, msg: MsgGovernedStatus) -> None:
            if ctx.signer != GOV_AUTHORITY:
                raise AssertionError("a governed message reached its handler without governance")
            self.accounts.set_status(ctx, msg.account, msg.status, "governance")

        return {MsgSetStatus: set_status, MsgGovernedStatus: governed_status}

    def queries(self) -> Mapping[str, Query]:
        return {}

    def default_genesis(self) -> dict[str, Any]:
        return {}

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        return None

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        return {}

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return []

    def end_block(self, ctx: Context) -> None:
        return None
