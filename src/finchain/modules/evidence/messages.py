"""Messages of the evidence module: record a hash, co-sign a recorded hash.

One message covers batch anchoring too: a batch root is a record of kind
``batch_root`` whose metadata says how many leaves the tree has and which
tree it is, so a verifier of a per-document receipt can rely on both.
"""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import DIGEST, wire
from finchain.core.msgs import Msg
from finchain.modules.evidence.types import (
    BATCH_ROOT,
    COSIGNERS,
    HASH_ALG,
    KIND_FIELD,
    METADATA,
    check_batch_metadata,
)


@dataclass(frozen=True, slots=True)
class MsgRecord(Msg):
    """Record that a document with this hash exists, by the signer and ``cosigners``.

    The record is complete at once without co-signers; otherwise it stays
    pending until each named co-signer has sent ``evidence/cosign``.
    """

    TYPE = "evidence/record"
    hash_alg: str = wire(HASH_ALG)
    hash: bytes = wire(DIGEST)
    kind: str = wire(KIND_FIELD)
    metadata: tuple[tuple[str, str], ...] = wire(METADATA)
    cosigners: tuple[str, ...] = wire(COSIGNERS)

    def check(self) -> None:
        if self.kind == BATCH_ROOT:
            check_batch_metadata(self.hash_alg, dict(self.metadata))


@dataclass(frozen=True, slots=True)
class MsgCosign(Msg):
    """Sign a recorded hash as one of its named co-signers."""

    TYPE = "evidence/cosign"
    hash_alg: str = wire(HASH_ALG)
    hash: bytes = wire(DIGEST)


ALL_MSGS: tuple[type[Msg], ...] = (MsgRecord, MsgCosign)
