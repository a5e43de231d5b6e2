"""Reading CometBFT's RPC forms (``engines.cometbft.light``) and the API's batch splitting,
without processes. The commit check itself is ``finchain.light.cometbft``'s
(``tests/light/test_cometbft.py``); encodings are checked against real CometBFT
nodes in ``test_cometbft_api``.
"""

from __future__ import annotations

import base64
import time

import pytest

from finchain.crypto import verify_signature
from finchain.engines.cometbft import light
from finchain.engines.cometbft.service import _chunks
from finchain.light import cometbft
from tests.light.test_cometbft import make_block, sign


def _rfc3339(ns: int) -> str:
    seconds, nanos = divmod(ns, 10**9)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{nanos:09d}Z"


def _block_id(block_id: dict) -> dict:
    parts = block_id["parts"]
    return {
        "hash": block_id["hash"].hex().upper(),
        "parts": {"total": parts["total"], "hash": parts["hash"].hex().upper()},
    }


def test_rpc_headers_and_commits_read_into_the_checked_form():
    """CometBFT's JSON (strings, RFC 3339, uppercase hex, base64) reads into what
    ``finchain.light.cometbft`` hashes and checks, equal to the original."""
    header, commit, keys, validators = make_block([10, 10, 10])
    for key in keys:
        sign(commit, key)
    rpc_header = {
        "version": {"block": str(header["version"]["block"]), "app": "1"},
        "chain_id": header["chain_id"],
        "height": str(header["height"]),
        "time": _rfc3339(header["time_ns"]),
        "last_block_id": _block_id(header["last_block_id"]),
        **{name: header[name].hex().upper() for name in cometbft.HASH_FIELDS},
    }
    rpc_commit = {
        "height": str(commit["height"]),
        "round": 0,
        "block_id": _block_id(commit["block_id"]),
        "signatures": [
            {
                "block_id_flag": sig["block_id_flag"],
                "validator_address": sig["validator_address"].hex().upper(),
                "timestamp": _rfc3339(sig["time_ns"]),
                "signature": base64.b64encode(sig["signature"]).decode(),
            }
            for sig in commit["signatures"]
        ],
    }
    read_header, read_commit = light.header_from_rpc(rpc_header), light.commit_from_rpc(rpc_commit)
    assert read_header == header and read_commit == commit
    assert (
        cometbft.check_commit(read_header, read_commit, validators, verify=verify_signature) == ""
    )


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("1970-01-01T00:00:01Z", 1_000_000_000),
        ("2024-05-01T10:00:00.5Z", 1_714_557_600_500_000_000),
        ("2024-05-01T10:00:00.123456789Z", 1_714_557_600_123_456_789),
    ],
)
def test_rfc3339_times_to_nanoseconds(text, ns):
    assert light.parse_time(text) == ns


def test_batches_respect_cometbft_rpc_limits():
    raws = [bytes(300)] * 25
    assert [len(c) for c in _chunks(raws, 10, 10**9)] == [10, 10, 5]
    by_bytes = _chunks(raws, 0, 4 * 1024)  # ~496 bytes of JSON per tx, 3/4 of the body
    assert sum(len(c) for c in by_bytes) == 25 and max(len(c) for c in by_bytes) == 6
    assert _chunks([bytes(10**6)], 10, 1000) == [[bytes(10**6)]]  # one oversized tx still goes
