"""Receivables throughput, in-process: register, confirm, and collection at maturity.

No engine, no HTTP, one thread, signatures verified in finalize_block, every
block committed to RocksDB. One supplier registers ``--invoices`` invoices on
one buyer in one block, the buyer confirms them all in the next, and they all
fall due in the same later block, where ``end_block`` collects every one. The
block after that shows the cost of a block with nothing due (the maturity
schedule is read from its front, never scanned). Prints one line.

Run::

    .venv/bin/python benchmarks/bench_receivables.py --invoices 2000
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.harness import BLOCK_NS, CHAIN_ID, make_genesis

from finchain.app import FinalizeBlockRequest
from finchain.chain import FinchainApp
from finchain.client import receivables_builders as rb
from finchain.client.builders import Signer
from finchain.crypto import private_key_from_bytes
from finchain.modules.accounts.types import account_id


def run(invoices: int) -> str:
    workdir = Path(tempfile.mkdtemp(prefix="finchain-bench-recv-"))
    try:
        keys = [private_key_from_bytes("ed25519", bytes([n]) * 32) for n in (1, 2)]
        genesis = make_genesis(keys, balances=[(n, "CNY", 10**15) for n in (1, 2)])
        app = FinchainApp(workdir / "db")
        app.init_chain(genesis)
        supplier, buyer = (
            Signer(CHAIN_ID, account_id(n), [("k1", k)]) for n, k in enumerate(keys, 1)
        )
        now = genesis.time_ns

        def block(txs: list[bytes]) -> tuple[float, int]:
            nonlocal now
            now += BLOCK_NS
            started = time.perf_counter()
            response = app.finalize_block(FinalizeBlockRequest(app.height + 1, now, txs))
            app.commit()
            elapsed = time.perf_counter() - started
            assert all(r.ok for r in response.tx_results)
            return elapsed, sum(1 for e in response.events if e.type == "invoice_paid")

        maturity = now + 4 * BLOCK_NS
        registers = [
            supplier.sign(
                rb.register(
                    account_id(2),
                    "CNY",
                    100_00,
                    maturity,
                    "sha256",
                    hashlib.sha256(f"invoice {i}".encode()).digest(),
                    f"INV-{i}",
                )
            )
            for i in range(invoices)
        ]
        confirms = [buyer.sign(rb.confirm(i)) for i in range(1, invoices + 1)]
        register_s, _ = block(registers)
        confirm_s, _ = block(confirms)
        block([])
        collect_s, paid = block([])
        empty_s, _ = block([])
        app.close()
        assert paid == invoices, f"{paid} of {invoices} collected"
        return (
            f"invoices={invoices} register_tps={invoices / register_s:.0f} "
            f"confirm_tps={invoices / confirm_s:.0f} collect_block_s={collect_s:.2f} "
            f"collected={paid} empty_block_ms={empty_s * 1000:.1f}"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=2000)
    args = parser.parse_args(argv)
    print(run(args.invoices), flush=True)


if __name__ == "__main__":
    main()
