"""``finchain rules simulate``: a proposed rule set judged against a node's past blocks.

Offline, against a stopped node's home: the blocks are re-executed from genesis
into a scratch directory (as ``finchain.node.replay`` does), with one more ante
decorator, ``RuleSetProbe``, that judges every transaction of heights
``first..last`` by the proposed set and records the verdict. The probe never
refuses and never writes, so the replay computes the recorded app hashes (checked:
a mismatch stops the simulation, as the history would not be the node's). The
node's own database is only read; the scratch directory is removed afterwards.

Each transaction is judged on its own against history as it happened: a payment
the proposed set would have denied still counts in the aggregates later
transactions see, because it did execute.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finchain.app import FinalizeBlockRequest
from finchain.chain import FinchainApp
from finchain.codec import decode_trusted
from finchain.modules.compliance.ante import Finding, RuleSetProbe
from finchain.modules.compliance.types import RuleSet
from finchain.node.home import Home
from finchain.store import BlockStore, Database


@dataclass(frozen=True, slots=True)
class TxFinding:
    """A finding with the transaction's place in its block and how it really ended."""

    height: int
    index: int
    tx_id: str
    outcome: str
    rule: str
    message: str
    historical_code: int
    historical_info: str


def simulate(home: Home, ruleset: RuleSet, first: int, last: int) -> list[TxFinding]:
    """What ``ruleset`` would have denied, flagged or held in blocks ``first..last``."""
    db = Database(home.data_dir)
    scratch = Path(tempfile.mkdtemp(prefix="finchain-simulate-"))
    probe: RuleSetProbe | None = None
    target: FinchainApp | None = None
    try:
        blocks = BlockStore(db)
        if not 1 <= first <= last <= blocks.height:
            raise ValueError(
                f"--from {first} --to {last} is outside the node's blocks 1..{blocks.height}"
            )

        probe = RuleSetProbe(ruleset, range(first, last + 1))
        target = FinchainApp(scratch / "db", extra_ante=(probe,))
        probe.attach(target.compliance)
        genesis = home.genesis()
        target.init_chain(genesis)
        records: dict[int, Any] = {}
        for height in range(genesis.initial_height, last + 1):
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
            if response.app_hash != record["app_hash"]:
                raise ValueError(
                    f"replaying block {height} gave another app hash than the node recorded: "
                    "this version cannot replay the chain's history (docs/OPERATIONS.md)"
                )
            if height >= first:
                records[height] = record
        return [_placed(f, records, target) for f in probe.findings]
    finally:
        db.close()
        if target is not None:
            target.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _placed(finding: Finding, records: dict[int, Any], app: FinchainApp) -> TxFinding:
    record = records[finding.height]
    ids = [app.tx_id(raw) for raw in record["txs"]]
    index = ids.index(finding.tx_id)
    result = record["results"][index]
    return TxFinding(
        finding.height,
        index,
        finding.tx_id.hex(),
        finding.outcome,
        finding.rule,
        finding.message,
        result["code"],
        result.get("info", ""),
    )
