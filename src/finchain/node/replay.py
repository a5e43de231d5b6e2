"""Replay a node's block store into an empty state and compare app hashes.

An auditor's check that the stored history is self-consistent: every block,
re-executed from genesis by a fresh Application, must give the app hash the
node recorded for it (JR/T 0184: tampering with any record is detectable by
replaying history).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from finchain.app import FinalizeBlockRequest
from finchain.chain import FinchainApp
from finchain.node.home import Home


@dataclass(frozen=True)
class ReplayStep:
    height: int
    recorded: bytes
    replayed: bytes

    @property
    def ok(self) -> bool:
        return self.recorded == self.replayed


def replay(home: Home, scratch_dir: Path) -> Iterator[ReplayStep]:
    """Yield one step per committed block; the node must not be running."""
    source = FinchainApp(home.data_dir)
    target = FinchainApp(scratch_dir)
    try:
        target.init_chain(home.genesis())
        for height in range(1, source.height + 1):
            record = source.block_record(height)
            if record is None:
                raise ValueError(f"block {height} is missing from the block store")
            response = target.finalize_block(
                FinalizeBlockRequest(
                    height, record["time_ns"], record["txs"], proposer=record["proposer"]
                )
            )
            target.commit()
            yield ReplayStep(height, record["app_hash"], response.app_hash)
    finally:
        source.close()
        target.close()
