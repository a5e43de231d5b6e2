"""Request bodies (validated) and response shapes (documented in the OpenAPI schema).

Request models forbid unknown fields: a misspelt field silently ignored is a
transaction sent without what its author meant. Response models only
document: handlers build plain dicts (``encode.py``) so serving a block does
not validate it a second time.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from finchain.node.api.parse import BASE64_PATTERN, decode_b64


def _tx_bytes(value: Any) -> bytes:
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    try:
        return decode_b64(value)
    except ValueError as exc:
        # A custom error type lets the handler answer with ErrInvalidBase64, not a generic 400.
        raise PydanticCustomError("invalid_base64", str(exc)) from None


RawTx = Annotated[
    bytes,
    PlainValidator(_tx_bytes),
    WithJsonSchema(
        {
            "type": "string",
            "contentEncoding": "base64",
            "pattern": BASE64_PATTERN,
            "description": "signed transaction: standard base64, padded, canonical, not empty",
        }
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubmitTxRequest(_Strict):
    tx: RawTx


class SubmitBatchRequest(_Strict):
    txs: list[RawTx] = Field(
        min_length=1, description="1 to the node's max_batch (maxItems) transactions"
    )


# -- responses (documentation only) ------------------------------------------------------------


class ErrorModel(BaseModel):
    code: int
    codespace: str
    message: str
    details: dict[str, Any]


class EventModel(BaseModel):
    type: str
    attributes: list[tuple[str, str]]


class TxResultModel(BaseModel):
    code: int = Field(description="0 = success; else (codespace, code) from the error registry")
    codespace: str
    log: str
    events: list[EventModel]
    cost: int
    info: str = Field(
        default="", description="what judged the tx: ruleset=<v>[;sanctions=<v>] (not proven)"
    )


class SubmitResultModel(BaseModel):
    tx_id: str = Field(description="lowercase hex")
    check: TxResultModel | None = Field(description="check_tx result; null in async mode")
    height: int | None = Field(description="commit mode: the including block")
    index: int | None
    deliver: TxResultModel | None = Field(description="commit mode: the execution result")
    timed_out: bool


class SubmitBatchModel(BaseModel):
    results: list[SubmitResultModel]


class BlockModel(BaseModel):
    height: int
    time_ns: int
    header: dict[str, Any] = Field(description="bytes as lowercase hex")
    block_hash: str
    signature: str = Field(description="validator signature over the header, hex")
    validator: dict[str, Any]
    tx_ids: list[str]
    results: list[TxResultModel]
    events: list[EventModel]
    commit: dict[str, Any] | None = Field(
        description="CometBFT: the precommit signatures that committed the block; null on solo"
    )


class TxModel(BaseModel):
    tx_id: str
    raw: str = Field(description="the signed transaction, standard base64")
    height: int
    index: int
    result: TxResultModel
    events: list[EventModel]
    proof: dict[str, Any] = Field(
        description="Merkle inclusion proof against header.tx_root (solo) or "
        "header.data_hash (CometBFT, leaf data = SHA-256 of the raw tx)"
    )
    header: dict[str, Any]
    block_hash: str
    signature: str
    validator: dict[str, Any]
    commit: dict[str, Any] | None


class StatusModel(BaseModel):
    chain_id: str
    suite: str
    height: int
    app_hash: str
    latest_block_time_ns: int
    validators: list[dict[str, Any]]
    catching_up: bool
    mempool_size: int
    engine: str
    version: str
    genesis_hash: str = Field(
        description="hex suite hash of the chain's genesis document: tells apart chains that "
        "share a chain id (every `finchain dev` chain is finchain-dev); empty if unknown"
    )
    halted: str = Field(
        description="empty while the node commits blocks; else why it stopped for good "
        "(e.g. `[store:8] the database … is damaged …`): reads still work, submissions get "
        "`node:7`"
    )


class ReceiptMaterialModel(BaseModel):
    """What a receipt needs from the node (docs/receipts.md)."""

    chain: dict[str, Any] = Field(description="chain_id, engine, suite")
    tx: dict[str, Any] = Field(description="bytes (base64), id, index, proof")
    result: dict[str, Any] = Field(
        description="code, codespace, info (ruleset=<v>): the node's word, not in the receipt"
    )
    block: dict[str, Any] = Field(description="height, hash, header, commit")
    validators: list[dict[str, Any]] = Field(description="address, scheme, public_key, power")


class ProofEntryModel(BaseModel):
    key: str = Field(description="state key, hex")
    value: str | None = Field(description="value bytes, hex; null proves absence")
    proof: Any


class QueryModel(BaseModel):
    height: int
    value: Any
    root: str | None = Field(description="with prove=true: the app hash the proofs check against")
    proofs: list[ProofEntryModel] | None


class HealthStatus(StrEnum):
    """What ``/v1/health`` reports; 200 only for ``ok``."""

    OK = "ok"
    OVERLOADED = "overloaded"  # a slot pool is full: requests would get 429/503 now
    HALTED = "halted"  # block production stopped for good (storage damage): use another node


class HealthModel(BaseModel):
    status: HealthStatus
    details: dict[str, Any] | None = Field(
        default=None,
        description="absent when ok; overloaded: the full pools (`exhausted`: `requests`, "
        "`uploads`, `node_calls`) and, for each pool, `{in_use, limit}`; halted: `reason`, "
        "the node's one-line message (code and what to do)",
    )


# -- the event stream (Server-Sent Events) ----------------------------------------------------


class BlockFrameData(BaseModel):
    height: int
    time_ns: int
    app_hash: str = Field(description="lowercase hex")
    txs: int = Field(description="transactions in the block")


class TxEventFrameData(BaseModel):
    tx_id: str = Field(description="lowercase hex")
    event: EventModel


class BlockFrame(BaseModel):
    """``data`` of an ``event: block`` frame."""

    kind: Literal["block"]
    height: int
    data: BlockFrameData


class TxEventFrame(BaseModel):
    """``data`` of an ``event: tx_event`` frame: one event of one transaction."""

    kind: Literal["tx_event"]
    height: int
    data: TxEventFrameData


def _frame(kind: str, model: type[BaseModel]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["event", "id", "data"],
        "properties": {
            "event": {"type": "string", "enum": [kind]},
            "id": {"type": "string", "pattern": "^[0-9]+$", "description": "the block height"},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": f"#/components/schemas/{model.__name__}"},
            },
        },
    }


#: One SSE event, in the form of OpenAPI 3.2's ``itemSchema`` for ``text/event-stream``
#: (``: connected`` and ``: keep-alive`` are comments, not events).
STREAM_ITEM_SCHEMA: dict[str, Any] = {
    "oneOf": [_frame("block", BlockFrame), _frame("tx_event", TxEventFrame)]
}


class DidResolutionModel(BaseModel):
    """A DID Resolution result (W3C DID Resolution, DIF Universal Resolver driver)."""

    didDocument: dict[str, Any] | None = Field(description="null unless resolved")
    didDocumentMetadata: dict[str, Any]
    didResolutionMetadata: dict[str, Any] = Field(
        description="contentType, or error (invalidDid, invalidDidUrl, notFound, "
        "representationNotSupported) and errorMessage"
    )


#: Models that only hand-written schema fragments refer to (``{"$ref": ...}``); the
#: OpenAPI builder (``openapi.py``) adds them to ``components.schemas``.
EXTRA_SCHEMA_MODELS: tuple[type[BaseModel], ...] = (
    ErrorModel,
    BlockFrame,
    TxEventFrame,
    DidResolutionModel,
)
