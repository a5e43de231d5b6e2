"""Issue 6: verifying one receipt in-process (4 Ed25519 validators, a 20-level batch path).

A CometBFT-shaped receipt (four validators' precommits, the document in a batch
of 2^20 leaves, so a 20-level path) is verified from its bytes, as ``finchain
evidence verify`` does: parse, canonical-form check, the document's path, tx
decode, tx inclusion, header hash, validator-set hash, four Ed25519
signatures. The figure is the median of many runs; the target is <= 5 ms.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.receipts.chains import comet_receipt

from finchain.client.receipt_verify import verify_receipt
from finchain.offchain.receipts import dumps

LEAVES = 2**20  # a 20-level batch path
RUNS = 400
TARGET_MS = 5.0


def main(argv: list[str] | None = None) -> dict[str, float]:
    built = comet_receipt(validators=4, leaves=LEAVES, others=63, position=17)
    data = dumps(built.receipt)
    assert len(built.receipt["batch"]["path"]) == 20
    assert verify_receipt(data, built.trust, file=built.document).ok
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = verify_receipt(data, built.trust, file=built.document)
        times.append(time.perf_counter() - start)
        assert result.ok
    median = statistics.median(times) * 1000
    p99 = sorted(times)[int(RUNS * 0.99) - 1] * 1000
    print(
        f"receipt verify (4 Ed25519 validators, 20-level batch path, {len(data)} bytes): "
        f"median {median:.2f} ms, p99 {p99:.2f} ms over {RUNS} runs "
        f"(target <= {TARGET_MS:.0f} ms)",
        flush=True,
    )
    return {"median_ms": median, "p99_ms": p99}


if __name__ == "__main__":
    main(sys.argv[1:])
