"""Transfers through a local CometBFT network: submitted by RPC, committed by BFT consensus.

A ``--validators`` network on 127.0.0.1 (``init_testnet``, the config printed
below). Pre-signed Ed25519 transfers are submitted with ``broadcast_tx_sync``
from ``--lanes`` threads per node (each account's txs stay in one lane, so
nonces arrive in order); a watcher reads every new block from node 0 and
notes when each tx committed. Prints committed tx/s over the whole run and
the submit-to-commit latency percentiles. Measured, never asserted.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.harness import CHAIN_ID, make_genesis

from finchain.client.builders import Signer, transfer
from finchain.crypto import generate_private_key
from finchain.engines.cometbft import processes
from finchain.engines.cometbft.config import ConsensusSettings
from finchain.engines.cometbft.rpc import CometRpc
from finchain.modules.accounts.types import account_id
from finchain.node.cometbft.testnet import init_testnet

SETTINGS = ConsensusSettings(timeout_commit="500ms", timeout_propose="2s", mempool_size=50_000)


def run(
    *, validators: int, txs: int, accounts: int, lanes: int, base_port: int, method: str
) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="fc-bench-"))
    keys = [generate_private_key("ed25519") for _ in range(accounts)]
    app_state = make_genesis(
        keys, balances=[(i, "CNY", 10**12) for i in range(1, accounts + 1)]
    ).app_state
    net = init_testnet(
        workdir,
        validators,
        chain_id=CHAIN_ID,
        app_state=app_state,
        base_port=base_port,
        settings=SETTINGS,
    )
    procs = []
    try:
        for node in net.nodes:
            procs.append(processes.start_abci(node.home))
            procs.append(processes.start_cometbft(node.home))
        rpcs = [CometRpc(n.rpc_url) for n in net.nodes]
        while rpcs[0].height() < 2:
            time.sleep(0.2)
        signers = [Signer(CHAIN_ID, account_id(i), [("k1", k)]) for i, k in enumerate(keys, 1)]
        lane_count = validators * lanes
        lane_txs: list[list[bytes]] = [[] for _ in range(lane_count)]
        for i in range(txs):
            a = i % accounts
            payee = account_id((a + 1) % accounts + 1)
            lane_txs[a % lane_count].append(signers[a].sign(transfer((payee, "CNY", 1))))
        submitted: dict[bytes, float] = {}
        committed: dict[bytes, float] = {}
        rejected = []

        def submit(lane: int) -> None:
            with CometRpc(net.nodes[lane % validators].rpc_url, timeout=60) as rpc:
                for raw in lane_txs[lane]:
                    submitted[hashlib.sha256(raw).digest()] = time.monotonic()
                    answer = rpc.call(method, tx=base64.b64encode(raw).decode())
                    if answer["code"] != 0:
                        rejected.append(answer)

        seen = rpcs[0].height()
        started = time.monotonic()
        threads = [threading.Thread(target=submit, args=(i,)) for i in range(lane_count)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 120 + txs / 200
        while len(committed) < txs - len(rejected) and time.monotonic() < deadline:
            top = rpcs[0].height()
            for height in range(seen + 1, top + 1):
                now = time.monotonic()
                for tx in rpcs[0].block(height)["block"]["data"]["txs"] or []:
                    committed[hashlib.sha256(base64.b64decode(tx)).digest()] = now
            seen = top
            time.sleep(0.05)
        for t in threads:
            t.join()
        end = max(committed.values(), default=started)
        latencies = sorted(committed[h] - submitted[h] for h in committed if h in submitted)
        pct = percentiles(latencies)
        print(
            f"{method} validators={validators} txs={len(committed)}/{txs} rejected={len(rejected)} "
            f"seconds={end - started:.1f} tps={len(committed) / max(end - started, 1e-9):.0f} "
            f"p50={pct[50]:.2f}s p99={pct[99]:.2f}s blocks={seen}"
        )
        print(f"config: {SETTINGS}")
    finally:
        for proc in reversed(procs):
            processes.stop_process(proc)
        shutil.rmtree(workdir, ignore_errors=True)


def percentiles(values: list[float]) -> dict[int, float]:
    """The 50th and 99th percentiles of sorted ``values`` (0 when empty)."""
    if not values:
        return {50: 0.0, 99: 0.0}
    return {p: values[min(len(values) - 1, p * len(values) // 100)] for p in (50, 99)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--validators", type=int, default=4)
    parser.add_argument("--txs", type=int, default=6_000)
    parser.add_argument("--accounts", type=int, default=400)
    parser.add_argument("--lanes", type=int, default=4)
    parser.add_argument("--base-port", type=int, default=27_100)
    parser.add_argument(
        "--method",
        choices=["broadcast_tx_sync", "broadcast_tx_async"],
        default="broadcast_tx_sync",
        help="sync waits for CheckTx per tx; async measures the network, not the client",
    )
    args = parser.parse_args(argv)
    run(
        validators=args.validators,
        txs=args.txs,
        accounts=args.accounts,
        lanes=args.lanes,
        base_port=args.base_port,
        method=args.method,
    )


if __name__ == "__main__":
    main()
