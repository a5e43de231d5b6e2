"""Multilateral netting (issue 13): 100,000 obligations among 100 members, one close block.

In-process, one thread, like ``bench_app``: members submit their obligations in
earlier blocks (1,000 per message, one message per transaction, signatures
verified), then the cycle's cut-off block, which holds no transaction, computes
every net from the stored obligations, applies the shortfall rule and settles
the nets through the bank. The timed span is that block's ``finalize_block`` and
its ``commit`` (Merkle update and fsynced RocksDB write). With ``--short`` a
quarter of the members hold too little, so the shortfall rule removes
obligations too; with ``--broke`` no member holds anything, so the rule removes
every obligation (its worst case). Prints one line per run:
``obligations=… members=… close_ms=… transfers=… removed=…``.

Run::

    .venv/bin/python benchmarks/bench_netting.py               # 3 runs
    .venv/bin/python benchmarks/bench_netting.py --short --runs 1
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
from finchain.client import netting_builders as nb
from finchain.client.builders import Signer
from finchain.crypto import generate_private_key
from finchain.modules.accounts.types import account_id
from finchain.modules.netting.types import MAX_OBLIGATIONS_PER_MSG
from finchain.node.runtime import tune_gc

TXS_PER_BLOCK = 10


def run(*, members: int, obligations: int, short: bool, seed: int, broke: bool = False) -> float:
    workdir = Path(tempfile.mkdtemp(prefix="finchain-bench-netting-"))
    try:
        rng = random.Random(seed)
        keys = [generate_private_key("ed25519") for _ in range(members + 1)]
        funds = [
            (i, "CNY", rng.randint(0, 10**6) if short and i % 4 == 0 else 10**12)
            for i in range(1, members + 1)
            if not broke
        ]
        genesis = make_genesis(keys, balances=funds)
        app = FinchainApp(workdir / "db")
        app.init_chain(genesis)
        signers = [
            Signer(CHAIN_ID, account_id(i), [("k1", k)]) for i, k in enumerate(keys, start=1)
        ]
        ids = [account_id(i) for i in range(1, members + 1)]
        per_tx = MAX_OBLIGATIONS_PER_MSG
        n_txs = -(-obligations // per_tx)
        submit_blocks = -(-n_txs // TXS_PER_BLOCK)
        close = 2 + submit_blocks
        txs = []
        for t in range(n_txs):
            payer = t % members
            count = min(per_tx, obligations - t * per_tx)
            items = []
            for _ in range(count):
                payee = (payer + 1 + rng.randrange(members - 1)) % members
                items.append((ids[payee], rng.randint(1, 10**6)))
            txs.append(signers[payer].sign(nb.submit(1, "CNY", items)))
        blocks = [[signers[members].sign(nb.open_cycle("CNY", ids, close_height=close))]]
        blocks += [txs[i : i + TXS_PER_BLOCK] for i in range(0, n_txs, TXS_PER_BLOCK)]
        t_ns = genesis.time_ns
        for height, block in enumerate(blocks, start=1):
            t_ns += 1_000_000_000
            response = app.finalize_block(FinalizeBlockRequest(height, t_ns, block))
            app.commit()
            failed = [r for r in response.tx_results if not r.ok]
            assert not failed, failed[0].log
        assert app.height == close - 1
        tune_gc()
        start = time.perf_counter()
        app.finalize_block(FinalizeBlockRequest(close, t_ns + 1_000_000_000, []))
        app.commit()
        elapsed = time.perf_counter() - start
        report = app.netting.report(app.state, 1)
        assert report is not None and report.settled + report.removed == obligations
        print(
            f"obligations={obligations} members={members} close_ms={elapsed * 1000:.0f} "
            f"transfers={report.transfers} removed={report.removed} gross={report.gross} "
            f"net={report.net} saved={report.saved}",
            flush=True,
        )
        app.close()
        return elapsed
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--obligations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--short", action="store_true", help="a quarter of the members short")
    parser.add_argument(
        "--broke", action="store_true", help="no member holds anything (the rule's worst case)"
    )
    args = parser.parse_args(argv)
    for i in range(args.runs):
        run(
            members=args.members,
            obligations=args.obligations,
            short=args.short,
            seed=i,
            broke=args.broke,
        )


if __name__ == "__main__":
    main()
