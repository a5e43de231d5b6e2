"""Translate ABCI 2.0 requests into calls on the one ``Application``, and its answers back.

This is plumbing only: every decision (what a tx costs, whether a block is
valid, what the app hash is) is the Application's, so the solo engine and a
CometBFT node compute the same state from the same blocks. What lives here:

* time: protobuf ``Timestamp`` <-> integer nanoseconds;
* InitChain: the finchain genesis comes from CometBFT's ``app_state`` (the
  network's one genesis document) or, when that is empty, from the node's own
  file; when both exist they must hash the same. The chain id, genesis time and
  validator set in CometBFT's genesis must agree with it, else the node refuses
  to start;
* Query: ``data`` is a UTF-8 JSON object of parameters; the answer's ``value``
  is UTF-8 JSON; proofs ride in ``proof_ops`` (format in docs/cometbft.md);
* misbehaviour reported in FinalizeBlock is decoded, logged, handed to a sink
  (``HOME/misbehavior.jsonl``) and passed to the Application, whose governance
  module records it as evidence and jails the validator;
* state sync snapshots are not offered; vote extensions are empty.

Any exception while serving a request becomes a ``ResponseException``, which
makes CometBFT stop: an app that cannot answer consensus must not guess.
CheckTx and Query never raise: their failures are codes for the client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import finchain
from finchain.app import FinalizeBlockRequest, Genesis, QueryResponse, TxResult
from finchain.app.abci import Misbehavior as AppMisbehavior
from finchain.app.abci import ValidatorUpdate
from finchain.app.application import Application
from finchain.core.errors import ErrBadGenesis, ErrBadQuery
from finchain.core.events import Event
from finchain.crypto import get_suite
from finchain.engines.cometbft.observer import AbciObserver, CommittedBlock
from finchain.engines.cometbft.validators import parse_validators
from finchain.engines.cometbft.wire import abci_types, decode_error
from finchain.errors import FinchainError, to_abci
from finchain.light.state import proof_to_json

log = logging.getLogger(__name__)

NS_PER_S = 1_000_000_000
PROOF_OP_PREFIX = "finchain/jmt/"
MISBEHAVIOR_KINDS = {0: "unknown", 1: "duplicate_vote", 2: "light_client_attack"}


class MalformedRequest(ValueError):
    """A frame that is not an ABCI request: the connection that sent it gets closed."""


@dataclass(frozen=True, slots=True)
class Misbehavior:
    """One validator misbehaviour CometBFT proved and reported in a block."""

    kind: str
    validator: bytes
    power: int
    height: int
    time_ns: int
    total_voting_power: int

    def to_obj(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "validator": self.validator.hex(),
            "power": self.power,
            "height": self.height,
            "time_ns": self.time_ns,
            "total_voting_power": self.total_voting_power,
        }


MisbehaviorSink = Callable[[int, Sequence[Misbehavior]], None]
"""Called with the block height and the misbehaviour its FinalizeBlock reported."""


class AbciAdapter:
    """Answer ABCI requests with one Application; not thread-safe (the server serializes).

    Example::

        adapter = AbciAdapter(FinchainApp(home / "data"), genesis=Genesis.load(path))
        response = adapter.handle(adapter.parse(frame_payload))

    Parameters:
        app: the state machine, already opened on its data directory.
        genesis: the node's own finchain genesis, if it has one (see the module docstring).
        on_misbehavior: where FinalizeBlock's misbehaviour goes; logged either way.
        observer: told of every CheckTx answer and every committed block (the
            node's HTTP API; see ``observer``).
    """

    def __init__(
        self,
        app: Application,
        *,
        genesis: Genesis | None = None,
        on_misbehavior: MisbehaviorSink | None = None,
        observer: AbciObserver | None = None,
    ) -> None:
        self.app = app
        self._genesis = genesis
        self._on_misbehavior = on_misbehavior
        self.observer = observer
        self._finalized: CommittedBlock | None = None
        self._pb = abci_types()
        self._handlers: dict[str, Callable[[Any], Any]] = {
            "echo": self._echo,
            "flush": self._flush,
            "info": self._info,
            "init_chain": self._init_chain,
            "query": self._query,
            "check_tx": self._check_tx,
            "commit": self._commit,
            "list_snapshots": self._list_snapshots,
            "offer_snapshot": self._offer_snapshot,
            "load_snapshot_chunk": self._load_snapshot_chunk,
            "apply_snapshot_chunk": self._apply_snapshot_chunk,
            "prepare_proposal": self._prepare_proposal,
            "process_proposal": self._process_proposal,
            "extend_vote": self._extend_vote,
            "verify_vote_extension": self._verify_vote_extension,
            "finalize_block": self._finalize_block,
        }

    def parse(self, payload: bytes) -> Any:
        """Decode one frame into a ``Request`` that carries a known request kind."""
        try:
            request = self._pb.Request.FromString(payload)
        except decode_error() as exc:
            raise MalformedRequest(f"not an ABCI request: {exc}") from None
        kind = request.WhichOneof("value")
        if kind not in self._handlers:
            raise MalformedRequest(f"request of unknown kind ({len(payload)} bytes)")
        return request

    def handle(self, request: Any) -> Any:
        """The ``Response`` to a parsed ``Request``."""
        kind = request.WhichOneof("value")
        try:
            return self._handlers[kind](getattr(request, kind))
        except Exception as exc:
            if isinstance(exc, FinchainError):  # storage damage, a refused block: one message
                log.critical("ABCI %s failed; CometBFT will stop: %s", kind, exc)
            else:
                log.exception("ABCI %s failed; CometBFT will stop", kind)
            return self._pb.Response(exception=self._pb.ResponseException(error=f"{kind}: {exc}"))

    # -- connection housekeeping -------------------------------------------------------------

    def _echo(self, req: Any) -> Any:
        return self._pb.Response(echo=self._pb.ResponseEcho(message=req.message))

    def _flush(self, _req: Any) -> Any:
        return self._pb.Response(flush=self._pb.ResponseFlush())

    def _info(self, _req: Any) -> Any:
        info = self.app.info()
        return self._pb.Response(
            info=self._pb.ResponseInfo(
                data="finchain",
                version=finchain.__version__,
                app_version=info.app_version,
                last_block_height=info.last_height,
                last_block_app_hash=info.last_app_hash,
            )
        )

    # -- consensus ---------------------------------------------------------------------------

    def _init_chain(self, req: Any) -> Any:
        genesis = self._chain_genesis(req.app_state_bytes)
        if req.chain_id != genesis.chain_id:
            raise ErrBadGenesis(
                f"CometBFT's chain_id {req.chain_id!r} is not the finchain genesis's "
                f"{genesis.chain_id!r}"
            )
        if timestamp_ns(req.time) != genesis.time_ns:
            raise ErrBadGenesis(
                f"CometBFT's genesis_time is not the finchain genesis_time {genesis.genesis_time}"
            )
        validators = parse_validators(genesis.validators)
        offered = {(bytes(v.pub_key.ed25519), v.power) for v in req.validators}
        if offered and offered != {(v.public_key, v.power) for v in validators}:
            raise ErrBadGenesis("CometBFT's genesis validators differ from the finchain genesis's")
        response = self.app.init_chain(genesis)
        pb_validators = [self._validator_update(v) for v in response.validators or validators]
        return self._pb.Response(
            init_chain=self._pb.ResponseInitChain(
                app_hash=response.app_hash, validators=pb_validators
            )
        )

    def _chain_genesis(self, app_state_bytes: bytes) -> Genesis:
        if not app_state_bytes:
            if self._genesis is None:
                raise ErrBadGenesis(
                    "CometBFT's genesis has no app_state and this node has no finchain genesis"
                )
            return self._genesis
        try:
            embedded = Genesis.from_json_obj(json.loads(app_state_bytes), source="app_state")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ErrBadGenesis(f"CometBFT's app_state is not JSON: {exc}") from None
        if self._genesis is not None and self._genesis.hash() != embedded.hash():
            raise ErrBadGenesis(
                "CometBFT's app_state differs from this node's finchain genesis file"
            )
        return embedded

    def _prepare_proposal(self, req: Any) -> Any:
        txs = self.app.prepare_proposal(
            list(req.txs),
            max_bytes=req.max_tx_bytes,
            height=req.height,
            time_ns=timestamp_ns(req.time),
        )
        return self._pb.Response(prepare_proposal=self._pb.ResponsePrepareProposal(txs=txs))

    def _process_proposal(self, req: Any) -> Any:
        status = self._pb.ResponseProcessProposal
        accepted = self.app.process_proposal(
            list(req.txs), height=req.height, time_ns=timestamp_ns(req.time)
        )
        return self._pb.Response(
            process_proposal=status(status=status.ACCEPT if accepted else status.REJECT)
        )

    def _finalize_block(self, req: Any) -> Any:
        time_ns = timestamp_ns(req.time)
        reported = self._report_misbehavior(req.height, req.misbehavior) if req.misbehavior else []
        response = self.app.finalize_block(
            FinalizeBlockRequest(
                height=req.height,
                time_ns=time_ns,
                txs=list(req.txs),
                proposer=bytes(req.proposer_address),
                block_hash=bytes(req.hash),
                misbehavior=[
                    AppMisbehavior(
                        m.kind, m.validator, m.power, m.height, m.time_ns, m.total_voting_power
                    )
                    for m in reported
                ],
            )
        )
        log.info(
            "finalized block %d: %d txs, app hash %s",
            req.height,
            len(req.txs),
            response.app_hash.hex(),
        )
        if self.observer is not None:
            self._finalized = CommittedBlock(
                req.height,
                time_ns,
                list(req.txs),
                response.tx_results,
                response.events,
                response.app_hash,
            )
        return self._pb.Response(
            finalize_block=self._pb.ResponseFinalizeBlock(
                events=[self._event(e) for e in response.events],
                tx_results=[self._exec_result(r) for r in response.tx_results],
                validator_updates=[self._validator_update(v) for v in response.validator_updates],
                app_hash=response.app_hash,
            )
        )

    def _commit(self, _req: Any) -> Any:
        retain = self.app.commit().retain_height
        block, self._finalized = self._finalized, None
        if self.observer is not None and block is not None:
            try:
                self.observer.committed(block)
            except Exception:
                log.exception("the commit observer failed (block %d is committed)", block.height)
        return self._pb.Response(commit=self._pb.ResponseCommit(retain_height=retain))

    def _report_misbehavior(self, height: int, items: Any) -> list[Misbehavior]:
        """Decode, log and hand to the sink; the Application gets them too (governance jails)."""
        decoded = [
            Misbehavior(
                kind=MISBEHAVIOR_KINDS.get(m.type, "unknown"),
                validator=bytes(m.validator.address),
                power=m.validator.power,
                height=m.height,
                time_ns=timestamp_ns(m.time),
                total_voting_power=m.total_voting_power,
            )
            for m in items
        ]
        for m in decoded:
            log.warning(
                "block %d reports %s by validator %s at height %d",
                height,
                m.kind,
                m.validator.hex(),
                m.height,
            )
        if self._on_misbehavior is not None:
            self._on_misbehavior(height, decoded)
        return decoded

    # -- mempool -----------------------------------------------------------------------------

    def _check_tx(self, req: Any) -> Any:
        recheck = req.type == self._pb.RECHECK
        try:
            result = self.app.check_tx(bytes(req.tx), recheck=recheck)
        except Exception as exc:
            if not isinstance(exc, FinchainError):
                log.exception("check_tx failed")
            code, codespace, message = to_abci(exc)
            result = TxResult(code, codespace, message)
        if self.observer is not None:
            try:
                self.observer.checked(req.tx, result, recheck=recheck)
            except Exception:
                log.exception("the CheckTx observer failed")
        # No events: CometBFT neither indexes nor relays CheckTx events (its RPC's
        # broadcast answers carry code, log and codespace), and converting them cost
        # ~5% of a node's CPU under load. The node's own API gets them via the observer.
        return self._pb.Response(
            check_tx=self._pb.ResponseCheckTx(
                code=result.code,
                codespace=result.codespace,
                log=result.log,
                info=result.info,
                gas_wanted=result.cost,
                gas_used=result.cost,
            )
        )

    # -- queries -----------------------------------------------------------------------------

    def _query(self, req: Any) -> Any:
        try:
            params = query_params(req.path, bytes(req.data))
            answer = self.app.query(req.path, params, height=req.height or None, prove=req.prove)
            return self._pb.Response(query=self._query_response(req.path, params, answer))
        except Exception as exc:
            if not isinstance(exc, FinchainError):
                log.exception("query %s failed", req.path)
            code, codespace, message = to_abci(exc)
            return self._pb.Response(
                query=self._pb.ResponseQuery(
                    code=code, codespace=codespace, log=message, height=req.height
                )
            )

    def _query_response(self, path: str, params: dict[str, Any], answer: QueryResponse) -> Any:
        response = self._pb.ResponseQuery(
            value=json_bytes(answer.value),
            height=answer.height,
            key=params["key"] if path == "store" else b"",
        )
        if answer.proofs:
            op_type = PROOF_OP_PREFIX + get_suite(self.app.suite).hash_name
            for proof in answer.proofs:
                data = {
                    "height": answer.height,
                    "root": answer.root.hex(),
                    "value": None if proof.value is None else proof.value.hex(),
                    "proof": proof_to_json(proof.proof),
                }
                response.proof_ops.ops.add(type=op_type, key=proof.key, data=json_bytes(data))
        return response

    # -- not offered -------------------------------------------------------------------------

    def _list_snapshots(self, _req: Any) -> Any:
        return self._pb.Response(list_snapshots=self._pb.ResponseListSnapshots())

    def _offer_snapshot(self, _req: Any) -> Any:
        result = self._pb.ResponseOfferSnapshot
        return self._pb.Response(offer_snapshot=result(result=result.REJECT))

    def _load_snapshot_chunk(self, _req: Any) -> Any:
        return self._pb.Response(load_snapshot_chunk=self._pb.ResponseLoadSnapshotChunk())

    def _apply_snapshot_chunk(self, _req: Any) -> Any:
        result = self._pb.ResponseApplySnapshotChunk
        return self._pb.Response(apply_snapshot_chunk=result(result=result.ABORT))

    def _extend_vote(self, _req: Any) -> Any:
        return self._pb.Response(extend_vote=self._pb.ResponseExtendVote())

    def _verify_vote_extension(self, req: Any) -> Any:
        status = self._pb.ResponseVerifyVoteExtension
        accepted = not req.vote_extension
        return self._pb.Response(
            verify_vote_extension=status(status=status.ACCEPT if accepted else status.REJECT)
        )

    # -- conversions -------------------------------------------------------------------------

    def _event(self, event: Event) -> Any:
        return self._pb.Event(
            type=event.type,
            attributes=[
                self._pb.EventAttribute(key=k, value=v, index=True) for k, v in event.attributes
            ],
        )

    def _exec_result(self, result: TxResult) -> Any:
        return self._pb.ExecTxResult(
            code=result.code,
            codespace=result.codespace,
            log=result.log,
            info=result.info,
            gas_wanted=result.cost,
            gas_used=result.cost,
            events=[self._event(e) for e in result.events],
        )

    def _validator_update(self, update: ValidatorUpdate) -> Any:
        if update.scheme != "ed25519":
            raise ValueError(f"CometBFT validators use ed25519 keys, not {update.scheme}")
        vu = self._pb.ValidatorUpdate(power=update.power)
        vu.pub_key.ed25519 = update.public_key
        return vu


def timestamp_ns(timestamp: Any) -> int:
    """A protobuf ``Timestamp`` as integer nanoseconds since the epoch."""
    return int(timestamp.seconds) * NS_PER_S + int(timestamp.nanos)


def query_params(path: str, data: bytes) -> dict[str, Any]:
    """Parse a query's JSON parameters; ``store``'s ``key`` travels as hex and becomes bytes."""
    if not data:
        params: Any = {}
    else:
        try:
            params = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ErrBadQuery("query data must be a UTF-8 JSON object of parameters") from None
    if not isinstance(params, dict):
        raise ErrBadQuery("query data must be a JSON object")
    if path == "store":
        key = params.get("key")
        try:
            params["key"] = bytes.fromhex(key) if isinstance(key, str) else None
        except ValueError:
            params["key"] = None
        if not params["key"]:
            raise ErrBadQuery('store query needs {"key": "<hex>"}')
    return params


def json_bytes(value: Any) -> bytes:
    """Canonical-looking UTF-8 JSON, with ``bytes`` as lowercase hex (JSON has no bytes)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_bytes_as_hex).encode()


def _bytes_as_hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
