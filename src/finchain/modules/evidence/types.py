"""Evidence records: what the chain keeps about a document it never sees.

A record proves that a hash existed, who submitted it and when (the block's
height and time), and which other parties confirmed it by signing a
transaction of their own. It holds no document: only the hash, a short
``kind`` and a small map of metadata the submitter chose to publish.

The fields are declared once (``finchain.core.fields``): the same declaration
reads a message, a stored record and a genesis record, and writes each back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from finchain.codec import encode
from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import (
    DIGEST,
    HEIGHT,
    TIME_NS,
    Blob,
    Integer,
    ListOf,
    Nested,
    OneOf,
    Record,
    Text,
    wire,
)
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.identity.types import BOUND_DID

HASH_ALGS = ("sm3", "sha256")
HASH_BYTES = 32

KIND = re.compile(r"[a-z][a-z0-9_.-]{0,31}")
META_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")
MAX_META_ENTRIES = 16
MAX_META_VALUE = 256
MAX_META_BYTES = 1024
"""Bound on the metadata map as DAG-CBOR: room for references and labels, never a document."""
MAX_COSIGNERS = 16
MAX_TX_ID = 32
MAX_INT = 2**63 - 1
_MAX_LEAVES = 2**40  # far beyond any batch; keeps the count a plain decimal

BATCH_ROOT = "batch_root"
"""The kind of a record anchoring the Merkle root of a batch of document hashes."""


def tree_name(hash_alg: str) -> str:
    """The ``tree`` metadata of a batch root: RFC 6962 over leaves of ``hash_alg`` digests."""
    return f"rfc6962-{hash_alg}"


PENDING = "pending"
COMPLETE = "complete"


class Metadata:
    """A small map of strings, held as its sorted ``(key, value)`` pairs.

    At most ``MAX_META_ENTRIES`` entries, keys matching ``META_KEY``, values of at
    most ``MAX_META_VALUE`` bytes, and the whole map at most ``MAX_META_BYTES`` as
    DAG-CBOR.
    """

    def decode(self, value: Any, name: str) -> tuple[tuple[str, str], ...]:
        if type(value) is not dict:
            raise ErrInvalidMsg(f"field {name!r} must be a map of strings ({{}} for none)")
        if len(value) > MAX_META_ENTRIES:
            raise ErrInvalidMsg(f"field {name!r} holds more than {MAX_META_ENTRIES} entries")
        for key, item in value.items():
            if type(key) is not str or not META_KEY.fullmatch(key):
                raise ErrInvalidMsg(
                    f"{name} key {str(key)[:40]!r} must match {META_KEY.pattern} "
                    "(lower-case letters, digits, '_', '.', '-')"
                )
            if type(item) is not str or len(item.encode()) > MAX_META_VALUE:
                raise ErrInvalidMsg(
                    f"{name} {key!r} must be a string of at most {MAX_META_VALUE} bytes"
                )
        if len(encode(value)) > MAX_META_BYTES:
            raise ErrInvalidMsg(
                f"field {name!r} exceeds {MAX_META_BYTES} bytes encoded: keep references and "
                "labels there, never the document"
            )
        return tuple(sorted(value.items()))

    def encode(self, value: tuple[tuple[str, str], ...]) -> dict[str, str]:
        return dict(value)


# -- the domain codecs, declared once -----------------------------------------------------------

HASH_ALG = OneOf(*HASH_ALGS)
KIND_FIELD = Text(max_len=32, pattern=KIND.pattern)
METADATA = Metadata()
COSIGNERS = ListOf(ACCOUNT, max_items=MAX_COSIGNERS, unique=True, sort=True)
"""Co-signers: distinct account ids, a set on the wire (held in account order)."""
TX_ID = Blob(max_len=MAX_TX_ID)
"""A transaction id; empty for a record loaded from genesis without one."""


def check_batch_metadata(hash_alg: str, metadata: dict[str, str]) -> None:
    """A batch root must say its leaf count and its tree, exactly and nothing else."""
    count = metadata.get("count", "")
    if set(metadata) != {"count", "tree"} or not (
        count.isascii() and count.isdigit() and count == str(int(count))
    ):
        expected = f'{{"count": "<leaves>", "tree": "{tree_name(hash_alg)}"}}'
        raise ErrInvalidMsg(f"a {BATCH_ROOT} needs exactly the metadata {expected}")
    if not 1 <= int(count) <= _MAX_LEAVES:
        raise ErrInvalidMsg(f"a {BATCH_ROOT} count must be in [1, {_MAX_LEAVES}]")
    if metadata["tree"] != tree_name(hash_alg):
        raise ErrInvalidMsg(
            f"a {BATCH_ROOT} of {hash_alg} leaves must name tree {tree_name(hash_alg)!r}"
        )


@dataclass(frozen=True, slots=True)
class Cosignature(Record):
    """A named co-signer; ``height`` 0 while it has not signed yet.

    JSON form (queries, genesis): the fields, bytes as hex, and ``signed``.
    """

    WHAT = "co-signer"
    DERIVED = ("signed",)
    account: str = wire(ACCOUNT)
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)
    tx_id: bytes = wire(TX_ID)
    did: str = wire(BOUND_DID)

    @classmethod
    def named(cls, account: str) -> Cosignature:
        """A co-signer named by a record, before it signs."""
        return cls(account, 0, 0, b"", "")

    @property
    def signed(self) -> bool:
        return self.height > 0


@dataclass(frozen=True, slots=True)
class EvidenceRecord(Record):
    """One recorded hash. ``seq`` is its position among all records of the chain.

    ``tx_id`` is the id of the recording transaction (empty for records
    loaded from genesis); with ``height`` it locates the transaction whose
    inclusion proof an offline receipt carries.

    JSON form (the ``evidence/record`` answer and the genesis record): the
    fields, bytes as lowercase hex, and the derived ``status`` and
    ``completed_height`` (which ``from_json`` checks when given).
    """

    WHAT = "evidence record"
    DERIVED = ("status", "completed_height")
    hash_alg: str = wire(HASH_ALG)
    hash: bytes = wire(DIGEST)
    kind: str = wire(KIND_FIELD)
    metadata: tuple[tuple[str, str], ...] = wire(METADATA)
    submitter: str = wire(ACCOUNT)
    submitter_did: str = wire(BOUND_DID)
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)
    tx_id: bytes = wire(TX_ID)
    seq: int = wire(Integer(low=0, high=MAX_INT))
    cosigners: tuple[Cosignature, ...] = wire(ListOf(Nested(Cosignature), max_items=MAX_COSIGNERS))

    def check(self) -> None:
        accounts = [c.account for c in self.cosigners]
        if accounts != sorted(set(accounts)):
            raise ErrInvalidMsg(f"{self.WHAT}: co-signers must be distinct, in account order")
        if self.submitter in accounts:
            raise ErrInvalidMsg(f"{self.WHAT}: the submitter cannot be one of its co-signers")
        if self.kind == BATCH_ROOT:
            check_batch_metadata(self.hash_alg, dict(self.metadata))

    @property
    def key(self) -> tuple[str, bytes]:
        """What the record is found by: ``(hash_alg, hash)``."""
        return (self.hash_alg, self.hash)

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
