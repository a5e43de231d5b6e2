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
from finchain.app.ante import AnteChain, PolicyHook, SignatureCache, parse_msgs, stateless_checks
from finchain.app.genesis import Genesis
from finchain.app.readers import QueryReader
from finchain.codec import Tx, decode, decode_trusted, decode_tx, encode, encode_trusted
from finchain.core import gas
from finchain.core.context import Context, ExecMode
from finchain.core.errors import (
    ErrBadGenesis,
    ErrBadQuery,
    ErrNotInitialized,
    ErrUnknownMsg,
    ErrUnknownQuery,
    ErrWrongHeight,
)
from finchain.core.events import Event
from finchain.core.gas import GasMeter, MeteredStore
from finchain.core.kv import KVReader, Overlay
from finchain.core.module import Handler, Module, Query
from finchain.core.msgs import Msg
from finchain.core.params import ChainParams
from finchain.crypto import get_suite, hasher, verify_signature
from finchain.crypto.batch import verify_batch
from finchain.crypto.ed25519 import NAME as ED25519
from finchain.errors import FinchainError, to_abci
from finchain.modules.accounts.keeper import AccountsKeeper
from finchain.modules.accounts.module import AccountsModule
from finchain.modules.bank.keeper import BankKeeper
from finchain.modules.bank.module import BankModule
from finchain.modules.credentials.keeper import CredentialsKeeper
from finchain.modules.credentials.module import CredentialsModule
from finchain.modules.datarights.keeper import DataRightsKeeper
from finchain.modules.datarights.module import DataRightsModule
from finchain.modules.evidence.keeper import EvidenceKeeper
from finchain.modules.evidence.module import EvidenceModule
from finchain.modules.governance.errors import ErrGovernanceOnly, ErrNotGoverned
from finchain.modules.governance.keeper import GovernanceKeeper
from finchain.modules.governance.module import GovernanceModule, genesis_validator_set
from finchain.modules.identity.keeper import IdentityKeeper
from finchain.modules.identity.module import IdentityModule
from finchain.store import BlockStore, Database, StateStore, tx_root
from finchain.store.errors import ErrCorrupt

log = logging.getLogger(__name__)

KEY_CHAIN = b"app/chain"
KEY_PARAMS = b"app/params"
META_SUITE = b"app-meta/suite"
UNMETERED = 2**62
_DECODED_CACHE_SIZE = 20_000


@dataclass(frozen=True, slots=True)
class SignatureJob:
    entry: tuple[bytes, str, bytes]
    scheme: str
    public_key: bytes
    message: bytes
    signature: bytes

    def verify(self) -> bool:
        return verify_signature(self.scheme, self.public_key, self.message, self.signature)


def verified_jobs(jobs: Sequence[SignatureJob]) -> list[SignatureJob]:
    """The jobs whose signature is valid: the Ed25519 ones in one batch, the others singly.

    Batching halves the cost of a block's Ed25519 checks and, under ZIP 215
    (finchain.crypto.batch), gives each job exactly its single verdict, so what
    lands in the signature cache is what single verification would have said.
    """
    batched = [job for job in jobs if job.scheme == ED25519]
    verdicts = verify_batch([(job.public_key, job.message, job.signature) for job in batched])
    valid = [job for job, ok in zip(batched, verdicts, strict=True) if ok]
    return valid + [job for job in jobs if job.scheme != ED25519 and job.verify()]


class ChainParamsKeeper:
    """The chain parameters in state (``app/params``), for governance to change.

    The application still reads them at start and reloads them at the commit of
    a block that wrote the key; this only gives a module a door to that key.
    """

    def chain_params(self, reader: KVReader) -> ChainParams:
        return ChainParams.from_obj(decode(reader.get(KEY_PARAMS) or b"", max_size=1 << 20))

    def set_chain_params(self, ctx: Context, params: ChainParams) -> None:
        ctx.store.set(KEY_PARAMS, encode(params.to_obj()))


@dataclass(slots=True)
class _PendingBlock:
    height: int
    time_ns: int
    record: dict[str, Any]
    tx_ids: list[bytes]
    app_hash: bytes


