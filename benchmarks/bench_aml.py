"""Sanctions lists: publishing a list of N entries, and the lookup the rule engine makes.

Publishes N DIDs in 500-entry transactions (one block each, committed) and seals them,
then times ``listed_version`` for an unlisted account without a DID, an account whose
bound DID is checked too, and a listed DID: the lookup is point reads, so its time does
not grow with N. Not part of ``make bench``; run it alone::

    .venv/bin/python benchmarks/bench_aml.py --entries 10000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.aml.test_aml_module import World
from tests.harness import CHAIN_ID
from tests.modules.test_governance import A, make_gov

from finchain.client import aml_builders as amlb
from finchain.formats.did import make_did

LOOKUPS = 20_000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    n = parser.parse_args(argv).entries
    scratch = Path(tempfile.mkdtemp(prefix="bench-aml-"))
    try:
        run(n, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(n: int, scratch: Path) -> None:
    world = World(make_gov(scratch))
    entries = [make_did(CHAIN_ID, number) for number in range(1, n + 1)]
    msgs = amlb.list_messages(version=1, entries=entries, hash_alg="sha256")
    start = time.perf_counter()
    costs = [world.ok(2, msg).cost for msg in msgs]
    published = time.perf_counter() - start
    print(
        f"published {n} entries in {len(msgs)} transactions: {published:.2f} s, "
        f"{n / published:,.0f} entries/s; largest tx cost {max(costs):,}"
    )
    state, view = world.app.state, world.app.aml
    for label, address in (
        ("unlisted account, no DID", A[1]),
        ("unlisted account, bound DID checked", A[5]),
        ("listed DID", entries[n // 2]),
    ):
        start = time.perf_counter()
        for _ in range(LOOKUPS):
            view.listed_version(state, address)
        each = (time.perf_counter() - start) / LOOKUPS
        print(f"listed_version ({label}): {each * 1e6:.2f} us")
    world.app.close()


if __name__ == "__main__":
    main()
