"""The context a handler runs in: the metered store, the block, the signer, and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from finchain.core.events import Event
from finchain.core.gas import MeteredStore
from finchain.core.params import ChainParams


class ExecMode(Enum):
    """Which state a call runs against (CometBFT: check, recheck, finalize)."""

    CHECK = "check"
    RECHECK = "recheck"
    SIMULATE = "simulate"
    FINALIZE = "finalize"
    GENESIS = "genesis"


@dataclass(slots=True)
class Context:
    store: MeteredStore
    height: int
    time_ns: int
    chain_id: str
    suite: str
    params: ChainParams
    mode: ExecMode
    signer: str = ""
    events: list[Event] = field(default_factory=list)
    tx_id: bytes = b""  # the running transaction's id (empty outside a transaction)

    def emit(self, event: Event) -> None:
        self.events.append(event)
