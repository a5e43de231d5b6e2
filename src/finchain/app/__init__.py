"""The deterministic application: ABCI 2.0 calls, ante chain, module routing."""

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
from finchain.app.application import Application
from finchain.app.events import Event
from finchain.app.genesis import Genesis
from finchain.app.params import ChainParams

__all__ = [
    "Application",
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
