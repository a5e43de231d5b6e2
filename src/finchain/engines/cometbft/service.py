"""``NodeService`` for a CometBFT node, served from inside its ABCI process.

The ABCI process owns the Application, so the HTTP API runs there too
(``serve``) and this class is what it calls:

* **reads** (queries, tx and block records, app info) run on the ABCI worker
  thread (``AbciServer.call_app``), between two ABCI requests: they never
  overlap CometBFT's calls and always see a committed state;
* **submission** goes through CometBFT's mempool: one JSON-RPC batch of
  ``broadcast_tx_async`` to the local CometBFT. The answers that matter come
  back through the adapter (``observer``): the CheckTx result CometBFT got for
  each tx (sync mode) and the block that committed it (commit mode). Waiters
  are registered before broadcasting, so no answer can slip past. This avoids
  ``broadcast_tx_sync``, which CometBFT serves one tx at a time, each waiting
  for its ABCI connection's 20 ms flush;
* **blocks and txs** join the Application's record with CometBFT's signed
  header and commit (``views``);
* **the event stream** is published from Commit (``node.streams``).

Example::

    service = CometNodeService(app, abci_server, CometRpc(url), limits=RpcLimits())
    adapter.observer = service
    create_app(service)
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx

from finchain.app import Genesis, QueryResponse, TxResult
from finchain.app.application import Application
from finchain.core.errors import ErrNotInitialized
from finchain.engines.cometbft.config import RpcSettings
from finchain.engines.cometbft.errors import ErrEngineUnavailable, ErrRefused
from finchain.engines.cometbft.light import parse_time
from finchain.engines.cometbft.observer import CommittedBlock
from finchain.engines.cometbft.rpc import CometRpc, RpcError
from finchain.engines.cometbft.views import block_view, tx_view
from finchain.engines.solo.errors import ErrDuplicateTx, ErrMempoolFull, ErrTxTooLarge
from finchain.errors import FinchainError, to_abci
from finchain.service.errors import ErrShuttingDown
from finchain.service.interface import (
    BlockValidator,
    BlockView,
    EventFilter,
    NodeStatus,
    StreamItem,
    SubmitMode,
    SubmitResult,
    TxView,
)
from finchain.service.streams import StreamHub, block_items

log = logging.getLogger(__name__)
T = TypeVar("T")

#: bytes of JSON around one base64 tx in a JSON-RPC batch item
_ITEM_OVERHEAD = 96
_ALREADY_ADMITTED = "already admitted; waiting for its block"
#: Threads answering ``admit`` (each waits on CometBFT's RPC for one submission).
_ADMIT_THREADS = 16
#: How long ``admit`` waits for CometBFT's CheckTx answer.
_ADMIT_WAIT = 10.0


class AppExecutor(Protocol):
    """Runs a function on the thread that owns the Application (``AbciServer``)."""

    def call_app(self, fn: Callable[[], T]) -> Future[T]: ...


@dataclass(eq=False)  # identity: a submission removes exactly its own waiter
class _Wait:
    """One submitted tx's pending answer: its CheckTx result, then its block."""

    checked: threading.Event
    committed: threading.Event
    check: TxResult | None = None
    height: int = 0
    index: int = -1
    result: TxResult | None = None  # the block's result, or the recheck that evicted it


