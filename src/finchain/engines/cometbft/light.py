"""CometBFT headers and commits, offline: read them from RPC, hash them, check the signatures.

On a CometBFT network no single key signs a block: validators holding more
than 2/3 of the voting power each sign a precommit vote for the block ID,
whose hash is the Merkle root of the header's fields. A third party holding a
trusted validator set checks a block with no node and no database:

1. ``header_hash(header)`` equals ``commit["block_id"]["hash"]``;
2. ``header["validators_hash"]`` equals ``validators_hash(trusted set)``;
3. the commit carries valid Ed25519 signatures of more than 2/3 of that set's power.

``check_commit`` does all three. What a header then vouches for: its
``data_hash`` is the root of the block's transactions (leaves are the SHA-256
of each raw tx, see ``data_hash``), and its ``app_hash`` is the application's
state root **after the previous block** (CometBFT's convention), so a state
proof at height ``h`` is anchored by the header of ``h + 1``.

The header and commit are dicts in finchain's form (``header_from_rpc``):
integers for heights and times (``time_ns``), ``bytes`` for hashes and
addresses. Their JSON form (lowercase hex) converts back with
``header_from_json`` / ``commit_from_json``. Everything CometBFT hashes is
SHA-256, whatever the chain's suite: these are CometBFT's structures.

Encodings follow CometBFT v0.38 (``types/block.go`` ``Header.Hash``,
``types/vote.go`` ``VoteSignBytes``, ``types/canonical.go``), written out with a
few protobuf helpers so the check needs no generated code.
"""

from __future__ import annotations

import base64
import calendar
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from finchain.crypto import verify_signature

# The hashed and signed byte forms live in a module with no node, store or database
# imports, so the offline receipt verifier shares them; re-exported here for callers.
from finchain.offchain.receipts.cometbft import (
    FLAG_ABSENT,
    FLAG_COMMIT,
    FLAG_NIL,
    PRECOMMIT,
    data_hash,
    header_hash,
    merkle_root,
    validator_address,
    validators_hash,
    vote_sign_bytes,
)
from finchain.offchain.receipts.cometbft import HASH_FIELDS as _HASH_FIELDS

ENGINE = "cometbft"
__all__ = [
    "ENGINE",
    "FLAG_ABSENT",
    "FLAG_COMMIT",
    "FLAG_NIL",
    "PRECOMMIT",
    "check_commit",
    "commit_from_json",
    "commit_from_rpc",
    "data_hash",
    "header_from_json",
    "header_from_rpc",
    "header_hash",
    "merkle_root",
    "parse_time",
    "validator_address",
    "validators_hash",
    "verify_commit",
    "vote_sign_bytes",
]
_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z")
_NS = 1_000_000_000


# -- reading CometBFT's RPC JSON -------------------------------------------------------------


def parse_time(text: str) -> int:
    """An RFC 3339 UTC time as CometBFT writes it (up to nanoseconds) -> ns since the epoch."""
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 UTC time: {text!r}")
    seconds = calendar.timegm(time.strptime(match[1], "%Y-%m-%dT%H:%M:%S"))
    return seconds * _NS + int((match[2] or "0").ljust(9, "0"))


def _block_id(obj: Mapping[str, Any]) -> dict[str, Any]:
    parts = obj["parts"]
    return {
        "hash": bytes.fromhex(obj["hash"]),
        "parts": {"total": int(parts["total"]), "hash": bytes.fromhex(parts["hash"])},
    }


def header_from_rpc(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A header from ``/commit`` or ``/block`` in finchain's form, tagged ``engine: cometbft``."""
    header: dict[str, Any] = {
        "engine": ENGINE,
        "version": {
            "block": int(obj["version"]["block"]),
            "app": int(obj["version"].get("app", 0)),
        },
        "chain_id": obj["chain_id"],
        "height": int(obj["height"]),
        "time_ns": parse_time(obj["time"]),
        "last_block_id": _block_id(obj["last_block_id"]),
    }
    for name in _HASH_FIELDS:
        header[name] = bytes.fromhex(obj[name])
    return header


def commit_from_rpc(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A commit (the precommit signatures for one block) in finchain's form."""
    return {
        "height": int(obj["height"]),
        "round": int(obj["round"]),
        "block_id": _block_id(obj["block_id"]),
        "signatures": [
            {
                "block_id_flag": int(sig["block_id_flag"]),
                "validator_address": bytes.fromhex(sig["validator_address"]),
                "time_ns": parse_time(sig["timestamp"]),
                "signature": base64.b64decode(sig["signature"] or ""),
            }
            for sig in obj["signatures"]
        ],
    }


# -- JSON form (the API's: bytes as hex) back to finchain's form ------------------------------


def header_from_json(obj: Mapping[str, Any]) -> dict[str, Any]:
    header = dict(obj)
    header["last_block_id"] = _block_id(obj["last_block_id"])
    for name in _HASH_FIELDS:
        header[name] = bytes.fromhex(obj[name])
    return header


def commit_from_json(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "height": int(obj["height"]),
        "round": int(obj["round"]),
        "block_id": _block_id(obj["block_id"]),
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
) -> str:
    """Why ``commit`` does not prove ``header`` under the trusted ``validators`` ("" if it does).

    Parameters:
        header, commit: finchain's form (``header_from_rpc`` / ``header_from_json``).
        validators: the trusted set at that height, as (Ed25519 public key, power).
    """
    try:
        if commit["height"] != header["height"]:
            return f"the commit is for height {commit['height']}, the header {header['height']}"
        if header_hash(header) != commit["block_id"]["hash"]:
            return "the header does not hash to the committed block ID"
        if validators_hash(validators) != header["validators_hash"]:
            return "the header names another validator set than the trusted one"
        by_address = {validator_address(key): (key, power) for key, power in validators}
        total = sum(power for _, power in validators)
        signed = 0
        seen: set[bytes] = set()
        for sig in commit["signatures"]:
            if sig["block_id_flag"] != FLAG_COMMIT:
                continue
            address = sig["validator_address"]
            if address in seen or address not in by_address:
                return f"signature by unknown or repeated validator {address.hex()}"
            seen.add(address)
            key, power = by_address[address]
            message = vote_sign_bytes(header["chain_id"], commit, sig)
            if not verify_signature("ed25519", key, message, sig["signature"]):
                return f"the signature of validator {address.hex()} does not verify"
            signed += power
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"malformed header or commit: {exc}"
    if 3 * signed <= 2 * total:
        return f"signatures hold {signed} of {total} voting power, not more than 2/3"
    return ""


def verify_commit(
    header: Mapping[str, Any],
    commit: Mapping[str, Any],
    validators: Sequence[tuple[bytes, int]],
) -> bool:
    """True iff more than 2/3 of the trusted ``validators``' power signed this header."""
    return check_commit(header, commit, validators) == ""
