"""The bank's holdings gain a by-asset index (consensus version 2): a chain with state crosses
the upgrade ``bank-v2-holders-index`` that builds it.

Steps (two in-process nodes fed the same blocks):
1. version 1 of the chain (the bank without the index, ``BankKeeperV1``) gets state in
   every module (``World.populate``) and a few more holdings;
2. governance schedules ``bank-v2-holders-index`` (the entry of ``finchain.chain.UPGRADES``);
3. at its height the nodes restart with this version: the block migrates the bank (1 -> 2),
   every holding is filed under its asset, both nodes compute the same app hash;
4. afterwards the index follows every change (a new holder appears, an emptied one leaves);
5. replay (version 1, then version 2 from the upgrade height) reproduces every app hash.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from finchain import chain
from finchain.chain import UPGRADES, FinchainApp
from finchain.client import builders as b
from finchain.codec import RawMsg
from finchain.core.collections import STR, IndexedMap, Pair
from finchain.core.kv import KVReader
from finchain.core.module import Invariant
from finchain.modules.bank.keeper import BankKeeper
from finchain.modules.bank.keys import STORE, Holding
from finchain.modules.bank.module import BankModule
from finchain.node.home import Home
from finchain.node.replay import replay
from tests.app.world import A, World

UPGRADE = "bank-v2-holders-index"
V1_BALANCES: IndexedMap[tuple[str, str], tuple[int, int]] = IndexedMap(
    STORE, b"bal/", Pair(STR, STR), Holding(), {}
)
"""The version-1 layout: the same holdings, no index."""
INDEX_PREFIX = STORE.prefix + b"holder/"


class BankKeeperV1(BankKeeper):
    _balances = V1_BALANCES


class BankModuleV1(BankModule):
    consensus_version = 1

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [i for i in super().invariants() if i[0] != "bank/holders-index"]


@contextmanager
def _bank_v1() -> Iterator[None]:
    """The composition root builds the version-1 bank while the app is constructed."""
    saved = chain.BankKeeper, chain.BankModule
    chain.BankKeeper, chain.BankModule = BankKeeperV1, BankModuleV1  # type: ignore[misc]
    try:
        yield
    finally:
        chain.BankKeeper, chain.BankModule = saved  # type: ignore[misc]


def app_v1(data_dir: Path, *, keep_recent: int = 0) -> FinchainApp:
    with _bank_v1():
        return FinchainApp(data_dir, keep_recent=keep_recent, upgrades={})


def app_v2(data_dir: Path, *, keep_recent: int = 0) -> FinchainApp:
    return FinchainApp(data_dir, keep_recent=keep_recent)


def holders_by_index(app: FinchainApp) -> dict[str, list[tuple[str, int]]]:
    reader: KVReader = app.state
    return {
        asset.symbol: [(a, bal) for a, bal, _ in app.bank.holders(reader, asset.symbol)]
        for asset in app.bank.iterate_assets(reader)
    }


def holders_by_scan(app: FinchainApp) -> dict[str, list[tuple[str, int]]]:
    found: dict[str, list[tuple[str, int]]] = {
        a.symbol: [] for a in app.bank.iterate_assets(app.state)
    }
    for account, symbol, balance, _ in app.bank.all_holdings(app.state):
        found[symbol].append((account, balance))
    return {symbol: sorted(rows) for symbol, rows in found.items()}


def test_the_upgrade_indexes_existing_holdings_and_later_blocks_keep_the_index(
    tmp_path: Path,
) -> None:
    assert UPGRADE in UPGRADES
    world = World(tmp_path, app_v1, nodes=2)
    world.populate()
    world.block(world.tx(2, b.mint("USD", A[6], 77)), world.tx(3, b.transfer((A[1], "USD", 5))))
    assert list(world.app.state.iterate(INDEX_PREFIX)) == []  # version 1: no index
    height = world.app.height + 8
    world.govern(
        RawMsg("upgrade/cancel", {}),
        RawMsg("upgrade/schedule", {"name": UPGRADE, "height": height, "info": "holders"}),
    )
    while world.app.height < height - 1:
        world.block(world.tx(4, b.transfer((A[5], "CNY", 1))))
    scan_before = holders_by_scan(world.app)  # type: ignore[arg-type]

    world.net.reopen(app_v2)
    response = world.net.block()
    applied = [dict(e.attributes) for e in response.events if e.type == "upgrade_applied"]
    assert applied == [{"name": UPGRADE, "height": str(height), "modules": "bank:1->2"}]
    app: FinchainApp = world.app  # type: ignore[assignment]
    assert holders_by_index(app) == holders_by_scan(app) == scan_before
    assert sum(len(v) for v in scan_before.values()) >= 8
    assert app.check_invariants() == []

    world.block(
        world.tx(3, b.transfer((A[2], "USD", 4_995))),  # A3 empties its USD holding
        world.tx(6, b.transfer((A[5], "USD", 77))),  # A6 too; A5 is new to USD
    )
    usd = dict(holders_by_index(app)["USD"])
    assert A[3] not in usd and A[6] not in usd and usd[A[5]] == 77
    assert holders_by_index(app) == holders_by_scan(app)
    assert app.check_invariants() == []

    last = app.height
    world.net.close()
    home = tmp_path / "home0"
    home.mkdir()
    world.genesis.save(home / "genesis.json")
    (home / "data").symlink_to(world.net.dirs[0])
    steps = list(replay(Home(home), tmp_path / "replay", versions=((1, app_v1), (height, app_v2))))
    assert len(steps) == last
    assert all(step.ok for step in steps), [s.height for s in steps if not s.ok]
