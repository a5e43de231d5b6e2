"""Benchmark of finchain.store: the per-block cost of the authenticated state.

Scenario (the store's share of a block of ~1,000 transfers): a tree already
holding ``--keys`` keys absorbs blocks of ``--writes`` random writes (mostly
updates of existing balances, some new keys, some deletes); each block is timed
through ``apply`` + ``stage`` + ``db.write`` (synced WAL) + ``mark_committed``,
exactly as the application commits. Also measured: ``get`` (hot read path),
``get_at``, ``prove`` and ``verify_proof``, block store staging, tx root.

Run::

    .venv/bin/python benchmarks/bench_store.py                 # defaults: 100k keys, 3,000 writes
    .venv/bin/python benchmarks/bench_store.py --hash sha256 --keep-recent 100
    .venv/bin/python benchmarks/bench_store.py --profile       # pyinstrument of one block
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from finchain.store import BlockStore, Database, StateStore, tx_root, verify_proof


def _key(i: int) -> bytes:
    # module-prefixed like a bank balance: prefix ‖ 20-byte account ‖ asset
    return b"bank/bal/" + i.to_bytes(20, "big") + b"/CNY"


def _value(rng: random.Random) -> bytes:
    return rng.getrandbits(64).to_bytes(8, "big")


def _ms(xs: list[float]) -> str:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, int(len(xs) * 0.95))]
    return f"median {statistics.median(xs) * 1e3:6.2f} ms  p95 {p95 * 1e3:6.2f} ms"


def _us(fn: Callable[[], object], n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--keys", type=int, default=100_000)
    ap.add_argument("--writes", type=int, default=3_000)
    ap.add_argument("--blocks", type=int, default=40)
    ap.add_argument("--hash", default="sm3", choices=["sm3", "sha256"])
    ap.add_argument("--keep-recent", type=int, default=0)
    ap.add_argument("--profile", action="store_true", help="pyinstrument one block")
    ap.add_argument("--dir", default=None, help="database directory (default: a temp dir)")
    args = ap.parse_args(argv)

    rng = random.Random(42)
    tmp = tempfile.TemporaryDirectory(prefix="bench_store_")
    path = Path(args.dir or tmp.name) / "db"
    db = Database(path)
    state = StateStore(db, hash_name=args.hash, keep_recent=args.keep_recent)
    blocks = BlockStore(db)
    print(
        f"finchain.store bench: hash={args.hash} keys={args.keys:,} writes/block={args.writes:,} "
        f"keep_recent={args.keep_recent}"
    )

    # -- load the initial keys, 10,000 per version --------------------------
    t0 = time.perf_counter()
    n_keys = 0
    while n_keys < args.keys:
        chunk = min(10_000, args.keys - n_keys)
        writes = {_key(n_keys + i): _value(rng) for i in range(chunk)}
        n_keys += chunk
        state.apply(state.version + 1, writes)
        batch = db.batch()
        state.stage(batch)
        db.write(batch)
        state.mark_committed()
    print(f"load: {args.keys:,} keys in {time.perf_counter() - t0:.2f} s")

    # -- blocks of random writes -------------------------------------------
    t_apply: list[float] = []
    t_stage: list[float] = []
    t_write: list[float] = []
    t_commit: list[float] = []
    t_total: list[float] = []
    batch_bytes: list[int] = []
    next_key = n_keys
    height = 0

    def block_writes() -> dict[bytes, bytes | None]:
        nonlocal next_key
        writes: dict[bytes, bytes | None] = {}
        for _ in range(args.writes):
            r = rng.random()
            if r < 0.05:  # new account
                writes[_key(next_key)] = _value(rng)
                next_key += 1
            elif r < 0.07:  # closed balance
                writes[_key(rng.randrange(next_key))] = None
            else:
                writes[_key(rng.randrange(next_key))] = _value(rng)
        return writes

    def one_block(writes: dict[bytes, bytes | None]) -> None:
        nonlocal height
        height += 1
        txs = [rng.randbytes(250) for _ in range(args.writes // 3)]
        tx_ids = [tx[:32] for tx in txs]
        t0 = time.perf_counter()
        state.apply(state.version + 1, writes)
        t1 = time.perf_counter()
        batch = db.batch()
        state.stage(batch)
        blocks.stage(batch, height, b"".join(txs), tx_ids)
        t2 = time.perf_counter()
        size = batch.size_in_bytes
        db.write(batch)
        t3 = time.perf_counter()
        state.mark_committed()
        blocks.mark_committed(height)
        t4 = time.perf_counter()
        t_apply.append(t1 - t0)
        t_stage.append(t2 - t1)
        t_write.append(t3 - t2)
        t_commit.append(t4 - t3)
        t_total.append(t4 - t0)
        batch_bytes.append(size)

    for _ in range(3):  # warm up the caches like a running node
        one_block(block_writes())
    for lst in (t_apply, t_stage, t_write, t_commit, t_total, batch_bytes):
        lst.clear()

    if args.profile:
        from pyinstrument import Profiler

        writes = block_writes()
        prof = Profiler(interval=0.0002)
        prof.start()
        one_block(writes)
        prof.stop()
        print(prof.output_text(unicode=True, color=False, show_all=False))

    for _ in range(args.blocks):
        one_block(block_writes())
    print(f"blocks: {len(t_total)} of {args.writes:,} writes (+ {args.writes // 3} txs indexed)")
    print(f"  apply           {_ms(t_apply)}")
    print(f"  stage (+blocks) {_ms(t_stage)}")
    print(f"  db.write (sync) {_ms(t_write)}")
    print(f"  mark_committed  {_ms(t_commit)}")
    print(f"  TOTAL per block {_ms(t_total)}")
    print(f"  batch size      median {statistics.median(batch_bytes) / 1e6:.2f} MB")
    per_write = statistics.median(t_total) / args.writes * 1e6
    print(
        f"  per write       {per_write:.2f} us  ({args.writes / statistics.median(t_total):,.0f}/s)"
    )

    # -- reads ---------------------------------------------------------------
    sample = [_key(rng.randrange(next_key)) for _ in range(20_000)]
    it = iter(sample * 10)
    print(f"get (warm cache)    {_us(lambda: state.get(next(it)), 100_000):6.2f} us")
    state._value_cache.clear()
    it = itertools.cycle(sample)
    print(f"get (cold cache)    {_us(lambda: state.get(next(it)), 20_000):6.2f} us")
    v = state.version
    print(f"get_at (history)    {_us(lambda: state.get_at(next(it), v - 1), 2_000):6.2f} us")
    proofs = [(k, *state.prove(k)) for k in sample[:200]]
    print(f"prove               {_us(lambda: state.prove(next(it)), 2_000):6.2f} us")
    root = state.root()
    pit = iter(proofs * 10)

    def check() -> None:
        k, val, proof = next(pit)
        assert verify_proof(root, k, val, proof, args.hash)

    print(f"verify_proof        {_us(check, 2_000):6.2f} us")
    txs = [rng.randbytes(250) for _ in range(1000)]
    print(f"tx_root 1000 txs    {_us(lambda: tx_root(args.hash, txs), 20) / 1e3:6.2f} ms")
    print(f"cache               {state.cache_info()}")
    db.close()
    tmp.cleanup()


if __name__ == "__main__":
    main()
