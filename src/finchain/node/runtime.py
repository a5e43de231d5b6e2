"""Process-level settings for a long-running node."""

from __future__ import annotations

import gc


def tune_gc() -> None:
    """Freeze start-up objects and collect young garbage less often.

    A node keeps large, long-lived caches (parsed accounts and keys, tree
    nodes); the default cyclic collector rescans them thousands of times a
    second while blocks allocate short-lived objects, which measured ~15% of
    block execution time. Moving start-up objects to the permanent generation
    and raising the young-generation threshold keeps collection, and memory,
    bounded without that cost.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
