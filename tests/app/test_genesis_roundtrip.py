"""The whole app exported at height H, imported into a fresh chain: the same state, entry by entry.

Steps:
1. a chain gets state in every module (tests/app/world.py) and runs to height H;
2. ``export()`` writes it as a genesis document (``initial_height`` H + 1), saved as
   JSON and loaded back, as an operator would move it;
3. a fresh chain inits from it: every state entry is equal to the exported chain's,
   except the chain's own identity (``app/chain`` names its genesis document), and
   the roots of the two states without that entry are equal;
4. the imported chain continues at height H + 1 with a transfer; exporting it again at
   once gives the same ``app_state`` as the first export.
"""

from __future__ import annotations

from pathlib import Path

from finchain.app import FinalizeBlockRequest, Genesis
from finchain.app.application import Application
from finchain.app.chainstate import CHAIN
from finchain.chain import FinchainApp
from finchain.client import builders as b
from finchain.store import Database, StateStore
from tests.app.world import A, World


def entries(app: Application) -> dict[bytes, bytes]:
    return dict(app.state.iterate(b""))


def root_of(values: dict[bytes, bytes], path: Path, hash_name: str) -> bytes:
    """The state root of ``values`` alone, computed in a scratch store."""
    with Database(path) as db:
        store = StateStore(db, hash_name=hash_name)
        return store.apply(0, dict(values))


def test_export_then_import_gives_the_same_state(tmp_path: Path) -> None:
    world = World(tmp_path / "source", FinchainApp)
    world.populate()
    world.block(world.tx(3, b.transfer((A[2], "USD", 7))))
    source = world.app
    height = source.height
    exported = source.export()
    assert exported.initial_height == height + 1
    exported.save(tmp_path / "genesis.json")
    genesis = Genesis.load(tmp_path / "genesis.json")

    target = FinchainApp(tmp_path / "target")
    target.init_chain(genesis)
    assert target.height == height and target.info().last_height == 0
    before, after = entries(source), entries(target)
    identity = CHAIN.key
    assert before.pop(identity) != after.pop(identity)
    missing = sorted(before.keys() - after.keys())
    extra = sorted(after.keys() - before.keys())
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    assert not missing and not extra and not changed, (missing[:5], extra[:5], changed[:5])
    assert len(before) > 50, "the world must hold state in every module"
    prefixes = {key.split(b"/", 1)[0] for key in before}
    assert prefixes >= {
        b"accounts",
        b"bank",
        b"gov",
        b"identity",
        b"cred",
        b"evidence",
        b"datarights",
        b"upgrade",
        b"app",
        b"securities",
        b"settlement",
        b"escrow",
        b"receivables",
        b"netting",
        b"lending",
    }, prefixes
    hash_name = source.hash_name
    assert root_of(before, tmp_path / "r1", hash_name) == root_of(after, tmp_path / "r2", hash_name)
    assert target.check_invariants() == []

    pay = world.tx(3, b.transfer((A[2], "USD", 1)))  # the source's nonce is the target's
    assert target.export().app_state == exported.app_state
    response = target.finalize_block(
        FinalizeBlockRequest(height + 1, genesis.time_ns + 1_000_000_000, [pay])
    )
    assert response.tx_results[0].ok, response.tx_results[0].log
    target.commit()
    assert target.height == height + 1 and target.info().last_height == height + 1
    target.close()