class Application:
    """Open (or create) the application over a RocksDB directory.

    Example::

        app = Application("/var/lib/finchain/data")
        if app.info().last_height == 0:
            app.init_chain(Genesis.load("genesis.json"))
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        keep_recent: int = 0,
        hooks: Sequence[PolicyHook] = (),
    ) -> None:
        self.db = Database(data_dir)
        self._state: StateStore | None = None
        self.keep_recent = keep_recent
        self.accounts = AccountsKeeper()
        self.bank = BankKeeper(self.accounts)
        self.accounts.add_close_guard(self.bank.assert_can_close)
        self.governance = GovernanceKeeper(self.accounts, ChainParamsKeeper(), self)
        self._governance_module = GovernanceModule(self.governance)
        self.identity = IdentityKeeper(self.accounts)
        self.credentials = CredentialsKeeper(self.identity, self.accounts)
        self.evidence = EvidenceKeeper(self.accounts, self.identity)
        self.datarights = DataRightsKeeper(self.identity)
        self.accounts.add_close_guard(self.identity.assert_can_close)
        self.accounts.add_close_guard(self.credentials.assert_can_close)
        self.accounts.add_close_guard(self.governance.assert_can_close)
        self.modules: list[Module] = []
        self._routes: dict[str, tuple[type[Msg], Handler]] = {}
        self._queries: dict[str, Query] = {}
        for module in (
            AccountsModule(self.accounts),
            BankModule(self.bank),
            self._governance_module,
            IdentityModule(self.identity),
            CredentialsModule(self.credentials),
            EvidenceModule(self.evidence),
            DataRightsModule(self.datarights),
        ):
            self.register_module(module)
        self.signature_cache = SignatureCache()
        self.ante = AnteChain(self.accounts, hooks, self.signature_cache)
        self.blocks = BlockStore(self.db)
        self._pending: _PendingBlock | None = None
        self._decoded: dict[bytes, tuple[Tx, bytes, tuple[Msg, ...]]] = {}
        self._decoded_lock = threading.Lock()
        self._params_changed = False
        self.chain_id = ""
        self.suite = ""
        self.params = ChainParams()
        self._last_time_ns = 0
        suite_raw = self.db.get(META_SUITE)
        if suite_raw is not None:
            self._open_state(suite_raw.decode())

    def register_module(self, module: Module) -> None:
        """Add a module's messages and queries; done once at assembly, before the engine starts.

        Every node of a chain must register the same modules in the same order:
        the set of modules is part of the state machine.
        """
        for cls, handler in module.msg_handlers().items():
            if cls.TYPE in self._routes:
                raise ValueError(f"message type {cls.TYPE} registered twice")
            self._routes[cls.TYPE] = (cls, handler)
        for path in module.queries():
            if path in self._queries:
                raise ValueError(f"query path {path} registered twice")
        self._queries.update(module.queries())
        self.modules.append(module)

    def parse_governed(self, msg_type: str, value: dict[str, Any]) -> Msg:
        """A governed message from a proposal's ``exec`` action (governance's ``MsgRouter``)."""
        route = self._routes.get(msg_type)
        if route is None:
            raise ErrUnknownMsg(f"unknown message type {msg_type!r}")
        msg = route[0].from_value(value)
        msg.validate()
        if not msg.GOVERNED:
            raise ErrNotGoverned(
                f"{msg_type} is signed by an account, not executed by governance: "
                "send it in a transaction"
            )
        return msg

    def deliver(self, ctx: Context, msg: Msg) -> None:
        """Run ``msg``'s handler in ``ctx`` (governance's ``MsgRouter``)."""
        self._routes[msg.TYPE][1](ctx, msg)

    # -- lifecycle ---------------------------------------------------------------------------

    def _open_state(self, suite: str) -> None:
        self.suite = suite
        self._hash_name = get_suite(suite).hash_name
        self._hash = hasher(self._hash_name)
        self._state = StateStore(self.db, hash_name=self._hash_name, keep_recent=self.keep_recent)
        if self._state.version >= 0:
            self._check_storage()
            self._load_chain_meta()
        self._check = Overlay(self._state)

    def _check_storage(self) -> None:
        """Refuse to open state that disagrees with itself (R20 in docs/app_requirements.md).

        State and block record of a height are written in one atomic batch, so
        the block store's last height is the state's version, and the record of
        that block names the state's root as its app hash; the root node must hash
        to that root. Cheap (a few reads): ``finchain db check`` does the full walk.
        """
        state = self.state
        version = state.version
        if self.blocks.height != version and not (version == 0 and self.blocks.height == 0):
            raise ErrCorrupt(
                f"the state is at version {version} but the block store ends at height "
                f"{self.blocks.height}: the database at {self.db.path} lost writes; "
                "restore it from a backup or re-sync (docs/OPERATIONS.md, 'Storage damage')",
                version=version,
                block_height=self.blocks.height,
            )
        state.check_root()
        if version >= 1:
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
        chain = decode(state.get(KEY_CHAIN) or b"", max_size=1 << 20)
        self.chain_id = chain["chain_id"]
        self.params = ChainParams.from_obj(decode(state.get(KEY_PARAMS) or b"", max_size=1 << 20))
        if state.version >= 1:
            record = self.blocks.get(state.version)
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
        return max(self._state.version, 0) if self._state is not None else 0

    def close(self) -> None:
        self.db.close()

    def info(self) -> InfoResponse:
        if self._state is None or self._state.version < 0:
            return InfoResponse(0, b"", self.chain_id, self.suite)
        return InfoResponse(self.state.version, self.state.root(), self.chain_id, self.suite)

    def init_chain(self, genesis: Genesis) -> InitChainResponse:
        """Load genesis into state version 0.

        Idempotent for the same genesis: an engine may repeat it after a crash.
        """
        genesis_hash = genesis.hash()
        if self._state is not None and self._state.version >= 0:
            stored = decode(self.state.get(KEY_CHAIN) or b"", max_size=1 << 20)
            if stored["genesis_hash"] != genesis_hash:
                raise ErrBadGenesis(
                    f"this data directory holds chain {stored['chain_id']!r} with another genesis; "
                    "use an empty data directory for a new chain"
                )
            return InitChainResponse(self.state.root(0), genesis_validator_set(genesis.validators))
        self._open_state(genesis.suite)
        self.chain_id = genesis.chain_id
        self.params = genesis.params
        overlay = Overlay(self.state)
        ctx = self._context(overlay, GasMeter(UNMETERED), ExecMode.GENESIS, 0, genesis.time_ns)
        chain = {
            "chain_id": genesis.chain_id,
            "suite": genesis.suite,
            "genesis_hash": genesis_hash,
            "genesis_time_ns": genesis.time_ns,
        }
        ctx.store.set(KEY_CHAIN, encode(chain))
        ctx.store.set(KEY_PARAMS, encode(genesis.params.to_obj()))
        unknown = sorted(set(genesis.app_state) - {m.name for m in self.modules})
        if unknown:
            raise ErrBadGenesis(f"app_state has sections for unknown modules {unknown}")
        for module in self.modules:
            module.init_genesis(ctx, genesis.app_state.get(module.name, module.default_genesis()))
        validators = self._governance_module.init_validators(ctx, genesis.validators)
        problems = self._invariant_problems(overlay)
        if problems:
            raise ErrBadGenesis("genesis breaks invariants: " + "; ".join(problems))
        root = self.state.apply(0, overlay.writes)
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
        if request.misbehavior:
            self.governance.record_misbehavior(ctx, request.misbehavior)
        results = tuple(
            self._run_tx(block, raw, ExecMode.FINALIZE, request.height, request.time_ns)
            for raw in request.txs
        )
        for module in self.modules:
            module.end_block(ctx)
        validator_updates = self.governance.validator_updates(self.state, block)
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
            self.params = ChainParams.from_obj(
                decode(self.state.get(KEY_PARAMS) or b"", max_size=1 << 20)
            )
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
        args = dict(params or {})
        if path == "store":
            key = args.get("key")
            if not isinstance(key, bytes) or not key:
                raise ErrBadQuery("store query needs 'key' as bytes")
            raw = reader.get(key)
            value: Any = raw
        elif path == "app/params":
            value = decode(reader.get(KEY_PARAMS) or b"", max_size=1 << 20)
        elif path in self._queries:
            value = self._queries[path](reader, args)
        else:
            raise ErrUnknownQuery(
                f"unknown query path {path!r}; known: {sorted([*self._queries, 'store'])}"
            )
        if not prove:
            return QueryResponse(value, at)
        if reader.iterated:
            raise ErrBadQuery(f"{path} lists entries and cannot be proven; query a single entry")
        proofs = []
        for key in dict.fromkeys(reader.keys_read):
            proven_value, proof = state.prove(key, at)
            proofs.append(StateProof(key, proven_value, proof))
        return QueryResponse(value, at, state.root(at), tuple(proofs))

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
        reader = QueryReader(self.state, self.state.version, latest=True)
        return {m.name: m.export_genesis(reader) for m in self.modules}

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
        msgs = tuple(parse_msgs(tx, self._routes))
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
        jobs = []
        for raw in raws:
            try:
                tx, tx_id, _ = self._decode(raw)
            except FinchainError:
                continue
            account = self.accounts.get_account(self.state, tx.body.account)
            if account is None:
                continue
            message = tx.sign_bytes()
            for sig in tx.signatures:
                key = account.policy.key(sig.key_id)
                if key is not None:
                    entry = (tx_id, key.scheme, key.public_key + sig.signature)
                    if entry not in self.signature_cache:
                        jobs.append(
                            SignatureJob(entry, key.scheme, key.public_key, message, sig.signature)
                        )
        return jobs

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
            if in_block:
                ante_overlay.flush_into(parent)
            msg_overlay = Overlay(parent if in_block else ante_overlay)
            ctx.store = MeteredStore(msg_overlay, meter)
            for msg in msgs:
                self._routes[msg.TYPE][1](ctx, msg)
            if in_block:
                msg_overlay.flush_into(parent)
            else:
                msg_overlay.flush_into(ante_overlay)
                ante_overlay.flush_into(parent)
            events = ctx.events
        except FinchainError as exc:
            self._raise_if_faulted(faults)
            code, codespace, message = to_abci(exc)
            return TxResult(code, codespace, message, (), meter.consumed)
        except Exception:
            self._raise_if_faulted(faults)
            log.exception("internal error while executing a transaction")
            code, codespace, message = to_abci(RuntimeError())
            return TxResult(code, codespace, message, (), meter.consumed)
        self._raise_if_faulted(faults)
        return TxResult(0, "", "", tuple(events), meter.consumed)
