"""Messages of the evidence module: record a hash, co-sign a recorded hash.

One message covers batch anchoring too: a batch root is a record of kind
``batch_root`` whose metadata says how many leaves the tree has and which
tree it is, so a verifier of a per-document receipt can rely on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from finchain.codec import encode
from finchain.core.errors import ErrInvalidMsg
from finchain.core.msgs import Msg
from finchain.core.schema import expect_fields, get_bytes, get_str, get_str_list
from finchain.modules.accounts.types import is_account_id
from finchain.modules.evidence.types import (
    BATCH_ROOT,
    HASH_ALGS,
    HASH_BYTES,
    KIND,
    MAX_COSIGNERS,
    MAX_META_BYTES,
    MAX_META_ENTRIES,
    MAX_META_VALUE,
    META_KEY,
    tree_name,
)

_MAX_LEAVES = 2**40  # far beyond any batch; keeps the count a plain decimal


def parse_hash_alg(value: dict[str, Any]) -> str:
    alg = get_str(value, "hash_alg", max_len=16)
    if alg not in HASH_ALGS:
        raise ErrInvalidMsg(f"field 'hash_alg' must be one of {list(HASH_ALGS)}, got {alg!r}")
    return alg


def parse_hash(value: dict[str, Any]) -> bytes:
    digest = get_bytes(value, "hash", max_len=HASH_BYTES)
    if len(digest) != HASH_BYTES:
        raise ErrInvalidMsg(f"field 'hash' must be a {HASH_BYTES}-byte digest, not {len(digest)}")
    return digest


def _metadata(value: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    meta = value.get("metadata")
    if not isinstance(meta, dict):
        raise ErrInvalidMsg("field 'metadata' must be a map of strings ({} for none)")
    if len(meta) > MAX_META_ENTRIES:
        raise ErrInvalidMsg(f"field 'metadata' holds more than {MAX_META_ENTRIES} entries")
    for key, item in meta.items():
        if type(key) is not str or not META_KEY.fullmatch(key):
            raise ErrInvalidMsg(
                f"metadata key {str(key)[:40]!r} must match {META_KEY.pattern} "
                "(lower-case letters, digits, '_', '.', '-')"
            )
        if type(item) is not str or len(item.encode()) > MAX_META_VALUE:
            raise ErrInvalidMsg(
                f"metadata {key!r} must be a string of at most {MAX_META_VALUE} bytes"
            )
    if len(encode(meta)) > MAX_META_BYTES:
        raise ErrInvalidMsg(
            f"field 'metadata' exceeds {MAX_META_BYTES} bytes encoded: keep references and "
            "labels there, never the document"
        )
    return tuple(sorted(meta.items()))


def _cosigners(value: dict[str, Any]) -> tuple[str, ...]:
    items = get_str_list(value, "cosigners", max_items=MAX_COSIGNERS, max_len=14)
    for item in items:
        if not is_account_id(item):
            raise ErrInvalidMsg(f"field 'cosigners': {item!r} is not a valid account id")
    return tuple(sorted(items))


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
class MsgRecord(Msg):
    """Record that a document with this hash exists, by the signer and ``cosigners``.

    The record is complete at once without co-signers; otherwise it stays
    pending until each named co-signer has sent ``evidence/cosign``.
    """

    TYPE = "evidence/record"
    hash_alg: str
    hash: bytes
    kind: str
    metadata: tuple[tuple[str, str], ...]
    cosigners: tuple[str, ...]

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"hash_alg", "hash", "kind", "metadata", "cosigners"}, cls.TYPE)
        kind = get_str(value, "kind", max_len=32)
        if not KIND.fullmatch(kind):
            raise ErrInvalidMsg(f"field 'kind': {kind!r} must match {KIND.pattern}")
        msg = cls(
            parse_hash_alg(value), parse_hash(value), kind, _metadata(value), _cosigners(value)
        )
        msg.validate()
        return msg

    def validate(self) -> None:
        if self.kind == BATCH_ROOT:
            check_batch_metadata(self.hash_alg, dict(self.metadata))

    def to_value(self) -> dict[str, Any]:
        return {
            "hash_alg": self.hash_alg,
            "hash": self.hash,
            "kind": self.kind,
            "metadata": dict(self.metadata),
            "cosigners": list(self.cosigners),
        }


@dataclass(frozen=True, slots=True)
class MsgCosign(Msg):
    """Sign a recorded hash as one of its named co-signers."""

    TYPE = "evidence/cosign"
    hash_alg: str
    hash: bytes

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"hash_alg", "hash"}, cls.TYPE)
        return cls(parse_hash_alg(value), parse_hash(value))

    def to_value(self) -> dict[str, Any]:
        return {"hash_alg": self.hash_alg, "hash": self.hash}


ALL_MSGS: tuple[type[Msg], ...] = (MsgRecord, MsgCosign)
