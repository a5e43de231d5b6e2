"""Evidence records: what the chain keeps about a document it never sees.

A record proves that a hash existed, who submitted it and when (the block's
height and time), and which other parties confirmed it by signing a
transaction of their own. It holds no document: only the hash, a short
``kind`` and a small map of metadata the submitter chose to publish.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

HASH_ALGS = ("sm3", "sha256")
ALG_CODES = {"sm3": 1, "sha256": 2}
ALG_NAMES = {code: name for name, code in ALG_CODES.items()}
HASH_BYTES = 32

KIND = re.compile(r"[a-z][a-z0-9_.-]{0,31}")
META_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")
MAX_META_ENTRIES = 16
MAX_META_VALUE = 256
MAX_META_BYTES = 1024
"""Bound on the metadata map as DAG-CBOR: room for references and labels, never a document."""
MAX_COSIGNERS = 16

BATCH_ROOT = "batch_root"
"""The kind of a record anchoring the Merkle root of a batch of document hashes."""


def tree_name(hash_alg: str) -> str:
    """The ``tree`` metadata of a batch root: RFC 6962 over leaves of ``hash_alg`` digests."""
    return f"rfc6962-{hash_alg}"


PENDING = "pending"
COMPLETE = "complete"


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A named co-signer; ``height`` 0 while it has not signed yet."""

    account: str
    height: int = 0
    time_ns: int = 0
    tx_id: bytes = b""
    did: str = ""

    @property
    def signed(self) -> bool:
        return self.height > 0

    def to_obj(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "height": self.height,
            "time_ns": self.time_ns,
            "tx_id": self.tx_id,
            "did": self.did,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Cosignature:
        return cls(obj["account"], obj["height"], obj["time_ns"], obj["tx_id"], obj["did"])

    def to_json(self) -> dict[str, Any]:
        return {**self.to_obj(), "tx_id": self.tx_id.hex(), "signed": self.signed}


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """One recorded hash. ``seq`` is its position among all records of the chain.

    ``tx_id`` is the id of the recording transaction (empty for records
    loaded from genesis); with ``height`` it locates the transaction whose
    inclusion proof an offline receipt carries.
    """

    hash_alg: str
    hash: bytes
    kind: str
    metadata: tuple[tuple[str, str], ...]
    submitter: str
    submitter_did: str
    height: int
    time_ns: int
    tx_id: bytes
    seq: int
    cosigners: tuple[Cosignature, ...]

    @property
    def status(self) -> str:
        return COMPLETE if all(c.signed for c in self.cosigners) else PENDING

    @property
    def completed_height(self) -> int | None:
        """The height at which the last party signed (None while pending)."""
        if self.status == PENDING:
            return None
        return max([self.height, *(c.height for c in self.cosigners)])

    def outstanding(self) -> tuple[str, ...]:
        return tuple(c.account for c in self.cosigners if not c.signed)

    def cosigner(self, account: str) -> Cosignature | None:
        for entry in self.cosigners:
            if entry.account == account:
                return entry
        return None

    def with_cosignature(self, signed: Cosignature) -> EvidenceRecord:
        cosigners = tuple(signed if c.account == signed.account else c for c in self.cosigners)
        return replace(self, cosigners=cosigners)

    def to_obj(self) -> dict[str, Any]:
        """The stored form (DAG-CBOR: bytes stay bytes)."""
        return {
            "hash_alg": self.hash_alg,
            "hash": self.hash,
            "kind": self.kind,
            "metadata": dict(self.metadata),
            "submitter": self.submitter,
            "submitter_did": self.submitter_did,
            "height": self.height,
            "time_ns": self.time_ns,
            "tx_id": self.tx_id,
            "seq": self.seq,
            "cosigners": [c.to_obj() for c in self.cosigners],
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> EvidenceRecord:
        return cls(
            obj["hash_alg"],
            obj["hash"],
            obj["kind"],
            tuple(sorted(obj["metadata"].items())),
            obj["submitter"],
            obj["submitter_did"],
            obj["height"],
            obj["time_ns"],
            obj["tx_id"],
            obj["seq"],
            tuple(Cosignature.from_obj(c) for c in obj["cosigners"]),
        )

    def to_json(self) -> dict[str, Any]:
        """The query and genesis form: bytes as lowercase hex, status derived."""
        return {
            **self.to_obj(),
            "hash": self.hash.hex(),
            "tx_id": self.tx_id.hex(),
            "cosigners": [c.to_json() for c in self.cosigners],
            "status": self.status,
            "completed_height": self.completed_height,
        }
