"""A fixed scenario's app hashes, pinned: any change of consensus bytes shows up here first.

Keys come from fixed secrets and Ed25519 signs deterministically, so every block
of the scenario is the same bytes on every run and machine; the app hash after
each block is a function of those bytes and the rules. A change that moves these
hashes changes what every node computes: it needs a new consensus version and a
migration (docs/OPERATIONS.md, "Upgrades"), or, before a release, a deliberate
re-pin with the reason in the commit.

Pinned after issue 11 (state in typed collections: new key layouts in every module,
``app/versions``, genesis counters). Before it, the same scenario ended at
2708f2a3…2920 (intl) and 844de148…33f3 (gm). Re-pinned in issue 14: the compliance
module joins ``app/versions`` (its genesis writes nothing else) and every executed
transfer, mint and burn updates its day/year/window aggregates; before, b50145a0…7006
(intl) and d5c10993…80ba (gm). The aml module joins ``app/versions`` too (the scenario
writes no aml state).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from finchain.app import FinalizeBlockRequest
from finchain.chain import FinchainApp
from finchain.client import builders as b
from finchain.client import evidence_builders as eb
from finchain.client import identity_builders as ib
from finchain.client.builders import Signer
from finchain.crypto import private_key_from_bytes
from finchain.modules.accounts.types import account_id
from tests.harness import BLOCK_NS, CHAIN_ID, make_genesis

GOLDEN = {
    "intl": "414511584b665597715afb40f3970f1136257a5f25d8846201d8e963a70ced4a",
    "gm": "69ba8f8bf0346c24da3f57f3ae21a04d1457f46c36dd0e8a27c055d5fb8bd91c",
}


def scenario(path: Path, suite: str) -> list[str]:
    keys = [private_key_from_bytes("ed25519", bytes([n]) * 32) for n in range(1, 4)]
    genesis = make_genesis(keys, suite=suite, balances=[(n, "CNY", 1_000_000) for n in (1, 2, 3)])
    app = FinchainApp(path)
    app.init_chain(genesis)
    signers = [Signer(CHAIN_ID, account_id(n), [("k1", k)]) for n, k in enumerate(keys, 1)]
    new_key = private_key_from_bytes("ed25519", bytes([9]) * 32)
    blocks = [
        [
            signers[0].sign(b.transfer((account_id(2), "CNY", 250), (account_id(3), "CNY", 1))),
            signers[1].sign(b.create_asset("USD", "Dollar", 2, max_supply=10**9)),
            signers[2].sign(ib.create_did([ib.did_key("k1", keys[2])])),
        ],
        [
            signers[0].sign(b.create_account(b.policy([b.key_of("k1", new_key)]))),
            signers[1].sign(b.mint("USD", account_id(1), 500)),
            signers[2].sign(eb.record("sha256", hashlib.sha256(b"doc").digest(), kind="contract")),
        ],
        [signers[0].sign(b.transfer((account_id(3), "USD", 5)))],
    ]
    hashes = [app.info().last_app_hash.hex()]
    time_ns = genesis.time_ns
    for height, txs in enumerate(blocks, 1):
        time_ns += BLOCK_NS
        response = app.finalize_block(FinalizeBlockRequest(height, time_ns, txs))
        assert all(r.ok for r in response.tx_results), [r.log for r in response.tx_results]
        app.commit()
        hashes.append(response.app_hash.hex())
    app.close()
    return hashes


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_the_fixed_scenario_reaches_the_pinned_app_hash(tmp_path: Path, suite: str) -> None:
    hashes = scenario(tmp_path / "db", suite)
    assert hashes == scenario(tmp_path / "again", suite), "the scenario is not deterministic"
    assert hashes[-1] == GOLDEN[suite], f"app hashes moved: {hashes}"
