"""CometBFT headers and commits, offline: their hashes, the signed bytes, the >2/3 check.

On a CometBFT network no single key signs a block: validators holding more
than 2/3 of the voting power each sign a precommit vote for the block ID,
whose hash is the Merkle root of the header's fields. A third party holding a
trusted validator set checks a block with no node and no database:

1. ``header_hash(header)`` equals ``commit["block_id"]["hash"]``;
2. ``header["validators_hash"]`` equals ``validators_hash(trusted set)``;
3. the commit carries valid Ed25519 signatures of more than 2/3 of that set's power.

:func:`check_commit` does all three, with the signature check passed in
(``verify``, see :mod:`finchain.light.validators`). What a header then
vouches for: its ``data_hash`` is the root of the block's transactions
(leaves are the SHA-256 of each raw tx, :func:`data_hash`), and its
``app_hash`` is the application's state root **after the previous block**
(CometBFT's convention), so a state proof at height ``h`` is anchored by the
header of ``h + 1``.

Headers and commits are dicts in finchain's form: integers for heights and
times (``time_ns``), ``bytes`` for hashes and addresses. Their JSON form (the
API's: lowercase hex) converts back with :func:`header_from_json` /
:func:`commit_from_json`; ``finchain.engines.cometbft.light`` reads them from
CometBFT's RPC. Everything CometBFT hashes is SHA-256, whatever the chain's
suite: these are CometBFT's structures.

Encodings follow CometBFT v0.38 (``types/block.go`` ``Header.Hash``,
``types/vote.go`` ``VoteSignBytes``, ``types/canonical.go``), written out with a
few protobuf helpers so the check needs no generated code.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from finchain.light import rfc6962
from finchain.light.validators import Quorum, SignatureVerifier, Validator, validator_address

__all__ = [
    "ENGINE",
    "FLAG_ABSENT",
    "FLAG_COMMIT",
    "FLAG_NIL",
    "HASH_FIELDS",
    "PRECOMMIT",
    "block_id_from_json",
    "check_commit",
    "commit_from_json",
    "data_hash",
    "header_from_json",
    "header_hash",
    "merkle_root",
    "validator_address",
    "validators_hash",
    "verify_commit",
    "vote_sign_bytes",
]

ENGINE = "cometbft"
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


# -- the JSON form (bytes as hex) back to finchain's form ---------------------------------------


def block_id_from_json(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A block ID ``{hash, parts {total, hash}}`` with its hashes read from hex."""
    parts = obj["parts"]
    return {
        "hash": bytes.fromhex(obj["hash"]),
        "parts": {"total": int(parts["total"]), "hash": bytes.fromhex(parts["hash"])},
    }


def header_from_json(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A header with its block ID and hash fields read from hex (other members kept)."""
    header = dict(obj)
    header["last_block_id"] = block_id_from_json(obj["last_block_id"])
    for name in HASH_FIELDS:
        header[name] = bytes.fromhex(obj[name])
    return header


def commit_from_json(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A commit (the precommit signatures for one block) with its bytes read from hex."""
    return {
        "height": int(obj["height"]),
        "round": int(obj["round"]),
        "block_id": block_id_from_json(obj["block_id"]),
        "signatures": [
            {
                "block_id_flag": int(sig["block_id_flag"]),
                "validator_address": bytes.fromhex(sig["validator_address"]),
                "time_ns": int(sig["time_ns"]),
                "signature": bytes.fromhex(sig["signature"]),
            }
            for sig in obj["signatures"]
        ],
    }


# -- the check --------------------------------------------------------------------------------


def check_commit(
    header: Mapping[str, Any],
    commit: Mapping[str, Any],
    validators: Sequence[tuple[bytes, int]],
    *,
    verify: SignatureVerifier,
) -> str:
    """Why ``commit`` does not prove ``header`` under the trusted ``validators`` ("" if it does).

    Parameters:
        header, commit: finchain's form (:func:`header_from_json` / :func:`commit_from_json`).
        validators: the trusted set at that height, as (Ed25519 public key, power).
        verify: the signature check (:data:`~finchain.light.validators.SignatureVerifier`),
            called as ``verify("ed25519", public_key, vote_sign_bytes, signature)``.

    Nil and absent votes are not checked and add no power.
    """
    try:
        if commit["height"] != header["height"]:
            return f"the commit is for height {commit['height']}, the header {header['height']}"
        if header_hash(header) != commit["block_id"]["hash"]:
            return "the header does not hash to the committed block ID"
        if validators_hash(validators) != header["validators_hash"]:
            return "the header names another validator set than the trusted one"
        trusted = [Validator(validator_address(k), "ed25519", k, p) for k, p in validators]
        quorum = Quorum(trusted, verify)
        for sig in commit["signatures"]:
            if sig["block_id_flag"] != FLAG_COMMIT:
                continue
            address = sig["validator_address"]
            validator = quorum.signer(address)
            if validator is None:
                return f"signature by unknown or repeated validator {address.hex()}"
            message = vote_sign_bytes(header["chain_id"], commit, sig)
            if not quorum.add(validator, message, sig["signature"]):
                return f"the signature of validator {address.hex()} does not verify"
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"malformed header or commit: {exc}"
    if not quorum.reached:
        return f"signatures hold {quorum.signed} of {quorum.total} voting power, not more than 2/3"
    return ""


def verify_commit(
    header: Mapping[str, Any],
    commit: Mapping[str, Any],
    validators: Sequence[tuple[bytes, int]],
    *,
    verify: SignatureVerifier,
) -> bool:
    """True iff more than 2/3 of the trusted ``validators``' power signed this header."""
    return check_commit(header, commit, validators, verify=verify) == ""
