"""Crypto micro-benchmarks: signatures per scheme, hashes, AEAD.

Run directly (``python benchmarks/bench_crypto.py``) or through
``benchmarks/run.py``, which calls :func:`main`. Figures are single-thread,
so per core. ``verify`` goes through ``verify_signature`` with a warm key
cache, as the transaction ante chain does; ``verify (parse)`` parses the
public key every time, the cost of a first-seen key.

:func:`bench_sm2_threads` compares SM2 verification before and after it moved
to the native extension (issue 10), with one and with two threads: gmssl-pyx
holds the GIL while it verifies, ``finchain_native`` releases it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from functools import partial

from gmssl_pyx import sm2_verify_sm3_digest

from finchain.crypto import (
    SCHEMES,
    generate_private_key,
    get_aead,
    hasher,
    public_key_from_bytes,
    sm2,
    verify_signature,
)
from finchain.crypto.hashes import sm3

MIN_SECONDS = 1.0


def rate(fn: Callable[[], object], min_seconds: float = MIN_SECONDS) -> float:
    """Calls per second of ``fn``, timed over at least ``min_seconds``."""
    fn()  # warm up
    calls, batch = 0, 1
    start = time.perf_counter()
    while True:
        for _ in range(batch):
            fn()
        calls += batch
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return calls / elapsed
        batch *= 2


def bench_signatures(min_seconds: float) -> dict[str, dict[str, float]]:
    message = os.urandom(250)  # about one transfer transaction's sign bytes
    results: dict[str, dict[str, float]] = {}
    for scheme in SCHEMES:
        key = generate_private_key(scheme)
        public = key.public_key().data
        signature = key.sign(message)
        assert verify_signature(scheme, public, message, signature)

        def verify_parsing(
            scheme: str = scheme, public: bytes = public, sig: bytes = signature
        ) -> bool:
            return public_key_from_bytes(scheme, public).verify(message, sig)

        results[scheme] = {
            "sign": rate(partial(key.sign, message), min_seconds),
            "verify": rate(
                partial(verify_signature, scheme, public, message, signature), min_seconds
            ),
            "verify (parse)": rate(verify_parsing, min_seconds),
        }
    return results


def threaded_rate(
    fn: Callable[[], object], threads: int, min_seconds: float
) -> tuple[float, float]:
    """Calls per second of ``fn`` looped by ``threads`` threads at once, and the cores used.

    Cores used is the process's CPU time over the wall time: about 1.0 for a call
    that holds the GIL whatever the thread count, up to ``threads`` for one that
    releases it. On a shared machine the rate depends on the other load; this
    ratio much less.
    """
    fn()  # warm up
    counts = [0] * threads
    start_line = threading.Barrier(threads + 1)
    deadline = 0.0

    def loop(slot: int) -> None:
        start_line.wait()
        calls = 0
        while True:
            for _ in range(16):
                fn()
            calls += 16
            if time.perf_counter() >= deadline:
                counts[slot] = calls
                return

    workers = [threading.Thread(target=loop, args=(slot,)) for slot in range(threads)]
    for worker in workers:
        worker.start()
    start, cpu_start = time.perf_counter(), time.process_time()
    deadline = start + min_seconds
    start_line.wait()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - start
    return sum(counts) / wall, (time.process_time() - cpu_start) / wall


def bench_sm2_threads(min_seconds: float) -> dict[str, dict[int, tuple[float, float]]]:
    """SM2 (verify/s, cores used) with 1 and 2 threads: gmssl-pyx (before issue 10) and native."""
    key = generate_private_key("sm2")
    public = key.public_key().data
    message = os.urandom(250)
    signature = key.sign(message)
    z = sm2.z_value(public[1:])
    n_bytes, zero = sm2.N.to_bytes(32, "big"), bytes(32)

    def gmssl_verify() -> bool:
        # sm2.py's verifier before the move, step by step, on a warm key.
        r, s = signature[:32], signature[32:]
        if not (zero < r < n_bytes and zero < s < n_bytes):
            return False
        der = sm2.raw_to_der(signature)
        return bool(sm2_verify_sm3_digest(public[1:], sm3(z + message), der))

    digest = sm3(z + message)
    items = [(public, digest, signature)] * 64

    def native_batch() -> bool:
        return all(sm2.verify_digest_batch(items))

    assert gmssl_verify() and verify_signature("sm2", public, message, signature)
    paths: dict[str, tuple[Callable[[], object], int]] = {
        "gmssl-pyx (before)": (gmssl_verify, 1),
        "native, verify_signature": (
            partial(verify_signature, "sm2", public, message, signature),
            1,
        ),
        "native, raw digest": (partial(sm2.verify_digest, public, digest, signature), 1),
        "native, batch of 64": (native_batch, len(items)),
    }
    results: dict[str, dict[int, tuple[float, float]]] = {}
    for name, (fn, per_call) in paths.items():
        results[name] = {}
        for threads in (1, 2):
            calls, cores = threaded_rate(fn, threads, min_seconds)
            results[name][threads] = (per_call * calls, cores)
    return results


def bench_hashes(min_seconds: float) -> dict[str, dict[str, float]]:
    big = os.urandom(1 << 20)
    small = os.urandom(65)  # a Merkle inner node: prefix + two child hashes
    results: dict[str, dict[str, float]] = {}
    for name in ("sm3", "sha256"):
        h = hasher(name)
        results[name] = {
            "MB/s": rate(partial(h, big), min_seconds),
            "65-byte hashes/s": rate(partial(h, small), min_seconds),
        }
    return results


def bench_aead(min_seconds: float) -> dict[str, float]:
    data = os.urandom(1 << 20)
    results: dict[str, float] = {}
    for name in ("sm4-gcm", "aes-256-gcm"):
        aead = get_aead(name)
        key, nonce = os.urandom(aead.key_size), os.urandom(aead.nonce_size)
        results[name] = rate(partial(aead.encrypt, key, nonce, data), min_seconds)
    return results


def main(min_seconds: float = MIN_SECONDS) -> dict[str, object]:
    """Run every crypto benchmark, print a table, return the figures."""
    signatures = bench_signatures(min_seconds)
    print(f"{'scheme':<10} {'sign/s':>10} {'verify/s':>10} {'verify+parse/s':>15}")
    for scheme, r in signatures.items():
        sign, verify, parse = r["sign"], r["verify"], r["verify (parse)"]
        print(f"{scheme:<10} {sign:>10,.0f} {verify:>10,.0f} {parse:>15,.0f}")
    sm2_threads = bench_sm2_threads(min_seconds)
    print(f"\n{'sm2 verify/s (cores used)':<28} {'1 thread':>16} {'2 threads':>16}")
    for name, by_threads in sm2_threads.items():
        cells = [f"{rate:,.0f} ({cores:.2f})" for rate, cores in (by_threads[1], by_threads[2])]
        print(f"{name:<28} {cells[0]:>16} {cells[1]:>16}")
    hashes = bench_hashes(min_seconds)
    print(f"\n{'hash':<10} {'MB/s':>10} {'65-byte/s':>12}")
    for name, r in hashes.items():
        print(f"{name:<10} {r['MB/s']:>10,.0f} {r['65-byte hashes/s']:>12,.0f}")
    aead = bench_aead(min_seconds)
    print(f"\n{'aead':<12} {'MB/s':>10}")
    for name, mbs in aead.items():
        print(f"{name:<12} {mbs:>10,.0f}")
    return {
        "signatures": signatures,
        "sm2_verify_threads": sm2_threads,
        "hashes": hashes,
        "aead_mb_per_s": aead,
    }


if __name__ == "__main__":
    main()
