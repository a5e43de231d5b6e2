"""A module that exists only in tests, in two consensus versions, for the upgrade tests.

``tallies`` counts, per account, the ``tallies/bump`` messages it sent. Version 1
keeps ``account -> count`` as 8 bytes under ``t/``; version 2 changes the key
layout and the value (``c/ ‖ account -> {"count", "since"}``), and migrates
version 1's entries in the upgrade block. Run version 1 until the upgrade
height, version 2 from it: ``app_v1`` and ``app_v2`` build the two versions of
the chain through the composition API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finchain.chain import FinchainApp
from finchain.core.collections import STR, CborValue, Map, StoreKey, U64Value
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.module import BaseModule, Handler, Migration, Module, Query
from finchain.core.msgs import FieldlessMsg, Msg
from finchain.modules.upgrade.keeper import migrate_only

STORE = StoreKey("tallies", b"tallies/")
UPGRADE = "tallies-v2"
V1_COUNTS: Map[str, int] = Map(STORE, b"t/", STR, U64Value())
V2_COUNTS: Map[str, dict[str, int]] = Map(STORE, b"c/", STR, CborValue())


@dataclass(frozen=True, slots=True)
class MsgBump(FieldlessMsg):
    TYPE = "tallies/bump"


class TalliesV1(BaseModule):
    name = "tallies"
    store_key = STORE
    consensus_version = 1

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        def bump(ctx: Context, msg: MsgBump) -> None:
            V1_COUNTS.set(ctx, ctx.signer, (V1_COUNTS.get(ctx.store, ctx.signer) or 0) + 1)

        return {MsgBump: bump}

    def queries(self) -> Mapping[str, Query]:
        return {"tallies/of": lambda r, p: {"count": V1_COUNTS.get(r, p["account"]) or 0}}

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        return {}


class TalliesV2(BaseModule):
    name = "tallies"
    store_key = STORE
    consensus_version = 2

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        def bump(ctx: Context, msg: MsgBump) -> None:
            found = V2_COUNTS.get(ctx.store, ctx.signer) or {"count": 0, "since": ctx.height}
            V2_COUNTS.set(ctx, ctx.signer, {**found, "count": found["count"] + 1})

        return {MsgBump: bump}

    def queries(self) -> Mapping[str, Query]:
        return {"tallies/of": lambda r, p: V2_COUNTS.get(r, p["account"]) or {"count": 0}}

    def migrations(self) -> Mapping[int, Migration]:
        def v1_to_v2(ctx: Context) -> None:
            for account, count in list(V1_COUNTS.iterate(ctx.store)):
                V2_COUNTS.set(ctx, account, {"count": count, "since": ctx.height})
                V1_COUNTS.remove(ctx, account)

        return {1: v1_to_v2}


def _v1(app: FinchainApp) -> Sequence[Module]:
    return [TalliesV1()]


def _v2(app: FinchainApp) -> Sequence[Module]:
    return [TalliesV2()]


def app_v1(data_dir: Path, *, keep_recent: int = 0) -> FinchainApp:
    """The old version: knows no upgrade, halts at ``tallies-v2``."""
    return FinchainApp(data_dir, keep_recent=keep_recent, extra_modules=_v1)


def app_v2(data_dir: Path, *, keep_recent: int = 0) -> FinchainApp:
    """The new version: knows ``tallies-v2`` and migrates the module there."""
    return FinchainApp(
        data_dir, keep_recent=keep_recent, extra_modules=_v2, upgrades={UPGRADE: migrate_only}
    )
