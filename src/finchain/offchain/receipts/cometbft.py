"""CometBFT's hashed and signed byte forms, with no finchain imports beyond this package.

What a third party recomputes to check a CometBFT block offline: the header
hash (the block ID validators vote for), the validator-set hash the header
names, and the bytes each validator signed. Encodings follow CometBFT v0.38
(``types/block.go`` ``Header.Hash``, ``types/vote.go`` ``VoteSignBytes``,
``types/canonical.go``), written with a few protobuf helpers so no generated
code is needed. Everything here is SHA-256, whatever the chain's suite: these
are CometBFT's structures.

Headers and commits are dicts in finchain's form: integers for heights and
times (``time_ns``), ``bytes`` for hashes and addresses.
``finchain.engines.cometbft.light`` reads them from CometBFT's RPC and checks
commits with these functions; the receipt verifier uses them with no node.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from finchain.offchain.receipts import rfc6962

FLAG_ABSENT, FLAG_COMMIT, FLAG_NIL = 1, 2, 3
PRECOMMIT = 2
HASH_FIELDS = (
    "last_commit_hash",
    "data_hash",
    "validators_hash",
    "next_validators_hash",
    "consensus_hash",
    "app_hash",
    "last_results_hash",
    "evidence_hash",
    "proposer_address",
)
_NS = 1_000_000_000


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# -- protobuf, just enough --------------------------------------------------------------------


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 values are ten-byte two's complement varints
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _int(field: int, n: int) -> bytes:
    return _varint(field << 3) + _varint(n) if n else b""


def _len(field: int, data: bytes, *, always: bool = False) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(data)) + data if data or always else b""


def _sfixed64(field: int, n: int) -> bytes:
    return _varint(field << 3 | 1) + struct.pack("<q", n) if n else b""


def _timestamp(time_ns: int) -> bytes:
    seconds, nanos = divmod(time_ns, _NS)
    return _int(1, seconds) + _int(2, nanos)


def _block_id_bytes(block_id: Mapping[str, Any]) -> bytes:
    parts = block_id["parts"]
    return _len(1, block_id["hash"]) + _len(
        2, _int(1, parts["total"]) + _len(2, parts["hash"]), always=True
    )


def _is_zero_block_id(block_id: Mapping[str, Any]) -> bool:
    return not block_id["hash"] and not block_id["parts"]["total"] and not block_id["parts"]["hash"]


# -- hashes -----------------------------------------------------------------------------------


def merkle_root(items: Sequence[bytes]) -> bytes:
    """CometBFT's ``merkle.HashFromByteSlices`` (RFC 6962 with SHA-256)."""
    return rfc6962.root(_sha256, items)


def header_hash(header: Mapping[str, Any]) -> bytes:
    """The block hash: the Merkle root of the header's fields, each protobuf-encoded."""
    version = header["version"]
    fields = [
        _int(1, version["block"]) + _int(2, version["app"]),
        _len(1, header["chain_id"].encode()),
        _int(1, header["height"]),
        _timestamp(header["time_ns"]),
        _block_id_bytes(header["last_block_id"]),
        *(_len(1, header[name]) for name in HASH_FIELDS),
    ]
    return merkle_root(fields)


def data_hash(txs: Sequence[bytes]) -> bytes:
    """The header's ``data_hash`` of a block's raw txs: leaves are each tx's SHA-256."""
    return merkle_root([_sha256(tx) for tx in txs])


def validator_address(public_key: bytes) -> bytes:
    """A validator's address: the first 20 bytes of SHA-256 of its public key."""
    return _sha256(public_key)[:20]


def validators_hash(validators: Sequence[tuple[bytes, int]]) -> bytes:
    """The hash of a validator set of (Ed25519 public key, power), in CometBFT's order."""
    ordered = sorted(validators, key=lambda v: (-v[1], validator_address(v[0])))
    return merkle_root([_len(1, _len(1, key)) + _int(2, power) for key, power in ordered])


def vote_sign_bytes(chain_id: str, commit: Mapping[str, Any], sig: Mapping[str, Any]) -> bytes:
    """What a validator signed for one commit signature (a length-prefixed CanonicalVote)."""
    voted = commit["block_id"] if sig["block_id_flag"] == FLAG_COMMIT else None
    body = (
        _int(1, PRECOMMIT)
        + _sfixed64(2, commit["height"])
        + _sfixed64(3, commit["round"])
        + (
            _len(4, _block_id_bytes(voted), always=True)
            if voted is not None and not _is_zero_block_id(voted)
            else b""
        )
        + _len(5, _timestamp(sig["time_ns"]), always=True)
        + _len(6, chain_id.encode())
    )
    return _varint(len(body)) + body
