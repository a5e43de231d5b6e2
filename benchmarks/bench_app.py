"""Application throughput: signed transfers through finalize_block + commit, in-process.

No engine, no HTTP, one thread. Every block holds 1,000 transfers between
distinct accounts; signatures are verified inside finalize_block (the check_tx
cache is cold: no check_tx runs), and each block ends with the Merkle update and
an atomic, fsynced RocksDB commit. Prints one line per scheme:
``scheme=… txs=… blocks=… tps=… ms_per_block=…``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.harness import CHAIN_ID, make_genesis

from finchain.app import FinalizeBlockRequest
from finchain.chain import FinchainApp
from finchain.client.builders import Signer, transfer
from finchain.crypto import generate_private_key
from finchain.modules.accounts.types import account_id
from finchain.node.runtime import tune_gc

BLOCK_TXS = 1_000


def run(scheme: str, suite: str, *, accounts: int, blocks: int, profile: bool = False) -> float:
    workdir = Path(tempfile.mkdtemp(prefix="finchain-bench-"))
    try:
        keys = [generate_private_key(scheme) for _ in range(accounts)]
        genesis = make_genesis(
            keys, suite=suite, balances=[(i, "CNY", 10**12) for i in range(1, accounts + 1)]
        )
        app = FinchainApp(workdir / "db")
        app.init_chain(genesis)
        signers = [
            Signer(CHAIN_ID, account_id(i), [("k1", k)]) for i, k in enumerate(keys, start=1)
        ]
        rng = random.Random(7)
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
        tune_gc()  # as the node process does at start-up
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        start = time.perf_counter()
        for height, txs in enumerate(prepared, start=1):
            t_ns += 1_000_000_000
            response = app.finalize_block(FinalizeBlockRequest(height, t_ns, txs))
            app.commit()
            failed = [r for r in response.tx_results if not r.ok]
            assert not failed, failed[0].log
        elapsed = time.perf_counter() - start
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        total = blocks * BLOCK_TXS
        tps = total / elapsed
        print(
            f"scheme={scheme} suite={suite} accounts={accounts} txs={total} blocks={blocks} "
            f"tps={tps:.0f} ms_per_block={elapsed / blocks * 1000:.1f}"
        )
        app.close()
        return tps
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--scheme", choices=["ed25519", "sm2", "both"], default="both")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    if args.scheme in ("ed25519", "both"):
        run("ed25519", "intl", accounts=args.accounts, blocks=args.blocks, profile=args.profile)
    if args.scheme in ("sm2", "both"):
        run(
            "sm2",
            "gm",
            accounts=args.accounts,
            blocks=max(args.blocks // 2, 2),
            profile=args.profile,
        )


if __name__ == "__main__":
    main()
