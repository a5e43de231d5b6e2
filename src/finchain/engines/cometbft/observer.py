"""What the ABCI server tells the node's front end: CheckTx answers and committed blocks.

The HTTP API runs inside the ABCI process (``service``), so it learns of
admissions and commits from the adapter directly, instead of polling
CometBFT: a commit-mode submission wakes the moment its block is committed,
and a sync-mode one gets exactly the CheckTx answer CometBFT received.

Observers are called on the ABCI worker thread, between two ABCI requests:
they must be quick, must not call back into the Application, and must not
raise (the adapter logs and swallows what they raise, since an exception in
Commit would otherwise stop CometBFT).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from finchain.app import Event, TxResult


@dataclass(frozen=True, slots=True)
class CommittedBlock:
    """A block the Application has just persisted, with its execution results."""

    height: int
    time_ns: int
    txs: Sequence[bytes]
    results: Sequence[TxResult]
    events: Sequence[Event]
    app_hash: bytes


class AbciObserver(Protocol):
    def checked(self, raw: bytes, result: TxResult, *, recheck: bool) -> None:
        """CheckTx answered ``result`` for ``raw`` (``recheck``: after a commit)."""
        ...

    def committed(self, block: CommittedBlock) -> None:
        """Commit persisted ``block``."""
        ...
