"""Typed results of the SDK, parsed from the API's JSON.

Ids and hashes stay lowercase hex strings, as the API sends them (easy to
log, compare and pass back); raw transactions become ``bytes``; amounts
become ``int``. Results that can be proven carry a :class:`Proof` that checks
offline, with no node: pass the hash of the chain's suite (``status.hash_name``).
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from finchain.app.abci import TxResult
from finchain.core.events import Event
from finchain.crypto import get_suite, hash_bytes, verify_signature
from finchain.errors import FinchainError
from finchain.light import cometbft, solo
from finchain.light.rfc6962 import verify_tx_proof
from finchain.light.state import proof_from_json, verify_proof

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "Account",
    "Asset",
    "Balance",
    "Balances",
    "Block",
    "Event",
    "Proof",
    "ProofEntry",
    "QueryResult",
    "Status",
    "StreamEvent",
    "SubmitReceipt",
    "TxInfo",
    "TxResult",
]

# Header fields that are bytes (hex in JSON): needed to rebuild the signed header offline.
_HEADER_BYTES = ("last_block_hash", "tx_root", "app_hash", "proposer")

D = TypeVar("D", bound="DataclassInstance")


def _hex_or_none(value: Any) -> bytes | None:
    return None if value is None else bytes.fromhex(value)


def _parse(cls: type[D], obj: Mapping[str, Any], **convert: Callable[[Any], Any]) -> D:
    """``cls`` (a dataclass) from the JSON object that holds its fields by name.

    ``convert`` turns the named fields into their Python form; a field with a default may
    be missing (a node older than the field). A missing field without one: KeyError.
    """
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in obj:
            value = obj[f.name]
            values[f.name] = convert[f.name](value) if f.name in convert else value
        elif f.default is dataclasses.MISSING:
            raise KeyError(f.name)
    return cls(**values)


def _results(objs: Any) -> tuple[TxResult, ...]:
    return tuple(TxResult.from_obj(r) for r in objs)


def _events(objs: Any) -> tuple[Event, ...]:
    return tuple(Event.from_obj(e) for e in objs)


def _base64(text: Any) -> bytes:
    return base64.b64decode(text, validate=True)


@dataclass(frozen=True, slots=True)
class ProofEntry:
    """One state entry: ``key`` held ``value`` (None: was absent)."""

    key: bytes
    value: bytes | None
    proof: Any  # JSON form (hex strings); proof_from_json turns it back


@dataclass(frozen=True, slots=True)
class Proof:
    """Merkle proofs of every state entry an answer was read from, against ``root``."""

    root: bytes
    height: int
    entries: tuple[ProofEntry, ...]

    def verify(self, hash_name: str) -> bool:
        """True iff every entry checks against ``root`` (the app hash of ``height``).

        Trust in ``root`` comes from elsewhere: a signed block header of that height.
        """
        try:
            return bool(self.entries) and all(
                verify_proof(self.root, e.key, e.value, proof_from_json(e.proof), hash_name)
                for e in self.entries
            )
        except ValueError:
            return False


def _proof(obj: dict[str, Any]) -> Proof | None:
    if obj.get("root") is None:
        return None
    return Proof(
        root=bytes.fromhex(obj["root"]),
        height=obj["height"],
        entries=tuple(
            ProofEntry(bytes.fromhex(p["key"]), _hex_or_none(p["value"]), p["proof"])
            for p in obj["proofs"]
        ),
    )


@dataclass(frozen=True, slots=True)
class SubmitReceipt:
    """What the node said about one submitted transaction."""

    tx_id: str
    check: TxResult | None  # None in async mode
    height: int | None  # commit mode: the including block
    index: int | None
    deliver: TxResult | None  # commit mode: the execution result
    timed_out: bool
    #: Set by the SDK, not the node: how it read the answer to a submission it had to send
    #: again (an earlier attempt got through); empty otherwise.
    note: str = ""

    @property
    def committed(self) -> bool:
        return self.height is not None

    @property
    def ok(self) -> bool:
        """Nothing went wrong so far (async mode: nothing is known yet)."""
        return (
            not self.timed_out
            and (self.check is None or self.check.ok)
            and (self.deliver is None or self.deliver.ok)
        )

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> SubmitReceipt:
        return cls(
            tx_id=obj["tx_id"],
            check=None if obj["check"] is None else TxResult.from_obj(obj["check"]),
            height=obj["height"],
            index=obj["index"],
            deliver=None if obj["deliver"] is None else TxResult.from_obj(obj["deliver"]),
            timed_out=obj["timed_out"],
        )


def header_from_json(header: dict[str, Any]) -> dict[str, Any]:
    """The header as the validator signed it (hex fields back to bytes)."""
    return {k: bytes.fromhex(v) if k in _HEADER_BYTES else v for k, v in header.items()}


def engine_of(header: dict[str, Any]) -> str:
    """Which engine produced a header: CometBFT headers say so; solo ones carry no tag."""
    return str(header.get("engine", "solo"))


def _verify_header(header: dict[str, Any], signature: str, scheme: str, public_key: bytes) -> bool:
    if engine_of(header) != "solo":
        raise ValueError(
            f"this block comes from {engine_of(header)}: no single key signs it; check the "
            "validators' commit with verify_commit(validators)"
        )
    try:
        return solo.verify_header(
            header_from_json(header),
            bytes.fromhex(signature),
            scheme,
            public_key,
            verify=verify_signature,
        )
    except (ValueError, TypeError):
        return False


class _SignedHeader:
    """What a block and a committed tx share: a header and what vouches for it."""

    __slots__ = ()
    header: dict[str, Any]  # JSON form: bytes fields as hex
    signature: str
    commit: dict[str, Any] | None  # CometBFT: the validators' precommit signatures

    @property
    def engine(self) -> str:
        """``solo`` or ``cometbft``: which verification applies to this block."""
        return engine_of(self.header)

    def verify_commit(self, validators: Sequence[tuple[bytes, int]]) -> bool:
        """True iff more than 2/3 of the trusted validator set signed the header (CometBFT).

        ``validators``: (Ed25519 public key, power) of the set at this height, e.g.
        from the network's genesis. Raises ValueError on a solo block.
        """
        if self.commit is None or self.engine != cometbft.ENGINE:
            raise ValueError("only a CometBFT block carries a commit: use verify_signature on solo")
        try:
            return cometbft.verify_commit(
                cometbft.header_from_json(self.header),
                cometbft.commit_from_json(self.commit),
                validators,
                verify=verify_signature,
            )
        except (KeyError, TypeError, ValueError):
            return False


@dataclass(frozen=True, slots=True)
class Block(_SignedHeader):
    height: int
    time_ns: int
    header: dict[str, Any]  # JSON form: bytes fields as hex
    block_hash: str
    signature: str
    validator: dict[str, Any]  # {"scheme", "public_key" (hex)}
    tx_ids: tuple[str, ...]
    results: tuple[TxResult, ...]
    events: tuple[Event, ...]
    commit: dict[str, Any] | None = None  # CometBFT: the validators' precommit signatures

    def verify_signature(self, *, scheme: str, public_key: bytes) -> bool:
        """True iff the trusted validator key signed exactly this header (solo chains).

        Raises ValueError on a CometBFT block: use :meth:`verify_commit`.
        """
        return _verify_header(self.header, self.signature, scheme, public_key)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Block:
        return _parse(cls, obj, tx_ids=tuple, results=_results, events=_events)


@dataclass(frozen=True, slots=True)
class TxInfo(_SignedHeader):
    """A committed transaction with its inclusion proof and the signed header it is against."""

    tx_id: str
    raw: bytes
    height: int
    index: int
    result: TxResult
    proof: dict[str, Any]  # JSON form: {"index", "total", "leaf_hash", "aunts"}
    header: dict[str, Any]
    block_hash: str
    signature: str
    validator: dict[str, Any]
    commit: dict[str, Any] | None = None  # CometBFT: the validators' precommit signatures

    @property
    def events(self) -> tuple[Event, ...]:
        return self.result.events

    def verify_inclusion(self, hash_name: str) -> bool:
        """Offline: ``raw`` hashes to ``tx_id`` and is in the block whose header is given.

        ``hash_name`` is the chain's (tx ids use it). Solo: the proof is against
        ``header.tx_root`` with leaves ``raw``. CometBFT: against ``header.data_hash``,
        always SHA-256 (CometBFT's own hash, whatever the suite), leaves ``SHA-256(raw)``.
        """
        try:
            comet = self.engine == cometbft.ENGINE
            root = bytes.fromhex(self.header["data_hash" if comet else "tx_root"])
            proof = proof_from_json(self.proof)
            digest = hash_bytes(hash_name, self.raw).hex()
            tree_hash = "sha256" if comet else hash_name
            leaf = hash_bytes("sha256", self.raw) if comet else self.raw
        except (KeyError, ValueError, TypeError, FinchainError):
            return False
        return digest == self.tx_id and verify_tx_proof(tree_hash, root, leaf, proof)

    def verify_header(self, *, scheme: str, public_key: bytes) -> bool:
        """Offline: the trusted validator key signed the header (solo chains).

        Raises ValueError on a CometBFT block: use :meth:`verify_commit`.
        """
        return _verify_header(self.header, self.signature, scheme, public_key)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> TxInfo:
        return _parse(cls, obj, raw=_base64, result=TxResult.from_obj)


@dataclass(frozen=True, slots=True)
class Status:
    chain_id: str
    suite: str
    height: int
    app_hash: str
    latest_block_time_ns: int
    validators: tuple[dict[str, Any], ...]
    catching_up: bool
    mempool_size: int
    engine: str
    version: str
    genesis_hash: str = ""  # hex; "" from a node that does not report it

    @property
    def hash_name(self) -> str:
        """The chain's hash (``sha256``/``sm3``): what proofs and tx ids are computed with."""
        return get_suite(self.suite).hash_name

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Status:
        return _parse(cls, obj, validators=tuple)


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    status: str
    policy: dict[str, Any]  # {"keys": [{"id", "scheme", "public_key" (hex), "weight"}], ...}
    recovery: str
    created: int
    reset_due: int
    nonce: int  # the nonce the account's next transaction must carry
    pending_reset: dict[str, Any] | None
    height: int
    proof: Proof | None

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Account:
        value = obj["value"]
        acc = value["account"]
        return cls(
            id=acc["id"],
            status=acc["status"],
            policy=acc["policy"],
            recovery=acc["recovery"],
            created=acc["created"],
            reset_due=acc["reset_due"],
            nonce=value["nonce"],
            pending_reset=value["pending_reset"],
            height=obj["height"],
            proof=_proof(obj),
        )


@dataclass(frozen=True, slots=True)
class Balance:
    account: str
    asset: str
    amount: int  # in the asset's smallest unit
    frozen: int
    spendable: int
    height: int
    proof: Proof | None

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Balance:
        value = obj["value"]
        return cls(
            account=value["account"],
            asset=value["asset"],
            amount=int(value["amount"]),
            frozen=int(value["frozen"]),
            spendable=int(value["spendable"]),
            height=obj["height"],
            proof=_proof(obj),
        )


@dataclass(frozen=True, slots=True)
class Balances:
    account: str
    amounts: dict[str, int]  # asset symbol -> amount (smallest unit)
    height: int

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Balances:
        value = obj["value"]
        return cls(
            account=value["account"],
            amounts={b["asset"]: int(b["amount"]) for b in value["balances"]},
            height=obj["height"],
        )


@dataclass(frozen=True, slots=True)
class Asset:
    symbol: str
    name: str
    decimals: int
    max_supply: int  # 0: unlimited
    issuer: str
    minters: tuple[str, ...]
    burners: tuple[str, ...]
    supply: int
    height: int
    proof: Proof | None

    @classmethod
    def from_value(cls, value: dict[str, Any], height: int, proof: Proof | None) -> Asset:
        return cls(
            symbol=value["symbol"],
            name=value["name"],
            decimals=value["decimals"],
            max_supply=int(value["max_supply"]),
            issuer=value["issuer"],
            minters=tuple(value["minters"]),
            burners=tuple(value["burners"]),
            supply=int(value["supply"]),
            height=height,
            proof=proof,
        )

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Asset:
        value = obj["value"]
        return cls.from_value(
            {**value["asset"], "supply": value["supply"]}, obj["height"], _proof(obj)
        )

    @classmethod
    def list_from_json(cls, obj: dict[str, Any]) -> list[Asset]:
        return [cls.from_value(a, obj["height"], None) for a in obj["value"]["assets"]]


@dataclass(frozen=True, slots=True)
class QueryResult:
    """A generic query answer: the JSON value as the node returned it."""

    value: Any
    height: int
    proof: Proof | None

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> QueryResult:
        return cls(value=obj["value"], height=obj["height"], proof=_proof(obj))


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One event-stream item: ``kind`` "block" (data: height, time_ns, app_hash, txs) or
    "tx_event" (data: tx_id, event)."""

    kind: str
    height: int
    data: dict[str, Any]

    @property
    def event(self) -> Event | None:
        """The tx event, for ``kind == "tx_event"``."""
        raw = self.data.get("event")
        return Event.from_obj(raw) if isinstance(raw, dict) else None

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> StreamEvent:
        return _parse(cls, obj)