class CometNodeService:
    """The HTTP API's view of a CometBFT node (see the module docstring).

    Parameters:
        app: the node's Application; touched only through ``executor``.
        executor: the ABCI server, whose worker thread owns ``app``.
        rpc: the local CometBFT's RPC (127.0.0.1).
        settings: that RPC's batch limits (from CometBFT's config.toml).
        genesis: the finchain genesis, for validator names (optional).
    """

    engine = "cometbft"

    def __init__(
        self,
        app: Application,
        executor: AppExecutor,
        rpc: CometRpc,
        *,
        settings: RpcSettings,
        genesis: Genesis | None = None,
    ) -> None:
        self._app = app
        self._executor = executor
        self._rpc = rpc
        self._settings = settings
        entries = genesis.validators if genesis is not None else []
        self._genesis_hash = genesis.hash() if genesis is not None else b""
        self._names = {v["pub_key"]["value"]: v["name"] for v in entries}
        self._lock = threading.Lock()
        self._waits: dict[bytes, list[_Wait]] = {}
        self._streams = StreamHub()
        self._closed = False
        self._last_commit = (0, 0)  # (height, time_ns) of the last block committed here
        self._admitters = ThreadPoolExecutor(_ADMIT_THREADS, thread_name_prefix="finchain-admit")

    def close(self) -> None:
        """End event streams, release every waiting submission, close the RPC client."""
        self._closed = True
        self._streams.close()
        with self._lock:
            waits = [w for group in self._waits.values() for w in group]
            self._waits.clear()
        for wait in waits:
            wait.checked.set()
            wait.committed.set()
        self._admitters.shutdown(wait=False, cancel_futures=True)
        self._rpc.close()

    # -- AbciObserver (ABCI worker thread) -----------------------------------------------------

    def checked(self, raw: bytes, result: TxResult, *, recheck: bool) -> None:
        if not self._waits or (recheck and result.ok):
            return
        with self._lock:
            waits = list(self._waits.get(raw, ()))
            if recheck:  # evicted from the mempool: it will not be in a block
                self._waits.pop(raw, None)
        for wait in waits:
            if recheck:
                wait.result = result
                wait.committed.set()
            elif not wait.checked.is_set():
                wait.check = result
                wait.checked.set()

    def committed(self, block: CommittedBlock) -> None:
        self._last_commit = (block.height, block.time_ns)
        if self._waits:
            with self._lock:
                found = [
                    (index, self._waits.pop(raw))
                    for index, raw in enumerate(block.txs)
                    if raw in self._waits
                ]
            for index, waits in found:
                for wait in waits:
                    wait.height, wait.index = block.height, index
                    wait.result = block.results[index]
                    wait.checked.set()
                    wait.committed.set()
        if self._streams.active:
            tx_ids = [self._app.tx_id(raw) for raw in block.txs]
            self._streams.publish(
                block_items(block.height, block.time_ns, block.app_hash, tx_ids, block.results)
            )

    # -- NodeService -----------------------------------------------------------------------------

    def fault(self) -> str:
        """Always "": CometBFT itself stops when a block fails, and this process with it."""
        return ""

    def status(self) -> NodeStatus:
        info = self._call(self._app.info)
        rpc = self._rpc_call(self._rpc.status)
        validators = self._rpc_call(self._rpc.validators)
        mempool = self._rpc_call(self._rpc.mempool_size)
        height, time_ns = self._last_commit
        if height != info.last_height:
            time_ns = parse_time(rpc["sync_info"]["latest_block_time"])
        return NodeStatus(
            chain_id=info.chain_id,
            suite=info.suite,
            height=info.last_height,
            app_hash=info.last_app_hash,
            latest_block_time_ns=time_ns,
            validators=tuple(self._validator(v) for v in validators),
            catching_up=bool(rpc["sync_info"]["catching_up"]),
            mempool_size=mempool,
            engine=self.engine,
            genesis_hash=self._genesis_hash,
        )

    def submit(
        self, raws: Sequence[bytes], mode: SubmitMode, *, timeout: float
    ) -> list[SubmitResult]:
        if self._closed:
            raise ErrShuttingDown("the node is shutting down; resubmit to another node or later")
        tx_id = self._tx_hasher()
        deadline = time.monotonic() + timeout
        if mode is SubmitMode.ASYNC:
            unique = list(dict.fromkeys(raws))
            answers = dict(zip(unique, self._broadcast(unique), strict=True))
            refused = {raw: _refusal(a) for raw, a in answers.items() if isinstance(a, RpcError)}
            return [SubmitResult(tx_id(raw), refused.get(raw)) for raw in raws]
        waits = self._register(raws)
        try:
            return self._submit_and_wait(raws, waits, mode, deadline, tx_id)
        finally:
            self._unregister(waits)

    def admit(self, raws: Sequence[bytes]) -> Future[list[SubmitResult]]:
        """``submit`` in SYNC mode on one of this service's threads."""
        try:
            return self._admitters.submit(self.submit, raws, SubmitMode.SYNC, timeout=_ADMIT_WAIT)
        except RuntimeError:  # closed: the executor takes no more work
            refused: Future[list[SubmitResult]] = Future()
            refused.set_exception(
                ErrShuttingDown("the node is shutting down; resubmit to another node or later")
            )
            return refused

    def tx(self, tx_id: bytes) -> TxView | None:
        found = self._call(lambda: self._locate(tx_id))
        if found is None:
            return None
        record, index = found
        return tx_view(self._block_view(record), record, index)

    def block(self, height: int | None) -> BlockView | None:
        record = self._call(lambda: self._record(height))
        return None if record is None else self._block_view(record)

    def validator_set(self, height: int) -> tuple[BlockValidator, ...]:
        """CometBFT's validator set at ``height``: the one whose precommits commit that block."""
        entries = self._rpc_call(lambda: self._rpc.validators(height))
        return tuple(
            BlockValidator(
                bytes.fromhex(v["address"]),
                "ed25519",
                base64.b64decode(v["pub_key"]["value"]),
                int(v["voting_power"]),
            )
            for v in entries
        )

    def query(
        self, path: str, params: Mapping[str, Any], *, height: int | None, prove: bool
    ) -> QueryResponse:
        return self._call(lambda: self._app.query(path, params, height=height, prove=prove))

    def subscribe(self, flt: EventFilter) -> AsyncIterator[StreamItem]:
        return self._streams.subscribe(flt)

    # -- submission ----------------------------------------------------------------------------

    def _register(self, raws: Sequence[bytes]) -> dict[bytes, _Wait]:
        waits = {raw: _Wait(threading.Event(), threading.Event()) for raw in raws}
        with self._lock:
            for raw, wait in waits.items():
                self._waits.setdefault(raw, []).append(wait)
        return waits

    def _unregister(self, waits: Mapping[bytes, _Wait]) -> None:
        with self._lock:
            for raw, wait in waits.items():
                group = self._waits.get(raw)
                if group is not None and wait in group:
                    group.remove(wait)
                    if not group:
                        del self._waits[raw]

    def _submit_and_wait(
        self,
        raws: Sequence[bytes],
        waits: Mapping[bytes, _Wait],
        mode: SubmitMode,
        deadline: float,
        tx_id: Callable[[bytes], bytes],
    ) -> list[SubmitResult]:
        commit = mode is SubmitMode.COMMIT
        done: dict[bytes, SubmitResult] = {}
        if commit:  # committed before this call registered its waiters: found in the index
            done = self._call(lambda: self._committed(list(waits)))
        pending = [raw for raw in waits if raw not in done]
        for raw, answer in zip(pending, self._broadcast(pending), strict=True):
            if not isinstance(answer, RpcError):
                continue
            if commit and _in_cache(answer):  # in the mempool, or committed meanwhile
                waits[raw].check = TxResult(0, log=_ALREADY_ADMITTED)
                waits[raw].checked.set()
            else:
                done[raw] = SubmitResult(tx_id(raw), _refusal(answer))
        for raw in pending:
            if raw not in done:
                done[raw] = self._outcome(tx_id(raw), waits[raw], commit, deadline)
        return [done[raw] for raw in raws]

    def _outcome(self, tx_id: bytes, wait: _Wait, commit: bool, deadline: float) -> SubmitResult:
        if not wait.checked.wait(max(0.0, deadline - time.monotonic())):
            return SubmitResult(tx_id, None, timed_out=True)
        if wait.height:  # committed before we even saw its CheckTx (another node's)
            return SubmitResult(tx_id, wait.check, wait.height, wait.index, wait.result)
        check = wait.check
        if not commit or check is None or not check.ok:
            return SubmitResult(tx_id, check, timed_out=check is None)
        if not wait.committed.wait(max(0.0, deadline - time.monotonic())):
            return SubmitResult(tx_id, check, timed_out=True)
        if wait.result is None:  # the node is closing
            return SubmitResult(tx_id, check, timed_out=True)
        return SubmitResult(tx_id, check, wait.height, wait.index, wait.result)

    def _broadcast(self, raws: Sequence[bytes]) -> list[Any]:
        """``broadcast_tx_async`` in batches within the RPC's limits: per tx, result or RpcError."""
        answers: list[Any] = []
        for chunk in _chunks(raws, self._settings.max_batch, self._settings.max_body_bytes):
            try:
                answers.extend(self._rpc.broadcast_txs(chunk))
            except (httpx.HTTPError, RpcError, ValueError) as exc:
                raise ErrEngineUnavailable(
                    f"broadcasting to CometBFT at {self._rpc.url} failed: {exc}; "
                    f"{len(answers)} of {len(raws)} transactions were handed over: look them "
                    "up by id before resending"
                ) from None
        return answers

    # -- reads -----------------------------------------------------------------------------------

    def _committed(self, raws: Sequence[bytes]) -> dict[bytes, SubmitResult]:
        """ABCI worker thread: the txs among ``raws`` that are already in a committed block."""
        found: dict[bytes, SubmitResult] = {}
        for raw in raws:
            located = self._locate(self._app.tx_id(raw))
            if located is not None:
                record, index = located
                result = TxResult.from_obj(record["results"][index])
                found[raw] = SubmitResult(
                    self._app.tx_id(raw), None, record["height"], index, result
                )
        return found

    def _locate(self, tx_id: bytes) -> tuple[dict[str, Any], int] | None:
        """ABCI worker thread: the block record holding ``tx_id`` and the tx's index in it."""
        location = self._app.blocks.tx_location(tx_id)
        if location is None:
            return None
        record = self._app.block_record(location[0])
        return None if record is None else (record, location[1])

    def _record(self, height: int | None) -> dict[str, Any] | None:
        at = self._app.height if height is None else height
        return self._app.block_record(at) if at >= 1 else None

    def _block_view(self, record: dict[str, Any]) -> BlockView:
        signed = self._rpc_call(lambda: self._rpc.commit(record["height"]))
        return block_view(record, signed, self._tx_hasher())

    def _validator(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        key = entry["pub_key"]["value"]
        return {
            "name": self._names.get(key, ""),
            "address": entry["address"].lower(),
            "pub_key": {"type": "ed25519", "value": key},
            "power": str(entry["voting_power"]),
        }

    def _tx_hasher(self) -> Callable[[bytes], bytes]:
        if not self._app.suite:
            raise ErrNotInitialized("the chain has no genesis yet: CometBFT has not started it")
        return self._app.tx_id

    def _call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the ABCI worker thread and wait for it."""
        try:
            future = self._executor.call_app(fn)
        except RuntimeError:
            raise ErrShuttingDown("the node is shutting down; retry on another node") from None
        return future.result()

    def _rpc_call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except (httpx.HTTPError, RpcError, ValueError, KeyError) as exc:
            raise ErrEngineUnavailable(
                f"CometBFT at {self._rpc.url} did not answer: {exc}", url=self._rpc.url
            ) from None


def _chunks(raws: Sequence[bytes], max_batch: int, max_body: int) -> list[Sequence[bytes]]:
    """Split ``raws`` so no JSON-RPC batch exceeds CometBFT's count or body limit."""
    budget = max_body * 3 // 4
    chunks: list[Sequence[bytes]] = []
    start, size = 0, 0
    for i, raw in enumerate(raws):
        item = len(raw) * 4 // 3 + _ITEM_OVERHEAD
        if i > start and ((max_batch and i - start >= max_batch) or size + item > budget):
            chunks.append(raws[start:i])
            start, size = i, 0
        size += item
    if start < len(raws):
        chunks.append(raws[start:])
    return chunks


def _in_cache(error: RpcError) -> bool:
    return "already exists in cache" in str(error)


def _refusal(error: RpcError) -> TxResult:
    """The CheckTx-like result of a tx CometBFT refused before asking the application."""
    text = str(error)
    exc: FinchainError
    if _in_cache(error):
        exc = ErrDuplicateTx("the transaction is already in the mempool or was seen recently")
    elif "mempool is full" in text:
        exc = ErrMempoolFull(f"CometBFT's {text}; retry later")
    elif "too large" in text.lower():
        exc = ErrTxTooLarge(text)
    else:
        exc = ErrRefused(text)
    code, codespace, message = to_abci(exc)
    return TxResult(code, codespace, message)
