"""Shared by the escrow tests: a chain whose test module can also place compliance holds.

A compliance hold is a frozen amount placed by another module (a regulator's
order); until a compliance module exists, ``testhold/hold`` and
``testhold/lift`` stand in for it through real messages in real blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finchain.chain import FinchainApp
from finchain.codec import RawMsg
from finchain.core.collections import StoreKey
from finchain.core.context import Context
from finchain.core.fields import AMOUNT, Text, wire
from finchain.core.module import BaseModule, Handler, Module
from finchain.core.msgs import Msg
from finchain.modules.bank.keeper import BankKeeper
from finchain.modules.escrow.keeper import EscrowKeeper
from finchain.modules.escrow.types import NO_CONDITIONS
from tests.harness import Chain
from tests.testmodule import test_modules


@dataclass(frozen=True, slots=True)
class MsgHold(Msg):
    TYPE = "testhold/hold"
    account: str = wire(Text())
    asset: str = wire(Text())
    amount: int = wire(AMOUNT)


@dataclass(frozen=True, slots=True)
class MsgLift(MsgHold):
    TYPE = "testhold/lift"


class HoldsForTestsModule(BaseModule):
    name = "testhold"
    store_key = StoreKey("testhold", b"testhold/")

    def __init__(self, bank: BankKeeper) -> None:
        self.bank = bank

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        def hold(ctx: Context, msg: MsgHold) -> None:
            self.bank.freeze_amount(ctx, msg.account, msg.asset, msg.amount, "compliance")

        def lift(ctx: Context, msg: MsgLift) -> None:
            self.bank.unfreeze_amount(ctx, msg.account, msg.asset, msg.amount, "compliance")

        return {MsgHold: hold, MsgLift: lift}


@dataclass(frozen=True, slots=True)
class MsgLockCollateral(Msg):
    """A stand-in for a lending module: lock the signer's CNY in an escrow it controls."""

    TYPE = "testlend/lock"
    payee: str = wire(Text())
    amount: int = wire(AMOUNT)


class LendingForTestsModule(BaseModule):
    name = "testlend"
    store_key = StoreKey("testlend", b"testlend/")

    def __init__(self, escrow: EscrowKeeper) -> None:
        self.escrow = escrow

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        def lock(ctx: Context, msg: MsgLockCollateral) -> None:
            self.escrow.create(
                ctx, ctx.signer, msg.payee, "CNY", msg.amount, NO_CONDITIONS, controller="testlend"
            )

        return {MsgLockCollateral: lock}


def modules(app: FinchainApp) -> Sequence[Module]:
    return [*test_modules(app), HoldsForTestsModule(app.bank), LendingForTestsModule(app.escrow)]


def escrow_app(path: Path | str, **options: Any) -> FinchainApp:
    """A FinchainApp with the status test module and the compliance-hold stand-in."""
    return FinchainApp(path, extra_modules=modules, **options)


def lock_collateral(payee: str, amount: int) -> RawMsg:
    return MsgLockCollateral(payee, amount).to_raw()


def hold(account: str, amount: int, asset: str = "CNY") -> RawMsg:
    return MsgHold(account, asset, amount).to_raw()


def lift(account: str, amount: int, asset: str = "CNY") -> RawMsg:
    return MsgLift(account, asset, amount).to_raw()


class EscrowChain(Chain):
    def _open(self) -> FinchainApp:
        return escrow_app(self.path, extra_ante=self.extra_ante)
