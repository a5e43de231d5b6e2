"""A chain with state in every module crosses an upgrade that changes one module's key layout.

Steps (three in-process nodes fed the same blocks, as an engine feeds them):
1. version 1 of the chain (with ``tallies`` v1, tests/upgrademodule.py) gets state in
   every module and some tallies;
2. governance schedules upgrade ``tallies-v2`` at height H (an ``exec`` proposal);
3. version 2 started early refuses the state (``upgrade:3``); version 1 runs to H - 1;
4. at H every version-1 node halts before executing anything (``upgrade:2``);
5. every node restarts with version 2: block H migrates ``tallies`` to its new layout
   and every node computes the same app hash; later blocks run version 2 rules;
6. a version 1 node started after the upgrade refuses the state (``upgrade:3``);
7. replay (version 1 to H - 1, version 2 from H) reproduces every recorded app hash.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from finchain.app import FinalizeBlockRequest
from finchain.app.upgrade import ErrUpgradeNeeded, ErrVersionMismatch
from finchain.codec import RawMsg
from finchain.errors import FinchainError
from finchain.node.home import Home
from finchain.node.replay import replay
from tests.app.world import A, World
from tests.upgrademodule import STORE, UPGRADE, V1_COUNTS, MsgBump, app_v1, app_v2


def bump(world: World, *who: int) -> None:
    world.block(*(world.tx(n, MsgBump().to_raw()) for n in who))


def tallies(world: World, account: str) -> dict[str, int]:
    value: dict[str, int] = world.query("tallies/of", account=account)
    return value


def test_a_chain_crosses_an_upgrade_that_changes_a_module_layout(tmp_path: Path) -> None:
    world = World(tmp_path, app_v1, nodes=3)
    world.populate()
    bump(world, 1, 2, 6)
    bump(world, 1)
    assert tallies(world, A[1]) == {"count": 2}
    height = world.app.height + 8
    world.govern(
        RawMsg("upgrade/cancel", {}),  # populate left a far-future plan
        RawMsg("upgrade/schedule", {"name": UPGRADE, "height": height, "info": "v2"}),
    )
    assert world.query("upgrade/plan") == {"name": UPGRADE, "height": height, "info": "v2"}

    with pytest.raises(FinchainError) as early:
        world.net.reopen(app_v2)
    assert ErrVersionMismatch.matches(early.value) and "tallies 1 -> 2" in early.value.message
    world.net.reopen(app_v1)

    while world.app.height < height - 1:
        bump(world, 2)
    before = [app.info().last_app_hash for app in world.net.apps]
    for app in world.net.apps:
        with pytest.raises(FinchainError) as halted:
            app.finalize_block(FinalizeBlockRequest(height, world.net.time_ns + 1, []))
        assert ErrUpgradeNeeded.matches(halted.value)
        assert f'UPGRADE "{UPGRADE}" NEEDED at height {height}' in halted.value.message
    assert [app.info().last_app_hash for app in world.net.apps] == before
    assert all(app.height == height - 1 for app in world.net.apps)
    counts_before = {acc: tallies(world, acc)["count"] for acc in (A[1], A[2], A[6])}
    layout_before = sum(1 for _ in V1_COUNTS.iterate(world.app.state))

    world.net.reopen(app_v2)
    response = world.net.block(world.tx(6, MsgBump().to_raw()))
    assert all(r.ok for r in response.tx_results)
    applied = [dict(e.attributes) for e in response.events if e.type == "upgrade_applied"]
    assert applied == [{"name": UPGRADE, "height": str(height), "modules": "tallies:1->2"}]
    state = world.app.state
    assert layout_before == 3 and list(V1_COUNTS.iterate(state)) == []
    assert all(key.startswith(STORE.prefix + b"c/") for key, _ in state.iterate(STORE.prefix))
    assert tallies(world, A[1]) == {"count": counts_before[A[1]], "since": height}
    assert tallies(world, A[6]) == {"count": counts_before[A[6]] + 1, "since": height}
    assert world.query("upgrade/plan") is None
    assert world.query("upgrade/applied") == {"applied": [{"name": UPGRADE, "height": height}]}
    bump(world, 1, 2)
    assert world.app.check_invariants() == []

    world.net.close()
    with pytest.raises(FinchainError) as late:
        app_v1(world.net.dirs[0])
    assert ErrVersionMismatch.matches(late.value)

    _write_genesis(world, tmp_path / "home0")
    steps = list(
        replay(
            Home(tmp_path / "home0"), tmp_path / "replay", versions=((1, app_v1), (height, app_v2))
        )
    )
    assert len(steps) == height + 1
    assert all(step.ok for step in steps), [s.height for s in steps if not s.ok]


def _write_genesis(world: World, home: Path) -> None:
    """A node home around node 0's data directory, for the replay tool."""
    home.mkdir()
    world.genesis.save(home / "genesis.json")
    (home / "data").symlink_to(world.net.dirs[0])
