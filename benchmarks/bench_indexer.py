"""Indexing speed: blocks/s and rows/s of ``finchain.indexer`` from a real solo node's API.

Starts ``finchain node`` in a temp home (a block every 20 ms), commits TXS transfers in
batches, reads every block over the HTTP API (timed: the fetch), then writes them into
each database given (timed apart: the write), with the code ``finchain index run`` runs
(one transaction per BATCH blocks). Prints one JSON line per step. Not part of
``make bench`` (it needs a PostgreSQL server for the second figure):

    .venv/bin/python benchmarks/bench_indexer.py --txs 20000 \\
        --db sqlite:///tmp/bench-index.db --db postgresql://postgres@127.0.0.1:5439/bench

A SQLite file or PostgreSQL database that already holds an index is emptied first.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from finchain.client import Client
from finchain.client.builders import transfer
from finchain.crypto import Keystore
from finchain.devchain.setup import DemoAsset, HomeSpec, init_home
from finchain.indexer import ChainTip, HttpSource, Indexer, connect
from finchain.node.home import PASSPHRASE_ENV, Home

PASSPHRASE = "bench indexer passphrase"
ACCOUNTS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load(url: str, ids: dict[str, str], keys: Keystore, txs: int) -> None:
    names = [n for n in ids if n != "operator"]
    with Client(url, timeout=60) as client:
        signers = [client.signer(ids[n], [("k1", keys.load(n, PASSPHRASE))]) for n in names]
        sent = 0
        while sent < txs:
            raws = [
                s.sign(transfer((ids[names[(i + 1) % len(names)]], "CNY", 1 + sent % 997)))
                for i, s in enumerate(signers)
                for _ in range(25)
            ]
            client.submit_batch(raws, mode="commit", timeout=30)
            sent += len(raws)


class Memory:
    """The fetched blocks as a BlockSource, so the write is timed apart from the fetch."""

    def __init__(self, blocks: list[dict[str, Any]], tip: ChainTip) -> None:
        self.blocks, self._tip = blocks, tip

    def tip(self) -> ChainTip:
        return self._tip

    def block(self, height: int) -> dict[str, Any]:
        return self.blocks[height - 1]

    def close(self) -> None:
        pass


def empty(url: str) -> None:
    db = connect(url)
    for table in ("indexer_state", "blocks", "txs", "events", "event_attributes", "transfers",
                  "alerts", "interventions", "account_institutions"):  # fmt: skip
        db.execute(f"DELETE FROM {table}")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=200, help="blocks per transaction")
    parser.add_argument("--db", action="append", required=True, help="index URL (repeatable)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-indexer-") as tmp:
        port = free_port()
        home = Home(Path(tmp) / "home")
        config = f'[api]\nlisten = "127.0.0.1:{port}"\n\n[solo]\nblock_interval = 0.02\n'
        ids = init_home(
            home,
            HomeSpec(
                chain_id="bench-indexer",
                suite="intl",
                passphrase=PASSPHRASE,
                account_names=("operator", *(f"a{i}" for i in range(ACCOUNTS))),
                assets=(DemoAsset("CNY", "Yuan", 2, 10**12),),
                config_text=config,
                scrypt_n=2**4,
            ),
        )
        finchain = str(Path(sys.executable).parent / "finchain")
        node = subprocess.Popen(
            [finchain, "node", "--home", str(home.path)],
            env={**os.environ, PASSPHRASE_ENV: PASSPHRASE},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            load(url, ids, home.keystore(), args.txs)
            source = HttpSource(url)
            top = source.tip().height
            began = time.perf_counter()
            blocks = [source.block(h) for h in range(1, top + 1)]
            fetched = time.perf_counter() - began
            tip = source.tip()
            source.close()
            print(json.dumps({
                "step": "fetch over HTTP", "blocks": top, "seconds": round(fetched, 2),
                "blocks_per_s": round(top / fetched),
            }))  # fmt: skip
            for db_url in args.db:
                empty(db_url)
                db = connect(db_url)
                indexer = Indexer(db, Memory(blocks, tip), batch=args.batch)
                began = time.perf_counter()
                indexer.catch_up(until=top)
                took = time.perf_counter() - began
                print(json.dumps({
                    "step": "write", "db": db.dialect, "blocks": indexer.blocks_written,
                    "rows": indexer.rows_written, "seconds": round(took, 2),
                    "blocks_per_s": round(indexer.blocks_written / took),
                    "rows_per_s": round(indexer.rows_written / took),
                }))  # fmt: skip
                db.close()
        finally:
            node.terminate()
            node.wait(timeout=60)


if __name__ == "__main__":
    main()
