"""Settlement throughput: two-leg DvP instructions through finalize_block + commit, in-process.

No engine, no HTTP, one thread. Every block holds 1,000 ``settlement/settle``
transactions between distinct accounts: the seller sends the transaction and
delivers BOND, the buyer endorses the instruction and pays CNY. Both signatures
(the transaction's and the endorsement's) are verified inside finalize_block
(no check_tx warms the cache), both legs move through the bank, and each block
ends with the Merkle update and an atomic, fsynced RocksDB commit. Prints
``settlements=… blocks=… per_s=… ms_per_block=… per_cpu_s=…`` per run: ``per_s`` by
the wall clock, ``per_cpu_s`` by this process's CPU time (what the same run gives on
a core of its own when the machine is shared).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.harness import CHAIN_ID, make_genesis

from finchain.app import FinalizeBlockRequest
from finchain.chain import FinchainApp
from finchain.client import settlement_builders as sb
from finchain.client.builders import Signer
from finchain.crypto import generate_private_key
from finchain.modules.accounts.types import account_id
from finchain.node.runtime import tune_gc

BLOCK_TXS = 1_000


def run(*, accounts: int, blocks: int, profile: bool = False) -> float:
    workdir = Path(tempfile.mkdtemp(prefix="finchain-bench-settle-"))
    try:
        keys = [generate_private_key("ed25519") for _ in range(accounts)]
        genesis = make_genesis(keys, balances=[(i, "CNY", 10**12) for i in range(1, accounts + 1)])
        bank = genesis.app_state["bank"]
        bank["assets"].append(
            {**bank["assets"][0], "symbol": "BOND", "name": "Bond", "decimals": 0}
        )
        bank["balances"] += [
            {"account": account_id(i), "asset": "BOND", "amount": str(10**9)}
            for i in range(1, accounts + 1)
        ]
        app = FinchainApp(workdir / "db")
        app.init_chain(genesis)
        signers = [
            Signer(CHAIN_ID, account_id(i), [("k1", k)]) for i, k in enumerate(keys, start=1)
        ]
        rng = random.Random(7)
        prepared = []
        for height in range(1, blocks + 1):
            txs = []
            for n in range(BLOCK_TXS):
                s = rng.randrange(accounts)
                r = (s + 1 + rng.randrange(accounts - 1)) % accounts
                seller, buyer = signers[s], signers[r]
                deal = sb.instruction(
                    f"B{height}-{n}",
                    "dvp",
                    [
                        sb.leg(seller.account, buyer.account, "BOND", rng.randint(1, 100)),
                        sb.leg(buyer.account, seller.account, "CNY", rng.randint(1, 10**6)),
                    ],
                    deadline_height=blocks + 10,
                )
                txs.append(seller.sign(sb.settle(deal, [sb.endorse(CHAIN_ID, deal, buyer)])))
            prepared.append(txs)
        t_ns = genesis.time_ns
        tune_gc()  # as the node process does at start-up
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        start, start_cpu = time.perf_counter(), time.process_time()
        for height, txs in enumerate(prepared, start=1):
            t_ns += 1_000_000_000
            response = app.finalize_block(FinalizeBlockRequest(height, t_ns, txs))
            app.commit()
            failed = [r for r in response.tx_results if not r.ok]
            assert not failed, failed[0].log
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - start_cpu
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        settled = sum(1 for s in app.settlement.all_settlements(app.state) if s.status == "settled")
        assert settled == blocks * BLOCK_TXS, settled
        total = blocks * BLOCK_TXS
        rate = total / elapsed
        print(
            f"settlements={total} blocks={blocks} accounts={accounts} "
            f"per_s={rate:.0f} ms_per_block={elapsed / blocks * 1000:.1f} "
            f"per_cpu_s={total / cpu:.0f}",
            flush=True,
        )
        app.close()
        return rate
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    rates = [
        run(accounts=args.accounts, blocks=args.blocks, profile=args.profile)
        for _ in range(args.runs)
    ]
    print(f"two-leg DvP settlements/s over {args.runs} runs: median {statistics.median(rates):.0f}")


if __name__ == "__main__":
    main()
