"""A single-process node: the Application driven by the solo block producer.

Threads: the callers' (API handlers, via ``NodeService`` methods), one
admitter thread and one producer thread. Every touch of the Application
happens under one lock, as CometBFT serialises its ABCI connections; the lock
is held for one block at a time, so API calls wait at most one block's
execution.

Submissions never take that lock themselves: each one is queued for the
admitter, which drains the queue whole, verifies the signatures of what it
took on two threads off the lock, then admits it all under one hold of the
lock. A hundred clients sending one transaction each thus cost one lock
hand-off, not a hundred (a convoy of threads on the lock, each hand-off of the
interpreter lock stretching the hold, was what limited single submissions).

Crash safety comes from the Application: a block is on disk with its header
and signature only after ``commit``'s single atomic batch; on restart the node
continues from the last committed height.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finchain.app import FinalizeBlockRequest, Genesis, QueryResponse, TxResult
from finchain.app.application import Application
from finchain.core.signatures import SignatureJob, verified_jobs
from finchain.crypto import PrivateKey
from finchain.engines.solo.header import build_header, header_hash, header_sign_bytes
from finchain.engines.solo.mempool import Mempool
from finchain.engines.solo.signstate import SignState
from finchain.errors import FinchainError, to_abci
from finchain.light.rfc6962 import tx_proof
from finchain.light.validators import validator_address
from finchain.service.errors import ErrHalted, ErrShuttingDown
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
from finchain.store.errors import ErrCorrupt

log = logging.getLogger("finchain.node")
#: Signature checks worth splitting over two threads (fewer are checked on one).
_SPLIT_VERIFY_MIN = 256
#: Newest blocks whose views are kept as built (``_remember``).
_RECENT_BLOCKS = 16
#: Transactions the admitter takes in one turn: bounds one hold of the lock.
_ADMIT_MAX_TXS = 4096


@dataclass
class _Waiter:
    done: threading.Event
    height: int = 0
    index: int = -1
    result: TxResult | None = None


@dataclass
class _Admission:
    """One submit call's transactions, queued for the admitter.

    ``answer`` is None for async mode (nobody waits); otherwise the admitter sets
    its result (the check results) or its exception. In commit mode it first
    fills ``waiters``: the positions of the admitted transactions and what to
    wait on for their block.
    """

    raws: Sequence[bytes]
    mode: SubmitMode
    answer: Future[list[SubmitResult]] | None
    waiters: list[tuple[int, _Waiter]] = field(default_factory=list)


def validator_entry(key: PrivateKey) -> dict[str, Any]:
    """The genesis ``validators`` entry for a solo validator key."""
    import base64

    public = key.public_key()
    return {
        "name": "validator",
        "pub_key": {"type": public.scheme, "value": base64.b64encode(public.data).decode()},
        "power": "10",
    }


@dataclass(frozen=True, slots=True)
class SoloClock:
    """Where a solo chain's block times come from: the wall clock, unless a dev chain says.

    A development chain may start its clock at a chosen time and run it ``rate``
    times faster (``finchain dev --clock-start --clock-rate``), so that record
    dates, coupon dates, maturities and deadlines days ahead are reached in
    seconds, the way a trading venue's test environment rehearses a calendar
    (anvil's ``--timestamp`` and ``evm_increaseTime`` serve the same purpose).
    Block times stay strictly increasing across restarts: a restarted clock
    continues from the last block's time.
    """

    start_ns: int = 0  # 0: the wall clock's time when the node starts
    rate: int = 1  # chain nanoseconds per wall nanosecond

    @property
    def is_wall(self) -> bool:
        return self.start_ns == 0 and self.rate == 1


@dataclass(frozen=True, slots=True)
class SoloSettings:
    """How the producer runs: ``[solo]`` of config.toml, as the node layer reads it."""

    instant: bool = False  # a block as soon as a transaction waits (else every interval)
    block_interval: float = 1.0  # seconds between blocks (instant: the longest wait)
    mempool_max_txs: int = 50_000
    mempool_max_bytes: int = 256 << 20
    clock: SoloClock = field(default_factory=SoloClock)


class SoloNode:
    """A node whose blocks come from its own validator key.

    The node owns ``app`` from here on (``stop`` closes it). ``sign_state`` is the
    validator's signing record (``engines.solo.signstate``). ``finchain.node.solo``
    builds one from a node's home::

        node = open_solo_node(Home(Path("~/.finchain")), instant=True)
        node.start()
        ...
        node.stop()
    """

    engine = "solo"

    def __init__(
        self,
        app: Application,
        genesis: Genesis,
        key: PrivateKey,
        *,
        settings: SoloSettings,
        sign_state: Path,
    ) -> None:
        self.instant = settings.instant
        self.block_interval = settings.block_interval
        self._key = key
        self._public = key.public_key()
        self.app = app
        self.genesis = genesis
        self._genesis_hash = genesis.hash()
        self.mempool = Mempool(
            max_txs=settings.mempool_max_txs, max_bytes=settings.mempool_max_bytes
        )
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._recent_blocks: dict[int, BlockView] = {}
        self._admissions: deque[_Admission] = deque()
        self._admissions_ready = threading.Condition()
        self._waiters: dict[bytes, list[_Waiter]] = {}
        self._streams = StreamHub()
        self._thread: threading.Thread | None = None
        self._admitter: threading.Thread | None = None
        self._verifier = ThreadPoolExecutor(max_workers=2, thread_name_prefix="finchain-verify")
        self._clock = settings.clock
        self._clock_origin = (0, 0)  # (chain time, monotonic time) the scaled clock runs from
        self._last_block_hash = self._load_last_block_hash()
        self._halted = ""
        try:
            self._signs = SignState.open(sign_state)
            stored = self.app.blocks.height
            heights = {stored, self._signs.last.height}
            self._signs.check_start(
                stored, {h: self._block_hash(h) for h in heights if 1 <= h <= stored}
            )
        except BaseException:
            self.app.close()
            raise

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if not self._clock.is_wall:
            begin = max(self._clock.start_ns or time.time_ns(), self.app.last_block_time_ns)
            self._clock_origin = (begin, time.monotonic_ns())
        self._admitter = threading.Thread(
            target=self._admit_loop, name="finchain-admitter", daemon=True
        )
        self._admitter.start()
        self._thread = threading.Thread(target=self._run, name="finchain-producer", daemon=True)
        self._thread.start()
        log.info(
            "node started",
            extra={
                "chain_id": self.app.chain_id,
                "height": self.app.height,
                "instant": self.instant,
            },
        )

    def stop(self) -> None:
        """Finish the block in progress, stop producing, close the database."""
        self._stopping.set()
        self._wake.set()
        with self._admissions_ready:
            self._admissions_ready.notify_all()
        if self._admitter is not None:
            self._admitter.join(timeout=60)
        with self._admissions_ready:  # queued with no admitter to take them (never started)
            leftover = list(self._admissions)
            self._admissions.clear()
        for admission in leftover:
            self._fail(admission, self._refusal())
        if self._thread is not None:
            self._thread.join(timeout=60)
        with self._lock:
            self._streams.close()
            for waiters in self._waiters.values():
                for waiter in waiters:
                    waiter.done.set()
            self.app.close()
        self._verifier.shutdown(wait=False)
        log.info("node stopped", extra={"height": self.app.height})

    # -- NodeService ---------------------------------------------------------------------------

    def status(self) -> NodeStatus:
        with self._lock:
            info = self.app.info()
            return NodeStatus(
                chain_id=info.chain_id,
                suite=info.suite,
                height=info.last_height,
                app_hash=info.last_app_hash,
                latest_block_time_ns=self.app.last_block_time_ns,
                validators=tuple(self.genesis.validators),
                catching_up=False,
                mempool_size=len(self.mempool),
                engine=self.engine,
                halted=self._halted,
                genesis_hash=self._genesis_hash,
            )

    def fault(self) -> str:
        return self._halted

    def submit(
        self, raws: Sequence[bytes], mode: SubmitMode, *, timeout: float
    ) -> list[SubmitResult]:
        if mode is SubmitMode.ASYNC:  # refused by _enqueue once the node is stopping
            self._enqueue(_Admission(raws, mode, None))
            return [SubmitResult(self.app.tx_id(raw), None) for raw in raws]
        admission = _Admission(raws, mode, Future())
        self._enqueue(admission)
        assert admission.answer is not None
        results, waiters = admission.answer.result(), admission.waiters
        deadline = time.monotonic() + timeout
        for position, waiter in waiters:
            remaining = deadline - time.monotonic()
            finished = remaining > 0 and waiter.done.wait(remaining)
            first = results[position]
            if finished and waiter.result is not None:
                results[position] = SubmitResult(
                    first.tx_id, first.check, waiter.height, waiter.index, waiter.result
                )
            else:
                results[position] = SubmitResult(first.tx_id, first.check, timed_out=True)
        return results

    def admit(self, raws: Sequence[bytes]) -> Future[list[SubmitResult]]:
        answer: Future[list[SubmitResult]] = Future()
        try:
            self._enqueue(_Admission(raws, SubmitMode.SYNC, answer))
        except FinchainError as exc:  # stopping
            answer.set_exception(exc)
        return answer

    def tx(self, tx_id: bytes) -> TxView | None:
        with self._lock:
            location = self.app.blocks.tx_location(tx_id)
            if location is None:
                return None
            height, index = location
            record = self.app.block_record(height)
            if record is None:
                return None
            return TxView(
                tx_id=tx_id,
                raw=record["txs"][index],
                height=height,
                index=index,
                result=TxResult.from_obj(record["results"][index]),
                proof=tx_proof(self.app.hash_name, record["txs"], index),
                block=self._block_view(record),
            )

    def block(self, height: int | None) -> BlockView | None:
        with self._lock:
            at = self.app.height if height is None else height
            recent = self._recent_blocks.get(at)
            if recent is not None:
                return recent
            record = self.app.block_record(at) if at >= 1 else None
            return None if record is None else self._block_view(record)

    def validator_set(self, height: int) -> tuple[BlockValidator, ...]:
        """The one validator key of genesis, with its genesis power: it signs every block."""
        power = int(self.genesis.validators[0]["power"])
        return (
            BlockValidator(
                validator_address(self._public.data), self._public.scheme, self._public.data, power
            ),
        )

    def query(
        self, path: str, params: Mapping[str, Any], *, height: int | None, prove: bool
    ) -> QueryResponse:
        with self._lock:
            return self.app.query(path, params, height=height, prove=prove)

    def subscribe(self, flt: EventFilter) -> AsyncIterator[StreamItem]:
        return self._streams.subscribe(flt)

    # -- block production ----------------------------------------------------------------------

    def _run(self) -> None:
        next_block = time.monotonic() + self.block_interval
        while not self._stopping.is_set():
            if self.instant:
                self._wake.wait(timeout=self.block_interval)
            else:
                self._wake.wait(timeout=max(0.0, next_block - time.monotonic()))
            self._wake.clear()
            if self._stopping.is_set():
                break
            with self._lock:
                due = time.monotonic() >= next_block
                if not (due or (self.instant and len(self.mempool))):
                    continue
                if self.instant and not len(self.mempool):
                    next_block = time.monotonic() + self.block_interval
                    continue
                try:
                    published = self._produce_block()
                except Exception as exc:
                    self._halt(exc)
                    return
            # A fixed rate: the next block is due one interval after this one was due,
            # not after it finished, so execution time does not stretch the period.
            next_block = max(next_block + self.block_interval, time.monotonic())
            self._streams.publish(published)

    def _produce_block(self) -> list[StreamItem]:
        app = self.app
        height = app.height + 1
        time_ns = max(self._now_ns(), app.last_block_time_ns + 1)
        reaped = self.mempool.reap(app.params.max_block_bytes)
        txs = app.prepare_proposal(
            reaped, max_bytes=app.params.max_block_bytes, height=height, time_ns=time_ns
        )
        if not app.process_proposal(txs, height=height, time_ns=time_ns):
            log.error("own proposal rejected; producing an empty block", extra={"height": height})
            txs = []
        response = app.finalize_block(
            FinalizeBlockRequest(height, time_ns, txs, proposer=self._public.data)
        )
        pending = app.pending_block()
        header = build_header(
            chain_id=app.chain_id,
            height=height,
            time_ns=time_ns,
            last_block_hash=self._last_block_hash,
            tx_root=pending["tx_root"],
            app_hash=response.app_hash,
            proposer=self._public.data,
        )
        block_hash = header_hash(header, app.suite)
        self._signs.check_sign(height, block_hash)
        signature = self._key.sign(header_sign_bytes(header))
        validator = {"scheme": self._public.scheme, "public_key": self._public.data}
        app.commit(extra={"header": header, "signature": signature, "validator": validator})
        # Durable before the lock is released: nobody reads the block before its record.
        self._signs.record(height, block_hash)
        self._last_block_hash = block_hash
        reaped_ids = {raw: app.tx_id(raw) for raw in reaped}  # txs is a subset of reaped
        tx_ids = [reaped_ids[raw] for raw in txs]
        self._remember(
            BlockView(
                height=height,
                time_ns=time_ns,
                header=header,
                block_hash=block_hash,
                signature=signature,
                validator=validator,
                tx_ids=tuple(tx_ids),
                results=response.tx_results,
                events=tuple(event.to_obj() for event in response.events),
            )
        )
        for tx_id in reaped_ids.values():
            self.mempool.remove(tx_id)
        for index, (tx_id, result) in enumerate(zip(tx_ids, response.tx_results, strict=True)):
            for waiter in self._waiters.pop(tx_id, []):
                waiter.height, waiter.index, waiter.result = height, index, result
                waiter.done.set()
        self._recheck()
        log.log(
            logging.INFO if txs else logging.DEBUG,
            "block committed",
            extra={"height": height, "txs": len(txs), "app_hash": response.app_hash.hex()},
        )
        if not self._streams.active:
            return []  # nobody listens: skip turning every event into a stream item
        return block_items(height, time_ns, response.app_hash, tx_ids, response.tx_results)

    def _now_ns(self) -> int:
        """The next block's time by this node's clock (before the strictly-increasing rule)."""
        if self._clock.is_wall:
            return time.time_ns()
        chain_origin, wall_origin = self._clock_origin
        return chain_origin + (time.monotonic_ns() - wall_origin) * self._clock.rate

    def _remember(self, view: BlockView) -> None:
        """Keep the newest blocks' views as built: clients that follow the chain read each
        new block at once, and rebuilding it from the stored record (decoding every
        result) cost more interpreter time than executing it."""
        self._recent_blocks[view.height] = view
        while len(self._recent_blocks) > _RECENT_BLOCKS:
            del self._recent_blocks[next(iter(self._recent_blocks))]

    def _halt(self, exc: Exception) -> None:
        """Stop producing for good: one clear log line, and every later submission refused.

        Storage damage or a refused signature is logged as its own message (it names
        the file and what to do); anything else is a bug, logged with its traceback.
        Reads keep being served, each failing with its own error if it meets the damage.
        """
        if isinstance(exc, FinchainError):
            self._halted = f"[{exc.codespace}:{exc.code}] {exc.message}"
            log.critical("block production halted: %s", self._halted)
        else:
            self._halted = "internal error: see the node log"
            log.exception("block production halted by an internal error")
        self._stopping.set()
        for tx_id in list(self._waiters):
            self._fail_waiters(tx_id, None)

    def _recheck(self) -> None:
        for tx_id, raw in self.mempool.items():
            result = self.app.check_tx(raw, recheck=True)
            if not result.ok:
                self.mempool.remove(tx_id)
                self._fail_waiters(tx_id, result)
        for tx_id in [t for t in self._waiters if t not in self.mempool]:
            self._fail_waiters(tx_id, None)

    def _fail_waiters(self, tx_id: bytes, result: TxResult | None) -> None:
        for waiter in self._waiters.pop(tx_id, []):
            waiter.result = result
            waiter.done.set()

    # -- admission -----------------------------------------------------------------------------

    def _admit(self, tx_id: bytes, raw: bytes) -> TxResult:
        try:
            self.mempool.check_room(tx_id, raw)
        except FinchainError as exc:
            code, codespace, message = to_abci(exc)
            return TxResult(code, codespace, message)
        result = self.app.check_tx(raw)
        if result.ok:
            self.mempool.add(tx_id, raw)
        return result

    def _verify(self, jobs: Sequence[SignatureJob]) -> list[SignatureJob]:
        """The valid ones of ``jobs``, checked off the application lock.

        Native verification releases the GIL, so the event loop and the producer run
        meanwhile. A large batch is split over two threads (both cores); a small one
        is checked here: handing it to other threads costs more interpreter-lock
        hand-offs than it saves.
        """
        if len(jobs) < _SPLIT_VERIFY_MIN:
            return verified_jobs(jobs)
        halves = [jobs[0::2], jobs[1::2]]
        return [job for part in self._verifier.map(verified_jobs, halves) for job in part]

    def _refusal(self) -> FinchainError:
        """Why a submission is refused once the node stops producing."""
        if self._halted:
            return ErrHalted(
                f"this node halted block production ({self._halted}); submit to another node"
            )
        return ErrShuttingDown("the node is shutting down; resubmit to another node or later")

    def _enqueue(self, admission: _Admission) -> None:
        with self._admissions_ready:
            if self._stopping.is_set():
                raise self._refusal()
            self._admissions.append(admission)
            self._admissions_ready.notify()

    def _take_admissions(self) -> list[_Admission]:
        """Everything queued (up to _ADMIT_MAX_TXS transactions), waiting for some first."""
        with self._admissions_ready:
            while not self._admissions and not self._stopping.is_set():
                self._admissions_ready.wait()
            taken: list[_Admission] = []
            count = 0
            while self._admissions and (not taken or count < _ADMIT_MAX_TXS):
                admission = self._admissions.popleft()
                taken.append(admission)
                count += len(admission.raws)
            return taken

    def _admit_loop(self) -> None:
        while True:
            taken = self._take_admissions()
            if not taken:  # stopping, and nothing left to answer
                return
            if self._stopping.is_set():
                for admission in taken:
                    self._fail(admission, self._refusal())
                continue
            try:
                self._admit_all(taken)
            except BaseException as exc:  # answered to each caller, never lost
                for admission in taken:
                    self._fail(admission, exc)

    def _admit_all(self, taken: Sequence[_Admission]) -> None:
        """One turn of the admitter: decoding and signatures off the lock, then one hold
        for the admission of everything taken (check_tx finds each signature cached)."""
        raws = [raw for admission in taken for raw in admission.raws]
        self.app.predecode(raws)
        with self._lock:
            jobs = self.app.signature_jobs(raws)
        verified = self._verify(jobs) if jobs else []
        with self._lock:
            self.app.add_verified(verified)
            answers = [(admission, self._admit_one(admission)) for admission in taken]
        if self.instant and any(
            r.check is not None and r.check.ok for _, results in answers for r in results
        ):
            self._wake.set()
        for admission, results in answers:
            if admission.answer is not None:
                admission.answer.set_result(results)

    def _admit_one(self, admission: _Admission) -> list[SubmitResult]:
        """A submit call's results, under the lock; commit mode registers its waiters."""
        commit = admission.mode is SubmitMode.COMMIT
        results: list[SubmitResult] = []
        for raw in admission.raws:
            tx_id = self.app.tx_id(raw)
            if commit:
                committed = self._committed_result(tx_id)
                if committed is not None:
                    results.append(committed)
                    continue
            if tx_id in self.mempool and commit:
                check = TxResult(0, log="already admitted; waiting for its block")
            else:
                check = self._admit(tx_id, raw)
            if admission.answer is None and not check.ok:
                log.debug(
                    "async tx refused", extra={"code": check.code, "codespace": check.codespace}
                )
            results.append(SubmitResult(tx_id, check))
            if check.ok and commit:
                waiter = _Waiter(threading.Event())
                self._waiters.setdefault(tx_id, []).append(waiter)
                admission.waiters.append((len(results) - 1, waiter))
        return results

    @staticmethod
    def _fail(admission: _Admission, error: BaseException) -> None:
        if admission.answer is not None and not admission.answer.done():
            admission.answer.set_exception(error)

    def _committed_result(self, tx_id: bytes) -> SubmitResult | None:
        location = self.app.blocks.tx_location(tx_id)
        if location is None:
            return None
        record = self.app.block_record(location[0])
        assert record is not None
        result = TxResult.from_obj(record["results"][location[1]])
        return SubmitResult(tx_id, None, location[0], location[1], result)

    # -- views and streaming -------------------------------------------------------------------

    def _load_last_block_hash(self) -> bytes:
        stored = self.app.blocks.height
        return self._block_hash(stored) if stored else self.genesis.hash()

    def _block_hash(self, height: int) -> bytes:
        record = self.app.block_record(height)
        if record is None or "header" not in record:
            raise ErrCorrupt(f"block {height} or its header is missing from the block store")
        return header_hash(record["header"], self.app.suite)

    def _block_view(self, record: dict[str, Any]) -> BlockView:
        header = record["header"]
        return BlockView(
            height=record["height"],
            time_ns=record["time_ns"],
            header=header,
            block_hash=header_hash(header, self.app.suite),
            signature=record["signature"],
            validator=record["validator"],
            tx_ids=tuple(self.app.tx_id(raw) for raw in record["txs"]),
            results=tuple(TxResult.from_obj(r) for r in record["results"]),
            events=tuple(record["events"]),
        )
