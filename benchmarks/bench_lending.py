"""Lending due work: N active loans falling due in one block, against a block with none due.

Shows that ``end_block`` work is proportional to what is due (the wake-up index is
read only up to the block time): an empty block costs the same with N loans open,
and the due block collects every instalment (transfer, collateral released, loan
closed), committed to disk. Not part of ``make bench``; run it alone::

    .venv/bin/python benchmarks/bench_lending.py --loans 1000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.modules.test_governance import A
from tests.modules.test_lending import BORROWER, LENDER, S, make_world

from finchain.client import builders as b
from finchain.client import lending_builders as lb

PER_TX = 32  # the most messages a transaction may carry


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=1000)
    n = parser.parse_args(argv).loans
    scratch = Path(tempfile.mkdtemp(prefix="bench-lending-"))
    try:
        run(n, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(n: int, scratch: Path) -> None:
    world = make_world(scratch)
    world.ok(1, b.mint("GOLD", A[BORROWER], n * 1000))
    due = world.now + 600 * S
    offer = lb.offer(
        A[BORROWER], "CNY", 10_000, rate_bps=500, due_times=[due], collateral_asset="GOLD",
        collateral=1000, max_ltv_bps=6000, margin_ltv_bps=8000, margin_cure_s=10, grace_s=5,
    )  # fmt: skip
    for who, msgs in ((LENDER, [offer] * n), (BORROWER, [lb.accept(i) for i in range(1, n + 1)])):
        signer = world.chain.signer(who)
        signer.nonce = world.app.accounts.nonce(world.app.state, A[who])
        txs = [signer.sign(*msgs[k : k + PER_TX]) for k in range(0, n, PER_TX)]
        assert all(r.ok for r in world.gov.block(*txs).tx_results)
    start = time.perf_counter()
    world.gov.block()
    idle = time.perf_counter() - start
    world.chain.time_ns = due - S
    start = time.perf_counter()
    response = world.gov.block()
    busy = time.perf_counter() - start
    repaid = sum(1 for e in response.events if e.type == "loan_repaid")
    assert repaid == n, repaid
    print(f"block with {n} active loans, none due: {idle * 1000:.1f} ms")
    print(f"block with {n} loans due: {busy * 1000:.0f} ms, {n / busy:,.0f} collections/s")
    world.app.close()


if __name__ == "__main__":
    main()
