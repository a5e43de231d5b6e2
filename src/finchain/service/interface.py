"""What the HTTP API (and any other front end) needs from a running node.

The solo node implements it in-process; a CometBFT node implements the same
surface over its own engine, so the API, the SDK and the CLI work identically
against either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from finchain.app.abci import QueryResponse, TxResult


class SubmitMode(Enum):
    ASYNC = "async"  # queued for admission; returns at once with the tx id
    SYNC = "sync"  # returns the check_tx result
    COMMIT = "commit"  # waits until the tx is in a committed block (or the timeout)


@dataclass(frozen=True, slots=True)
class SubmitResult:
    tx_id: bytes
    check: TxResult | None  # None in async mode
    height: int = 0  # commit mode: the block that included it (0: not yet)
    index: int = -1
    deliver: TxResult | None = None  # commit mode: the finalize_block result
    timed_out: bool = False


@dataclass(frozen=True, slots=True)
class BlockView:
    """A committed block as clients see it.

    The engine that produced it decides what vouches for it. Solo: ``header`` is
    (chain_id, height, time_ns, last_block_hash, tx_root, app_hash, proposer),
    signed by the one validator key (``signature``, ``validator``). CometBFT:
    ``header`` is CometBFT's own header with ``"engine": "cometbft"``,
    ``signature`` is empty and ``commit`` holds the validators' precommit
    signatures (``finchain.light.cometbft`` checks them offline).
    """

    height: int
    time_ns: int
    header: dict[str, Any]
    block_hash: bytes
    signature: bytes  # the validator key's signature over the header (solo)
    validator: dict[str, Any]  # {"scheme", "public_key"} of the signer (solo)
    tx_ids: tuple[bytes, ...]
    results: tuple[TxResult, ...]
    events: tuple[Any, ...] = ()
    commit: dict[str, Any] | None = None  # CometBFT: the signatures that committed the block


@dataclass(frozen=True, slots=True)
class TxView:
    """A committed transaction with what is needed to prove its inclusion offline."""

    tx_id: bytes
    raw: bytes
    height: int
    index: int
    result: TxResult
    # finchain.store.tx_proof against header["tx_root"] (solo), or against a CometBFT
    # header's "data_hash" with SHA-256 of the raw tx as the leaf data
    proof: dict[str, Any]
    block: BlockView


@dataclass(frozen=True, slots=True)
class BlockValidator:
    """One member of the validator set that commits a block (what a receipt names).

    ``address`` is the first 20 bytes of SHA-256 of the public key (CometBFT's
    rule, used for solo validators too, so receipts name validators alike).
    """

    address: bytes
    scheme: str
    public_key: bytes
    power: int


@dataclass(frozen=True, slots=True)
class NodeStatus:
    chain_id: str
    suite: str
    height: int
    app_hash: bytes
    latest_block_time_ns: int
    validators: tuple[dict[str, Any], ...]
    catching_up: bool
    mempool_size: int
    engine: str  # "solo" | "cometbft"
    version: str = "0.1.0"
    halted: str = ""  # why block production stopped for good (storage damage…); "" while running
    genesis_hash: bytes = b""  # the suite hash of the chain's genesis document (b"": unknown)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Subscriptions: all given conditions must match (empty = everything)."""

    account: str = ""
    asset: str = ""
    event_types: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class StreamItem:
    """One item of the event stream: a new block, or a tx event that passed the filter."""

    kind: str  # "block" | "tx_event"
    height: int
    data: dict[str, Any]


class NodeService(Protocol):
    """All methods may be called from any thread; implementations serialise app access."""

    def status(self) -> NodeStatus: ...

    def fault(self) -> str:
        """Why this node stopped committing blocks for good ("" while it runs).

        Never blocks and never touches the application: the health check asks it
        during floods and after storage damage.
        """
        ...

    def submit(
        self, raws: Sequence[bytes], mode: SubmitMode, *, timeout: float
    ) -> list[SubmitResult]:
        """Admit transactions. COMMIT mode blocks the calling thread until inclusion or timeout."""
        ...

    def admit(self, raws: Sequence[bytes]) -> Future[list[SubmitResult]]:
        """SYNC-mode ``submit`` without blocking the caller: a Future of the check results.

        For front ends on an event loop: a client's single transaction then holds no
        thread while it waits, and many clients' transactions are admitted together.
        The Future fails with the error ``submit`` would raise.
        """
        ...

    def tx(self, tx_id: bytes) -> TxView | None: ...

    def block(self, height: int | None) -> BlockView | None:
        """``None`` = latest."""
        ...

    def validator_set(self, height: int) -> tuple[BlockValidator, ...]:
        """The validators whose signatures commit block ``height`` (for offline receipts)."""
        ...

    def query(
        self, path: str, params: Mapping[str, Any], *, height: int | None, prove: bool
    ) -> QueryResponse: ...

    def subscribe(self, flt: EventFilter) -> AsyncIterator[StreamItem]:
        """An async iterator of stream items from the next committed block on; ends on shutdown."""
        ...
