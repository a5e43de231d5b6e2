"""Benchmark of batched anchoring (issue 6): 1,000,000 document hashes, one transaction.

End to end, exactly as ``finchain evidence anchor --hashes FILE --out FILE.jsonl``
runs after hashing: the Merkle tree over the document hashes, the anchoring
``evidence/record`` transaction submitted through the SDK and HTTP API of a
solo node (commit mode: until its block is committed), then one anchor proof
per document written as JSON lines. The documents are random 32-byte hashes
(hashing the files themselves is disk- and size-bound, measured separately
by ``bench_crypto``). The timed span starts with the hash list in memory and
ends when the proof file is closed; a sample of proofs is then verified.

Run::

    .venv/bin/python benchmarks/bench_evidence.py                 # 1,000,000 hashes, sm3
    .venv/bin/python benchmarks/bench_evidence.py --documents 100000 --alg sha256
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from finchain.cli.inprocess import local_chain
from finchain.client import Client, SubmitReceipt
from finchain.node.home import DEV_PASSPHRASE_FILE, Home
from finchain.offchain.anchoring import anchor_hashes, read_jsonl


class TimedClient(Client):
    """The SDK client, timing the anchoring transaction (submit to committed)."""

    tx_seconds = 0.0

    def submit_tx(self, raw: bytes, **kwargs: Any) -> SubmitReceipt:
        started = time.perf_counter()
        try:
            return super().submit_tx(raw, **kwargs)
        finally:
            self.tx_seconds += time.perf_counter() - started


def run(documents: int, alg: str) -> None:
    hashes = [os.urandom(32) for _ in range(documents)]
    tree_done = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "tree":
            tree_done[0] = time.perf_counter()

    with (
        tempfile.TemporaryDirectory(prefix="bench-evidence-") as tmp,
        local_chain(suite="gm" if alg == "sm3" else "intl", instant=True) as chain,
    ):
        passphrase = (chain.home / DEV_PASSPHRASE_FILE).read_text()
        key = Home(chain.home).keystore().load("alice", passphrase)
        out = Path(tmp) / "proofs.jsonl"
        with TimedClient(chain.url, timeout=30.0) as client:
            alice = client.signer(chain.accounts["alice"], [("k1", key)])
            started = time.perf_counter()
            result = anchor_hashes(client, alice, hashes, hash_alg=alg, out=out, progress=progress)
            total = time.perf_counter() - started
        tree = tree_done[0] - started
        size = out.stat().st_size
        wanted = set(random.Random(6).sample(range(documents), min(documents, 1000)))
        checked = 0
        for index, proof in enumerate(read_jsonl(out)):
            if index in wanted:
                assert proof.verify_path() and proof.document_hash == hashes[index]
                checked += 1
        assert checked == len(wanted)
    print(
        f"anchoring {documents:,} {alg} document hashes: {total:.1f} s end to end "
        f"(tree {tree:.1f} s, anchoring tx {client.tx_seconds:.2f} s, proofs "
        f"{total - tree - client.tx_seconds:.1f} s for {size / 1e9:.2f} GB of JSON lines; "
        f"root at height {result.anchor.height}; {checked} sampled proofs verified)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--alg", default="sm3", choices=["sm3", "sha256"])
    args = parser.parse_args(argv)
    run(args.documents, args.alg)


if __name__ == "__main__":
    main()
