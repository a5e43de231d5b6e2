"""Crypto micro-benchmarks: signatures per scheme, hashes, AEAD.

Run directly (``python benchmarks/bench_crypto.py``) or through
``benchmarks/run.py``, which calls :func:`main`. Figures are single-thread,
so per core. ``verify`` goes through ``verify_signature`` with a warm key
cache, as the transaction ante chain does; ``verify (parse)`` parses the
public key every time, the cost of a first-seen key.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import partial

from finchain.crypto import (
    SCHEMES,
    generate_private_key,
    get_aead,
    hasher,
    public_key_from_bytes,
    verify_signature,
)

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
    hashes = bench_hashes(min_seconds)
    print(f"\n{'hash':<10} {'MB/s':>10} {'65-byte/s':>12}")
    for name, r in hashes.items():
        print(f"{name:<10} {r['MB/s']:>10,.0f} {r['65-byte hashes/s']:>12,.0f}")
    aead = bench_aead(min_seconds)
    print(f"\n{'aead':<12} {'MB/s':>10}")
    for name, mbs in aead.items():
        print(f"{name:<12} {mbs:>10,.0f}")
    return {"signatures": signatures, "hashes": hashes, "aead_mb_per_s": aead}


if __name__ == "__main__":
    main()
