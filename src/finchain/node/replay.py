"""Replay a node's block store into an empty state and compare app hashes.

An auditor's check that the stored history is self-consistent: every block,
re-executed from genesis by a fresh Application, must give the app hash the
node recorded for it (JR/T 0184: tampering with any record is detectable by
replaying history).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from finchain.app import FinalizeBlockRequest
from finchain.chain import AppFactory, FinchainApp
from finchain.codec import decode_trusted
from finchain.node.home import Home
from finchain.store import BlockStore, Database


@dataclass(frozen=True)
class ReplayStep:
    height: int
    recorded: bytes
    replayed: bytes

    @property
    def ok(self) -> bool:
        return self.recorded == self.replayed


def replay(
    home: Home,
    scratch_dir: Path,
    *,
    versions: Sequence[tuple[int, AppFactory]] = ((1, FinchainApp),),
) -> Iterator[ReplayStep]:
    """Yield one step per committed block; the node must not be running.

    ``versions`` says which version of the application executed which heights:
    ``(first height, factory)`` pairs in order, the first from height 1. A chain
    that crossed upgrades replays each range with the version that ran it, as its
    nodes did (the new version migrates at the upgrade height).
    """
    if not versions or versions[0][0] != 1:
        raise ValueError("versions must start at height 1")
    db = Database(home.data_dir)
    blocks = BlockStore(db)
    factory = versions[0][1]
    target = factory(scratch_dir)
    try:
        genesis = home.genesis()
        target.init_chain(genesis)
        for height in range(genesis.initial_height, blocks.height + 1):
            wanted = [f for first, f in versions if first <= height][-1]
            if wanted is not factory:
                target.close()
                factory = wanted
                target = factory(scratch_dir)
            raw = blocks.get(height)
            if raw is None:
                raise ValueError(f"block {height} is missing from the block store")
            record = decode_trusted(raw)
            response = target.finalize_block(
                FinalizeBlockRequest(
                    height, record["time_ns"], record["txs"], proposer=record["proposer"]
                )
            )
            target.commit()
            yield ReplayStep(height, record["app_hash"], response.app_hash)
    finally:
        db.close()
        target.close()
