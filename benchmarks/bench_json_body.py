"""What refusing duplicate JSON keys costs on a 500-transaction ``POST /v1/txs/batch`` body.

Three decoders on the same body (500 signed transfers, standard base64): the
standard library as Starlette called it (``json.loads(bytes)``), the API's
``loads_strict`` (``json.loads`` with an ``object_pairs_hook``), and orjson for
reference; and the hook's worst case, a body made only of small objects. Then
whole requests in-process (httpx's ASGI transport, no socket):
the API app over a stub node whose ``submit`` answers at once (async mode), so
the figure is the API's own work per batch: admission, body, decode, pydantic
validation of 500 base64 strings, the answer. Prints one line per measurement,
median of the repeats: ``what=… us=…``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import orjson

from finchain.client.builders import Signer, transfer
from finchain.crypto import generate_private_key
from finchain.modules.accounts.types import account_id
from finchain.node.api import ApiLimits, create_app
from finchain.node.api.jsonbody import loads_strict
from finchain.service.interface import SubmitMode, SubmitResult


class StubNode:
    """Just enough of ``NodeService`` for submissions: every tx is queued at once."""

    def submit(
        self, raws: Sequence[bytes], mode: SubmitMode, *, timeout: float
    ) -> list[SubmitResult]:
        return [SubmitResult(tx_id=bytes(32), check=None) for _ in raws]


def batch_body(count: int) -> bytes:
    key = generate_private_key("ed25519")
    signer = Signer("bench", account_id(1), [("k1", key)])
    txs = [signer.sign(transfer((account_id(2), "CNY", i + 1))) for i in range(count)]
    return json.dumps({"txs": [base64.b64encode(t).decode() for t in txs]}).encode()


def median_us(fn: Callable[[], Any], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1000


async def request_us(body: bytes, repeats: int) -> float:
    app = create_app(StubNode(), limits=ApiLimits())  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        times = []
        for i in range(repeats + 1):
            start = time.perf_counter_ns()
            answer = await client.post("/v1/txs/batch?mode=async", content=body, headers=headers)
            if i:
                times.append(time.perf_counter_ns() - start)
            assert answer.status_code == 200, answer.text
    return statistics.median(times) / 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)
    body = batch_body(args.txs)
    print(f"body txs={args.txs} bytes={len(body)}")
    plain = median_us(lambda: json.loads(body), args.repeats)
    strict = median_us(lambda: loads_strict(body), args.repeats)
    fast = median_us(lambda: orjson.loads(body), args.repeats)
    print(f"what=json.loads us={plain:.1f}")
    print(f"what=loads_strict us={strict:.1f} extra_us={strict - plain:.1f}")
    print(f"what=orjson.loads us={fast:.1f}")
    # The hook's worst case: a body of nothing but small objects (one hook call each).
    dense = b'{"txs":[' + b",".join([b'{"a":1}'] * 200_000) + b"]}"
    dense_plain = median_us(lambda: json.loads(dense), 5)
    dense_strict = median_us(lambda: loads_strict(dense), 5)
    print(
        f"what=200000_objects bytes={len(dense)} json.loads_us={dense_plain:.0f} "
        f"loads_strict_us={dense_strict:.0f} ratio={dense_strict / dense_plain:.2f}"
    )
    whole = asyncio.run(request_us(body, max(20, args.repeats // 4)))
    share = 100 * (strict - plain) / whole
    print(f"what=request us={whole:.1f} strict_share_pct={share:.2f}")


if __name__ == "__main__":
    main()
