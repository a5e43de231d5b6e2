"""A module that exists only in tests: it lets a test freeze an account through a message.

Freezing is decided by later modules (compliance, governance) through the accounts
keeper; until they exist, this stands in as the caller, through a real message in
a real block, so the ante chain sees a genuinely frozen account. ``with_test_module``
adds it to a ``FinchainApp`` through the composition API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finchain.chain import FinchainApp
from finchain.core.authority import GOV_AUTHORITY
from finchain.core.collections import StoreKey
from finchain.core.context import Context
from finchain.core.fields import Text, wire
from finchain.core.module import BaseModule, Handler, Module
from finchain.core.msgs import Msg
from finchain.modules.accounts.keeper import AccountsKeeper


@dataclass(frozen=True, slots=True)
class MsgSetStatus(Msg):
    TYPE = "testonly/set_status"
    account: str = wire(Text())
    status: str = wire(Text())


@dataclass(frozen=True, slots=True)
class MsgGovernedStatus(MsgSetStatus):
    """The same change, allowed only when a passed governance proposal executes it."""

    TYPE = "testonly/governed_status"
    GOVERNED = True


class StatusForTestsModule(BaseModule):
    name = "testonly"
    store_key = StoreKey("testonly", b"testonly/")

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


def test_modules(app: FinchainApp) -> Sequence[Module]:
    return [StatusForTestsModule(app.accounts)]


def with_test_module(path: Path | str, **options: Any) -> FinchainApp:
    """A FinchainApp with the test module after the standard ones."""
    return FinchainApp(path, extra_modules=test_modules, **options)
