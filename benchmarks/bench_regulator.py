"""The regulator's view over HTTP: what a signed request costs, and what the views cost.

Builds the world of ``tests/node/regulator_world.py`` (real transactions on a solo
node, served by uvicorn in this process) for each suite, then times sequential
requests from one client: ``/v1/status`` unsigned (the baseline), ``whoami``
signed (authentication alone: parse, two node queries, one signature check, the
replay cache), and the DID, institution and account views. Prints one line per
(suite, request): requests per second and the median latency.

    .venv/bin/python benchmarks/bench_regulator.py --requests 300
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.client.live import serve
from tests.node.regulator_world import World, regulator_world

from finchain.client.regulator import RequestSigner


def timed(http: httpx.Client, path: str, requests: int) -> tuple[float, float]:
    """(requests per second, median latency in ms) of ``requests`` sequential GETs."""
    latencies = []
    start = time.perf_counter()
    for _ in range(requests):
        began = time.perf_counter()
        answer = http.get(path)
        latencies.append(time.perf_counter() - began)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:200]}")
    elapsed = time.perf_counter() - start
    return requests / elapsed, statistics.median(latencies) * 1000


def run(world: World, requests: int) -> None:
    signer = RequestSigner(
        world.chain_id, world.suite, world.ids["regulator"], [("k1", world.key("regulator"))]
    )
    paths = {
        "status (unsigned)": "/v1/status",
        "whoami (signed)": "/v1/regulator/whoami",
        "DID view": f"/v1/regulator/dids/{world.dids['alice']}",
        "institution view (3 accounts)": f"/v1/regulator/institutions/{world.dids['bank']}",
        "account view": f"/v1/regulator/accounts/{world.ids['alice']}",
    }
    with serve(world.app) as url, httpx.Client(base_url=url, auth=signer, timeout=30) as http:
        for name, path in paths.items():
            timed(http, path, 10)  # warm-up: connection, caches
            rate, median = timed(http, path, requests)
            print(f"{world.suite:4} {name:30} {rate:8.0f} req/s  median {median:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--suite", choices=("intl", "gm"), action="append")
    args = parser.parse_args()
    for suite in args.suite or ["intl", "gm"]:
        with tempfile.TemporaryDirectory() as tmp, regulator_world(Path(tmp), suite=suite) as w:
            run(w, args.requests)


if __name__ == "__main__":
    main()
