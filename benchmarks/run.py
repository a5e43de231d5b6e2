"""`make bench`: every benchmark, one after the other, with the machine it ran on.

Figures go into docs/BENCHMARKS.md by hand, with the machine line printed here.
Nothing here runs in `make test`: timings are measured, never asserted.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    python = platform.python_version()
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {python}, {platform.system()}"


def main() -> None:
    import bench_app
    import bench_compliance
    import bench_crypto
    import bench_evidence
    import bench_json_body
    import bench_netting
    import bench_settlement
    import bench_store

    print(f"machine: {machine()}", flush=True)
    print("== crypto", flush=True)
    bench_crypto.main()
    print("== store", flush=True)
    bench_store.main([])
    print("== application (issue 2: finalize_block + commit, blocks of 1,000)", flush=True)
    bench_app.main([])
    print("== evidence anchoring (issue 6: 1,000,000 document hashes, one tx)", flush=True)
    bench_evidence.main([])
    print("== API: strict JSON decoding of a 500-tx batch body (issue 10)", flush=True)
    bench_json_body.main([])
    print("== settlement (issue 13: two-leg DvP through settlement/settle, blocks of 1,000)")
    bench_settlement.main([])
    print("== netting (issue 13: 100,000 obligations, 100 members, close block)", flush=True)
    bench_netting.main([])
    print("== compliance (issue 14: transfers with 20 active rules vs none, one run)", flush=True)
    bench_compliance.main([])
    for name in ("bench_node", "bench_testnet", "bench_cometbft", "bench_receipts"):
        if (Path(__file__).parent / f"{name}.py").exists():
            print(f"== {name}", flush=True)
            __import__(name).main([])


if __name__ == "__main__":
    main()
