"""The finchain application: a deterministic state machine with ABCI 2.0 semantics.

Three states, as in CometBFT's app requirements:

* block-execution state — an overlay over the last committed state, built by
  ``finalize_block`` and discarded or persisted by ``commit``;
* check state — an overlay used by ``check_tx`` so that consecutive
  transactions of one account see each other; reset at every commit;
* query state — the last committed state (or a retained older version), read-only.

``finalize_block`` computes; only ``commit`` writes, in one atomic batch that
holds the state tree's new nodes, the block record and the tx index. A node
killed at any instant restarts at the last committed height with its app hash.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

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
from finchain.app.ante import AnteChain, parse_msgs, stateless_checks
from finchain.app.chainstate import APP_STORE, CHAIN, META_SUITE, PARAMS, ChainParamsKeeper
from finchain.app.genesis import Genesis
from finchain.app.readers import QueryReader
from finchain.app.upgrade import ErrUpgradeNeeded, ErrVersionMismatch, Migrator
from finchain.app.wiring import Wiring
from finchain.codec import Tx, decode, decode_trusted, decode_tx, encode_trusted
from finchain.core import gas
from finchain.core.collections import check_disjoint
from finchain.core.context import Context, ExecMode
from finchain.core.errors import (
    ErrBadGenesis,
    ErrBadQuery,
    ErrGovernanceOnly,
    ErrNotInitialized,
    ErrUnknownQuery,
    ErrWrongHeight,
)
from finchain.core.events import Event
from finchain.core.gas import GasMeter, MeteredStore
from finchain.core.kv import KVReader, Overlay
from finchain.core.msgs import Msg
from finchain.core.params import ChainParams
from finchain.core.signatures import SignatureJob, verified_jobs
from finchain.crypto import get_suite, hasher
from finchain.errors import FinchainError, to_abci
from finchain.store import BlockStore, Database, StateStore, tx_root
from finchain.store.errors import ErrCorrupt

log = logging.getLogger(__name__)

UNMETERED = 2**62
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DECODED_CACHE_SIZE = 20_000
KEY_PARAMS = PARAMS.key


@dataclass(slots=True)
class _PendingBlock:
    height: int
    time_ns: int
    record: dict[str, Any]
    tx_ids: list[bytes]
    app_hash: bytes


class Application:
    """The base application: the ABCI lifecycle over the modules the composition root wires.

    It imports no module: ``wiring`` (``finchain.app.wiring``) brings the modules
    in order, the router, the ante decorators and the hooks. ``finchain.chain``
    builds the finchain chain this way::

        app = FinchainApp("/var/lib/finchain/data")
        if app.info().last_height == 0:
            app.init_chain(Genesis.load("genesis.json"))
    """

    def __init__(
        self, data_dir: str | os.PathLike[str], wiring: Wiring, *, keep_recent: int = 0
    ) -> None:
        check_disjoint([APP_STORE, *(m.store_key for m in wiring.modules)])
        self.wiring = wiring
        self.modules = tuple(wiring.modules)
        self.router = wiring.router
        self.signature_cache = wiring.signature_cache
        self.ante = AnteChain(wiring.ante)
        self.post = tuple(wiring.post)
        self._result_info = wiring.result_info
        self.migrator = Migrator(self.modules)
        self.keep_recent = keep_recent
        self.db = Database(data_dir)
        self._state: StateStore | None = None
        self.blocks = BlockStore(self.db)
        self._pending: _PendingBlock | None = None
        self._decoded: dict[bytes, tuple[Tx, bytes, tuple[Msg, ...]]] = {}
        self._decoded_lock = threading.Lock()
        self._params_changed = False
        self.chain_id = ""
        self.suite = ""
        self.params = ChainParams()
        self._last_time_ns = 0
        self.router.add_queries({"store": self._query_store, "app/params": self._query_params})
        try:
            suite_raw = self.db.get(META_SUITE)
            if suite_raw is not None:
                self._open_state(suite_raw.decode())
        except BaseException:
            self.db.close()
            raise

    # -- lifecycle ---------------------------------------------------------------------------

    def _open_state(self, suite: str) -> None:
        self.suite = suite
        self._hash_name = get_suite(suite).hash_name
        self._hash = hasher(self._hash_name)
        self._state = StateStore(self.db, hash_name=self._hash_name, keep_recent=self.keep_recent)
        if self._state.version >= 0:
            self._check_storage()
            self._load_chain_meta()
            self._check_versions()
        self._check = Overlay(self._state)

    def _check_versions(self) -> None:
        """Refuse state laid out for other module versions, unless the next block upgrades it.

        Executing a block with modules the state was not migrated to would compute
        an app hash no other node computes.
        """
        differences = self.migrator.differences(self.state)
        if not differences:
            return
        upgrades = self.wiring.upgrades
        plan = upgrades.pending_upgrade(self.state) if upgrades is not None else None
        if plan is not None and plan[1] == self.height + 1 and upgrades and upgrades.knows(plan[0]):
            return  # the upgrade block migrates them
        shown = ", ".join(f"{n} {a} -> {b}" for n, (a, b) in differences.items())
        raise ErrVersionMismatch(
            f"this version's modules differ from the chain's at height {self.height} ({shown}): "
            "run the version the chain is at until its upgrade height"
        )

    def _check_storage(self) -> None:
        """Refuse to open state that disagrees with itself (R20 in docs/app_requirements.md).

        State and block record of a height are written in one atomic batch, so
        the block store's last height is the state's version, and the record of
        that block names the state's root as its app hash; the root node must hash
        to that root. Cheap (a few reads): ``finchain db check`` does the full walk.
        """
        state = self.state
        version = state.version
        genesis_version = (CHAIN.get(state) or {}).get("initial_height", 1) - 1
        expected = self.blocks.height if self.blocks.height else genesis_version
        if version != expected:
            raise ErrCorrupt(
                f"the state is at version {version} but the block store ends at height "
                f"{self.blocks.height}: the database at {self.db.path} lost writes; "
                "restore it from a backup or re-sync (docs/OPERATIONS.md, 'Storage damage')",
                version=version,
                block_height=self.blocks.height,
            )
        state.check_root()
        if self.blocks.height:
            raw = self.blocks.get(version)
            if raw is None:
                raise ErrCorrupt(f"the record of block {version} is missing", height=version)
            if decode_trusted(raw).get("app_hash") != state.root():
                raise ErrCorrupt(
                    f"block {version} records an app hash that differs from the state's root: "
                    f"the database at {self.db.path} is damaged; restore it from a backup or "
                    "re-sync (docs/OPERATIONS.md, 'Storage damage')",
                    height=version,
                )

    def _raise_if_faulted(self, faults_before: int) -> None:
        """Re-raise storage damage met since ``faults_before``, even if some code caught it.

        A damaged read must never become a transaction's verdict, a failed proposal
        or a block's app hash: only the node can stop, and it must.
        """
        if self.db.faults != faults_before and self.db.last_fault is not None:
            raise self.db.last_fault

    def _load_chain_meta(self) -> None:
        state = self.state
        chain = CHAIN.get(state) or {}
        self.chain_id = chain["chain_id"]
        self.params = ChainParamsKeeper().chain_params(state)
        record = self.blocks.get(self.blocks.height) if self.blocks.height else None
        if record is not None:
            self._last_time_ns = decode_trusted(record)["time_ns"]
        else:
            self._last_time_ns = chain["genesis_time_ns"]

    @property
    def state(self) -> StateStore:
        if self._state is None:
            raise ErrNotInitialized("the chain has no genesis yet: run init_chain (finchain init)")
        return self._state

    @property
    def height(self) -> int:
        """The last committed height: the next block is ``height + 1``.

        Before the first block it is the genesis version: 0, or ``initial_height - 1``
        for a chain continued from an export.
        """
        return max(self._state.version, 0) if self._state is not None else 0

    def close(self) -> None:
        self.db.close()

    def info(self) -> InfoResponse:
        if self._state is None or self._state.version < 0:
            return InfoResponse(0, b"", self.chain_id, self.suite)
        # No block yet: height 0, as CometBFT expects of a chain with any initial height.
        last = self.state.version if self.blocks.height else 0
        return InfoResponse(last, self.state.root(), self.chain_id, self.suite)

    def init_chain(self, genesis: Genesis) -> InitChainResponse:
        """Load genesis into state version ``initial_height - 1`` (0 for a new chain).

        Idempotent for the same genesis: an engine may repeat it after a crash.
        """
        genesis_hash = genesis.hash()
        if self._state is not None and self._state.version >= 0:
            stored = CHAIN.get(self.state) or {}
            if stored.get("genesis_hash") != genesis_hash:
                raise ErrBadGenesis(
                    f"this data directory holds chain {stored.get('chain_id')!r} with another "
                    "genesis; use an empty data directory for a new chain"
                )
            source = self.wiring.validators
            return InitChainResponse(
                self.state.root(genesis.initial_height - 1),
                source.genesis_validator_set(genesis.validators) if source else (),
            )
        self._open_state(genesis.suite)
        self.chain_id = genesis.chain_id
        self.params = genesis.params
        overlay = Overlay(self.state)
        version = genesis.initial_height - 1
        ctx = self._context(
            overlay, GasMeter(UNMETERED), ExecMode.GENESIS, version, genesis.time_ns
        )
        chain = {
            "chain_id": genesis.chain_id,
            "suite": genesis.suite,
            "genesis_hash": genesis_hash,
            "genesis_time_ns": genesis.time_ns,
            "initial_height": genesis.initial_height,
        }
        CHAIN.set(ctx, chain)
        PARAMS.set(ctx, genesis.params)
        self.migrator.record(ctx)
        unknown = sorted(set(genesis.app_state) - {m.name for m in self.modules})
        if unknown:
            raise ErrBadGenesis(f"app_state has sections for unknown modules {unknown}")
        for module in self.modules:
            section = genesis.app_state.get(module.name, module.default_genesis())
            module.validate_genesis(section)
            module.init_genesis(ctx, section)
        source = self.wiring.validators
        validators = source.init_validators(ctx, genesis.validators) if source else ()
        problems = self._invariant_problems(overlay)
        if problems:
            raise ErrBadGenesis("genesis breaks invariants: " + "; ".join(problems))
        root = self.state.apply(version, overlay.writes)
        batch = self.db.batch()
        self.state.stage(batch)
        batch.put(META_SUITE, genesis.suite.encode())
        self.db.write(batch)
        self.state.mark_committed()
        self._last_time_ns = genesis.time_ns
        self._check = Overlay(self.state)
        return InitChainResponse(root, validators)

    # -- mempool -----------------------------------------------------------------------------

    def check_tx(self, raw: bytes, *, recheck: bool = False) -> TxResult:
        """Admission: run the whole transaction on check state and keep its effects on success."""
        mode = ExecMode.RECHECK if recheck else ExecMode.CHECK
        return self._run_tx(self._check, raw, mode, self.height + 1, self._last_time_ns)

    def prepare_proposal(
        self, txs: Sequence[bytes], *, max_bytes: int, height: int, time_ns: int
    ) -> list[bytes]:
        """Pick txs in order that fit ``max_bytes`` and still pass the ante chain.

        Not required to be deterministic; a proposer may order or drop as it likes.
        Messages are not executed here: a tx whose messages fail is still a valid
        block member (it fails with its code in finalize_block).
        """
        self._require_height(height)
        limit = min(max_bytes, self.params.max_block_bytes)
        faults = self.db.faults
        scratch = Overlay(self.state)
        chosen: list[bytes] = []
        size = 0
        for raw in txs:
            if size + len(raw) > limit:
                break
            try:
                tx, tx_id, msgs = self._decode(raw)
                meter = GasMeter(self.params.max_tx_cost)
                meter.charge(gas.TX_BASE + gas.TX_BYTE * len(raw), "admitting")
                ante_overlay = Overlay(scratch)
                ctx = self._context(
                    ante_overlay, meter, ExecMode.SIMULATE, height, time_ns, tx.body.account
                )
                self.ante.run(ctx, tx, tx_id, msgs)
            except FinchainError:
                continue
            ante_overlay.flush_into(scratch)
            chosen.append(raw)
            size += len(raw)
        self._raise_if_faulted(faults)
        return chosen

    def process_proposal(self, txs: Sequence[bytes], *, height: int, time_ns: int) -> bool:
        """Accept a proposal only if every tx decodes and passes the stateless checks."""
        if height != self.height + 1 or time_ns < self._last_time_ns:
            return False
        if sum(len(t) for t in txs) > self.params.max_block_bytes:
            return False
        try:
            for raw in txs:
                self._decode(raw)
        except FinchainError:
            return False
        return True

    # -- block execution ---------------------------------------------------------------------

    def finalize_block(self, request: FinalizeBlockRequest) -> FinalizeBlockResponse:
        self._require_height(request.height)
        if request.time_ns < self._last_time_ns:
            raise ErrWrongHeight(f"block time {request.time_ns} is before the previous block's")
        # Pre-pass: verify the block's signatures in a batch, with the keys of the block-start
        # state, so the ante chain finds them in the cache. It only warms the cache: a key
        # rotated earlier in this block is a miss, which the ante chain verifies singly.
        faults = self.db.faults
        self.add_verified(verified_jobs(self.signature_jobs(request.txs)))
        block = Overlay(self.state)
        ctx = self._context(
            block, GasMeter(UNMETERED), ExecMode.FINALIZE, request.height, request.time_ns
        )
        self._upgrade_if_due(ctx)
        validators = self.wiring.validators
        if request.misbehavior and validators is not None:
            validators.record_misbehavior(ctx, request.misbehavior)
        for module in self.modules:
            module.begin_block(ctx)
        results = tuple(
            self._run_tx(block, raw, ExecMode.FINALIZE, request.height, request.time_ns)
            for raw in request.txs
        )
        for module in self.modules:
            module.end_block(ctx)
        validator_updates = (
            validators.validator_updates(self.state, block) if validators is not None else ()
        )
        self._raise_if_faulted(faults)
        app_hash = self.state.apply(request.height, block.writes)
        self._params_changed = KEY_PARAMS in block.writes
        hash_tx = self._hash
        tx_ids = [hash_tx(raw) for raw in request.txs]
        record = {
            "height": request.height,
            "time_ns": request.time_ns,
            "txs": list(request.txs),
            "tx_root": tx_root(self._hash_name, list(request.txs)),
            "results": [r.to_obj() for r in results],
            "events": [e.to_obj() for e in ctx.events],
            "app_hash": app_hash,
            "proposer": request.proposer,
        }
        self._pending = _PendingBlock(request.height, request.time_ns, record, tx_ids, app_hash)
        return FinalizeBlockResponse(results, tuple(ctx.events), app_hash, validator_updates)

    def _upgrade_if_due(self, ctx: Context) -> None:
        """At a scheduled upgrade's height: migrate, or halt if this version does not know it."""
        upgrades = self.wiring.upgrades
        plan = upgrades.pending_upgrade(ctx.store) if upgrades is not None else None
        if upgrades is None or plan is None or plan[1] != ctx.height:
            return
        name, height = plan
        if not upgrades.knows(name):
            raise ErrUpgradeNeeded(
                f'UPGRADE "{name}" NEEDED at height {height}: this version does not know it; '
                "stop the node and start the version that does (docs/OPERATIONS.md, Upgrades)",
                name=name,
                height=height,
            )
        upgrades.apply(ctx, name, self.migrator)
        log.info("upgrade applied", extra={"upgrade": name, "height": height})

    def pending_block(self) -> dict[str, Any]:
        """The finalized, not yet committed block record (the engine reads it to build a header)."""
        if self._pending is None:
            raise ErrWrongHeight("no block is finalized")
        return dict(self._pending.record)

    def commit(self, *, extra: Mapping[str, Any] | None = None) -> CommitResponse:
        """Persist the finalized block atomically.

        ``extra`` lets the engine store what it produced around the block in the
        same batch (the solo engine: header and validator signature), so a block
        is never on disk without them.
        """
        pending = self._pending
        if pending is None:
            raise ErrWrongHeight("commit without a finalized block")
        record = pending.record if not extra else {**pending.record, **extra}
        batch = self.db.batch()
        self.state.stage(batch)
        self.blocks.stage(batch, pending.height, encode_trusted(record), pending.tx_ids)
        self.db.write(batch)
        self.state.mark_committed()
        self.blocks.mark_committed(pending.height)
        if self._params_changed:
            self.params = ChainParamsKeeper().chain_params(self.state)
            with self._decoded_lock:
                self._decoded.clear()
        self._pending = None
        self._last_time_ns = pending.time_ns
        self._check = Overlay(self.state)
        retain = pending.height - self.keep_recent + 1 if self.keep_recent else 0
        return CommitResponse(max(retain, 0))

    # -- queries -----------------------------------------------------------------------------

    def query(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        height: int | None = None,
        prove: bool = False,
    ) -> QueryResponse:
        """Serve a module query (``bank/balance``…) or ``store`` (a raw key) on committed state.

        With ``prove`` the response carries a membership or non-membership proof of
        every state entry the answer was computed from, against the app hash of ``height``.
        """
        state = self.state
        latest = state.version
        at = latest if height is None else height
        if not 0 <= at <= latest:
            raise ErrBadQuery(f"height {height} is not committed yet (latest is {latest})")
        reader = QueryReader(state, at, latest=at == latest)
        handler = self.router.queries.get(path)
        if handler is None:
            known = sorted(self.router.queries)
            raise ErrUnknownQuery(f"unknown query path {path!r}; known: {known}")
        value = handler(reader, dict(params or {}))
        if not prove:
            return QueryResponse(value, at)
        if reader.iterated:
            raise ErrBadQuery(f"{path} lists entries and cannot be proven; query a single entry")
        proofs = []
        for key in dict.fromkeys(reader.keys_read):
            proven_value, proof = state.prove(key, at)
            proofs.append(StateProof(key, proven_value, proof))
        return QueryResponse(value, at, state.root(at), tuple(proofs))

    @staticmethod
    def _query_store(reader: KVReader, args: dict[str, Any]) -> bytes | None:
        """A raw state entry by key (``store``): what a proof of any module's entry names."""
        key = args.get("key")
        if not isinstance(key, bytes) or not key:
            raise ErrBadQuery("store query needs 'key' as bytes")
        return reader.get(key)

    @staticmethod
    def _query_params(reader: KVReader, args: dict[str, Any]) -> Any:
        """The chain parameters as stored (``app/params``)."""
        return decode(reader.get(KEY_PARAMS) or b"", max_size=1 << 20)

    @property
    def last_block_time_ns(self) -> int:
        """Time of the last committed block (genesis time before the first block)."""
        return self._last_time_ns

    def tx_id(self, raw: bytes) -> bytes:
        """The transaction id: the suite hash of the complete signed bytes."""
        return self._hash(raw)

    @property
    def hash_name(self) -> str:
        return self._hash_name

    def block_record(self, height: int) -> dict[str, Any] | None:
        """A committed block record as written by ``commit`` (trusted: this node wrote it)."""
        raw = self.blocks.get(height)
        return None if raw is None else dict(decode_trusted(raw))

    def export_genesis(self) -> dict[str, Any]:
        """Every module's section of ``app_state``, from the last committed state."""
        reader = QueryReader(self.state, self.state.version, latest=True)
        return {m.name: m.export_genesis(reader) for m in self.modules}

    def export(self, *, chain_id: str | None = None) -> Genesis:
        """The last committed state as the genesis of a chain that continues it (Cosmos export).

        ``initial_height`` is the next height and ``genesis_time`` the last block's time
        (to the microsecond), so heights and times recorded in state keep their meaning;
        a new ``chain_id`` makes it a new network. Importing it gives the same state
        entry for entry, except the chain's own identity (``app/chain``: its genesis hash).
        """
        reader = QueryReader(self.state, self.state.version, latest=True)
        source = self.wiring.validators
        moment = _EPOCH + timedelta(microseconds=self._last_time_ns // 1000)
        return Genesis(
            chain_id=chain_id or self.chain_id,
            suite=self.suite,
            genesis_time=moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            params=self.params,
            app_state=self.export_genesis(),
            validators=source.genesis_validators(reader) if source is not None else [],
            initial_height=self.height + 1,
        )

    def check_invariants(self) -> list[str]:
        """Every module invariant over committed state; an empty list means all hold."""
        return self._invariant_problems(QueryReader(self.state, self.state.version, latest=True))

    # -- internals ---------------------------------------------------------------------------

    def _invariant_problems(self, reader: Any) -> list[str]:
        problems = []
        for module in self.modules:
            for name, invariant in module.invariants():
                problem = invariant(reader)
                if problem:
                    problems.append(f"{name}: {problem}")
        return problems

    def _require_height(self, height: int) -> None:
        if self._pending is not None:
            raise ErrWrongHeight(f"block {self._pending.height} is finalized but not committed")
        if height != self.height + 1:
            raise ErrWrongHeight(f"expected block {self.height + 1}, got {height}")

    def _context(
        self,
        overlay: Overlay,
        meter: GasMeter,
        mode: ExecMode,
        height: int,
        time_ns: int,
        signer: str = "",
    ) -> Context:
        return Context(
            MeteredStore(overlay, meter),
            height,
            time_ns,
            self.chain_id,
            self.suite,
            self.params,
            mode,
            signer,
        )

    def _decode(self, raw: bytes) -> tuple[Tx, bytes, tuple[Msg, ...]]:
        """Decode and run the stateless checks, remembering successes by the raw bytes.

        A transaction admitted by check_tx is decoded again by prepare_proposal,
        process_proposal and finalize_block; the result is a pure function of the
        bytes and the chain parameters (which only change at commit, when the
        memo is cleared), so decoding once is enough. Failures are not kept.
        """
        cached = self._decoded.get(raw)
        if cached is not None:
            return cached
        tx = decode_tx(raw, max_size=self.params.max_tx_bytes)
        stateless_checks(tx, self.chain_id, self.params)
        msgs = tuple(parse_msgs(tx, self.router.routes))
        for index, msg in enumerate(msgs):
            if msg.GOVERNED:
                raise ErrGovernanceOnly(
                    f"message #{index} ({msg.TYPE}) may only be executed by a passed governance "
                    'proposal: submit it as an action {"type": "exec", "msg": {...}}'
                )
        decoded = (tx, self._hash(raw), msgs)
        with self._decoded_lock:  # engines predecode from several threads (see predecode)
            if len(self._decoded) >= _DECODED_CACHE_SIZE:
                del self._decoded[next(iter(self._decoded))]
            self._decoded[raw] = decoded
        return decoded

    def predecode(self, raws: Sequence[bytes]) -> None:
        """Decode ``raws`` into the decode memo; safe to call without the engine's lock.

        Decoding reads only the bytes, the chain id and the parameters, so an
        engine can do this part of admission in parallel with block execution.
        """
        for raw in raws:
            try:
                self._decode(raw)
            except FinchainError:
                continue

    def signature_jobs(self, raws: Sequence[bytes]) -> list[SignatureJob]:
        """The signature checks ``raws`` will need, against the keys of the last committed state.

        An engine may run these off the application lock (Ed25519 verification
        releases the GIL) and report successes with ``add_verified``; check_tx then
        finds them in the signature cache. A wrong or stale guess costs nothing:
        a cache miss verifies again.
        """
        source = self.wiring.signatures
        if source is None:
            return []
        decoded = []
        for raw in raws:
            try:
                tx, tx_id, _ = self._decode(raw)
            except FinchainError:
                continue
            decoded.append((tx, tx_id))
        return source.signature_jobs(self.state, decoded)

    def add_verified(self, jobs: Sequence[SignatureJob]) -> None:
        for job in jobs:
            self.signature_cache.add(job.entry)

    def _run_tx(
        self, parent: Overlay, raw: bytes, mode: ExecMode, height: int, time_ns: int
    ) -> TxResult:
        """Ante then messages; messages' writes land in ``parent`` only if all of them succeed."""
        meter = GasMeter(self.params.max_tx_cost)
        events: list[Event] = []
        faults = self.db.faults
        routes = self.router.routes
        try:
            tx, tx_id, msgs = self._decode(raw)
            meter.charge(gas.TX_BASE + gas.TX_BYTE * len(raw), "admitting")
            ante_overlay = Overlay(parent)
            ctx = self._context(ante_overlay, meter, mode, height, time_ns, tx.body.account)
            ctx.tx_id = tx_id
            self.ante.run(ctx, tx, tx_id, msgs)
            # In a block the nonce is spent even if a message fails (R9). At admission
            # a failing transaction never enters the mempool, so it must spend nothing.
            in_block = mode is ExecMode.FINALIZE
            if ctx.defer_msgs:  # a decorator stored the messages to run later
                ante_overlay.flush_into(parent)
                return self._result(parent, 0, "", "", tuple(ctx.events), meter.consumed)
            if in_block:
                ante_overlay.flush_into(parent)
            msg_overlay = Overlay(parent if in_block else ante_overlay)
            ctx.store = MeteredStore(msg_overlay, meter)
            for msg in msgs:
                routes[msg.TYPE][1](ctx, msg)
            for post in self.post:
                post(ctx, tx, tx_id, msgs)
            if in_block:
                msg_overlay.flush_into(parent)
            else:
                msg_overlay.flush_into(ante_overlay)
                ante_overlay.flush_into(parent)
            events = ctx.events
        except FinchainError as exc:
            self._raise_if_faulted(faults)
            code, codespace, message = to_abci(exc)
            return self._result(parent, code, codespace, message, (), meter.consumed)
        except Exception:
            self._raise_if_faulted(faults)
            log.exception("internal error while executing a transaction")
            code, codespace, message = to_abci(RuntimeError())
            return self._result(parent, code, codespace, message, (), meter.consumed)
        self._raise_if_faulted(faults)
        return self._result(parent, 0, "", "", tuple(events), meter.consumed)

    def _result(
        self,
        state: Overlay,
        code: int,
        codespace: str,
        log_text: str,
        events: tuple[Event, ...],
        cost: int,
    ) -> TxResult:
        """A transaction's result, with the ``info`` the wiring asks every result to carry."""
        info = self._result_info(state) if self._result_info is not None else ""
        return TxResult(code, codespace, log_text, events, cost, info)
