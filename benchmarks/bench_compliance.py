"""Compliance cost: in-process transfer throughput with 20 active rules vs none, one run.

The same signed transfers (blocks of 1,000, distinct random accounts, Ed25519) go
through ``finalize_block`` + ``commit`` on two chains: one with no rule set, one
whose genesis activates 20 rules (four each of the issue's shapes: tier limit,
large-value report, structuring, sanctions, verified identity; none fires, so every
transfer executes). Both chains keep the day/year/window aggregates (the module
always does). The runs alternate (free, ruled, free, ruled, …) so that machine
noise hits both; the best of each side is compared. Each run is timed twice: wall
clock (what a node delivers) and this process's CPU time (``time.process_time``,
which other processes on a shared machine barely move). Prints one line per run
and ``ratio=…`` (ruled / free throughput; the issue's target is at least 0.80).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.harness import CHAIN_ID, make_genesis

from finchain.app import FinalizeBlockRequest
from finchain.chain import FinchainApp
from finchain.client.builders import Signer, transfer
from finchain.crypto import generate_private_key
from finchain.modules.accounts.types import account_id
from finchain.modules.compliance.types import ACTIVE, Rule, RuleSet
from finchain.node.runtime import tune_gc

BLOCK_TXS = 1_000
YUAN = 100


def twenty_rules() -> list[dict[str, Any]]:
    """Four instances of each shape; thresholds chosen so that none fires on the load."""
    rules: list[dict[str, Any]] = []
    for k in range(4):
        cap = (5_000_000, 10_000_000, 20_000_000, 50_000_000)[k] * YUAN
        rules.append(
            {
                "id": f"tier-limit-{k}",
                "expr": f"sender.kyc_tier < {k % 3 + 1} && move.amount > {cap}",
                "action": "deny",
                "reason": "above the tier's per-payment limit",
            }
        )
        report = (50_000, 200_000, 500_000, 2_000_000)[k] * YUAN * 1000
        rules.append(
            {
                "id": f"large-value-{k}",
                "expr": f"move.amount + sender.day_total >= {report}",
                "action": "flag",
                "reason": "large-value report",
                "report_type": "large_value",
            }
        )
        step = (20_000, 50_000, 100_000, 200_000)[k] * YUAN
        rules.append(
            {
                "id": f"structuring-{k}",
                "expr": f"move.amount < {step} && sender.window_count >= 2"
                f" && sender.window_total + move.amount >= {step * 5 // 2 * 1000}",
                "action": "flag",
                "reason": "structuring",
                "report_type": "structuring",
            }
        )
        rules.append(
            {
                "id": f"sanctions-{k}",
                "expr": "sender.listed || recipient.listed",
                "action": "deny",
                "reason": "a party is on the sanctions list",
            }
        )
        rules.append(
            {
                "id": f"verified-{k}",
                "expr": "asset.regulated"
                f" && !(recipient.verified && recipient.kyc_tier >= {k % 3})",
                "action": "deny",
                "reason": "the recipient is not a verified identity",
            }
        )
    return rules


def run(ruled: bool, *, accounts: int, blocks: int, seed: int) -> tuple[float, float]:
    """(wall-clock tps, CPU-time tps) of one chain."""
    workdir = Path(tempfile.mkdtemp(prefix="finchain-bench-compliance-"))
    try:
        keys = [generate_private_key("ed25519") for _ in range(accounts)]
        genesis = make_genesis(keys, balances=[(i, "CNY", 10**12) for i in range(1, accounts + 1)])
        if ruled:
            rules = tuple(Rule.from_json(r) for r in twenty_rules())
            ruleset = RuleSet(1, account_id(1), rules, ACTIVE, 0)
            genesis.app_state["compliance"] = {"rulesets": [ruleset.to_json()], "active": 1}
        app = FinchainApp(workdir / "db")
        app.init_chain(genesis)
        signers = [Signer(CHAIN_ID, account_id(i), [("k1", k)]) for i, k in enumerate(keys, 1)]
        rng = random.Random(seed)
        prepared = []
        for _ in range(blocks):
            txs = []
            for _ in range(BLOCK_TXS):
                s = rng.randrange(accounts)
                r = (s + 1 + rng.randrange(accounts - 1)) % accounts
                txs.append(
                    signers[s].sign(transfer((account_id(r + 1), "CNY", rng.randint(1, 1000))))
                )
            prepared.append(txs)
        t_ns = genesis.time_ns
        tune_gc()
        start, cpu_start = time.perf_counter(), time.process_time()
        for height, txs in enumerate(prepared, start=1):
            t_ns += 1_000_000_000
            response = app.finalize_block(FinalizeBlockRequest(height, t_ns, txs))
            app.commit()
            failed = [r for r in response.tx_results if not r.ok]
            assert not failed, failed[0].log
            assert response.tx_results[0].info == f"ruleset={int(ruled)}"
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        tps = blocks * BLOCK_TXS / elapsed
        cpu_tps = blocks * BLOCK_TXS / cpu
        label = "20 rules" if ruled else "no rules"
        print(
            f"compliance {label}: accounts={accounts} txs={blocks * BLOCK_TXS} "
            f"tps={tps:.0f} ms_per_block={elapsed / blocks * 1000:.1f} cpu_tps={cpu_tps:.0f}",
            flush=True,
        )
        app.close()
        return tps, cpu_tps
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2, help="alternating pairs of runs")
    args = parser.parse_args(argv)
    free, ruled = [], []
    for round_ in range(args.rounds):
        free.append(run(False, accounts=args.accounts, blocks=args.blocks, seed=round_))
        ruled.append(run(True, accounts=args.accounts, blocks=args.blocks, seed=round_))
    for i, clock in enumerate(("wall", "cpu")):
        best_free = max(r[i] for r in free)
        best_ruled = max(r[i] for r in ruled)
        print(
            f"compliance ({clock}): best no-rules {best_free:.0f} tps, best 20-rules "
            f"{best_ruled:.0f} tps, ratio={best_ruled / best_free:.2f} (target >= 0.80)",
            flush=True,
        )


if __name__ == "__main__":
    main()
