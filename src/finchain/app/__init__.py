"""The deterministic application: ABCI 2.0 calls, ante chain, module routing.

``Application`` itself lives in ``finchain.app.application``: it wires the
modules, and the modules import this package's building blocks, so exporting
it here would make importing any module first an import cycle.
"""

from finchain.app.abci import (
    CommitResponse,
    FinalizeBlockRequest,
    FinalizeBlockResponse,
    InfoResponse,
    InitChainResponse,
    QueryResponse,
    StateProof,
    TxResult,
)
from finchain.app.genesis import Genesis
from finchain.core.events import Event
from finchain.core.params import ChainParams

__all__ = [
    "ChainParams",
    "CommitResponse",
    "Event",
    "FinalizeBlockRequest",
    "FinalizeBlockResponse",
    "Genesis",
    "InfoResponse",
    "InitChainResponse",
    "QueryResponse",
    "StateProof",
    "TxResult",
]
