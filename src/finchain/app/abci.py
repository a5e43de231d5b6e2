"""Request and response types of the application, mirroring ABCI 2.0.

The solo engine and the CometBFT adapter translate to and from these; nothing
below the application knows which engine produced a call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from finchain.core.events import Event
from finchain.core.validators import Misbehavior as Misbehavior
from finchain.core.validators import ValidatorUpdate as ValidatorUpdate


@dataclass(frozen=True, slots=True)
class TxResult:
    code: int
    codespace: str = ""
    log: str = ""
    events: tuple[Event, ...] = ()
    cost: int = 0
    info: str = ""
    """ABCI's ExecTxResult.info: what judged the transaction (the composition root's
    ``Wiring.result_info``, e.g. ``ruleset=3``); not part of CometBFT's results hash."""

    @property
    def ok(self) -> bool:
        return self.code == 0

    def to_obj(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "codespace": self.codespace,
            "log": self.log,
            "events": [e.to_obj() for e in self.events],
            "cost": self.cost,
            "info": self.info,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> TxResult:
        return cls(
            obj["code"],
            obj["codespace"],
            obj["log"],
            tuple(Event.from_obj(e) for e in obj["events"]),
            obj["cost"],
            obj.get("info", ""),
        )


@dataclass(frozen=True, slots=True)
class InitChainResponse:
    app_hash: bytes
    validators: tuple[ValidatorUpdate, ...] = ()


@dataclass(frozen=True, slots=True)
class FinalizeBlockRequest:
    height: int
    time_ns: int
    txs: Sequence[bytes]
    proposer: bytes = b""
    block_hash: bytes = b""
    misbehavior: Sequence[Misbehavior] = ()


@dataclass(frozen=True, slots=True)
class FinalizeBlockResponse:
    tx_results: tuple[TxResult, ...]
    events: tuple[Event, ...]
    app_hash: bytes
    validator_updates: tuple[ValidatorUpdate, ...] = ()


@dataclass(frozen=True, slots=True)
class CommitResponse:
    retain_height: int


@dataclass(frozen=True, slots=True)
class InfoResponse:
    last_height: int
    last_app_hash: bytes
    chain_id: str
    suite: str
    app_version: int = 1


@dataclass(frozen=True, slots=True)
class StateProof:
    """A proof that ``key`` held ``value`` (None: was absent) under ``root`` at ``height``."""

    key: bytes
    value: bytes | None
    proof: dict[str, Any]


@dataclass(frozen=True, slots=True)
class QueryResponse:
    value: Any
    height: int
    root: bytes = b""
    proofs: tuple[StateProof, ...] = field(default_factory=tuple)
