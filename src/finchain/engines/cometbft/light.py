"""CometBFT headers and commits read from its RPC, in the form ``finchain.light`` checks.

CometBFT's ``/commit`` and ``/block`` answer with strings for numbers, RFC 3339
times and base64 signatures; :func:`header_from_rpc` and :func:`commit_from_rpc`
turn them into finchain's form (integers, ``time_ns``, ``bytes``), whose hashes,
vote bytes and >2/3 check live in :mod:`finchain.light.cometbft` (standard
library only, shared with the SDK and the offline receipt verifier). A header
read here is tagged ``engine: cometbft``.
"""

from __future__ import annotations

import base64
import calendar
import re
import time
from collections.abc import Mapping
from typing import Any

from finchain.light.cometbft import ENGINE, HASH_FIELDS, commit_from_json, header_from_json

__all__ = ["commit_from_rpc", "header_from_rpc", "parse_time"]

_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z")
_NS = 1_000_000_000


def parse_time(text: str) -> int:
    """An RFC 3339 UTC time as CometBFT writes it (up to nanoseconds) -> ns since the epoch."""
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 UTC time: {text!r}")
    seconds = calendar.timegm(time.strptime(match[1], "%Y-%m-%dT%H:%M:%S"))
    return seconds * _NS + int((match[2] or "0").ljust(9, "0"))


def header_from_rpc(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A header from ``/commit`` or ``/block`` in finchain's form, tagged ``engine: cometbft``."""
    return header_from_json(
        {
            "engine": ENGINE,
            "version": {
                "block": int(obj["version"]["block"]),
                "app": int(obj["version"].get("app", 0)),
            },
            "chain_id": obj["chain_id"],
            "height": int(obj["height"]),
            "time_ns": parse_time(obj["time"]),
            "last_block_id": obj["last_block_id"],
            **{name: obj[name] for name in HASH_FIELDS},
        }
    )


def commit_from_rpc(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A commit (the precommit signatures for one block) in finchain's form."""
    return commit_from_json(
        {
            "height": obj["height"],
            "round": obj["round"],
            "block_id": obj["block_id"],
            "signatures": [
                {
                    "block_id_flag": sig["block_id_flag"],
                    "validator_address": sig["validator_address"],
                    "time_ns": parse_time(sig["timestamp"]),
                    "signature": base64.b64decode(sig["signature"] or "").hex(),
                }
                for sig in obj["signatures"]
            ],
        }
    )
