"""Offline commit checks (``light``) and the API's batch splitting, without processes.

Encodings are checked against real CometBFT nodes in ``test_cometbft_api``;
here the rules: more than 2/3 of the power, each validator once, nil and absent
votes not counted, the header bound to the block ID and to the validator set.
"""

from __future__ import annotations

import pytest

from finchain.crypto import generate_private_key
from finchain.engines.cometbft import light
from finchain.engines.cometbft.service import _chunks

CHAIN = "light-test"


def make_block(powers: list[int]) -> tuple[dict, dict, list, list]:
    keys = [generate_private_key("ed25519") for _ in powers]
    validators = [(k.public_key().data, p) for k, p in zip(keys, powers, strict=True)]
    header = {
        "engine": "cometbft",
        "version": {"block": 11, "app": 1},
        "chain_id": CHAIN,
        "height": 7,
        "time_ns": 1_700_000_000_123_456_789,
        "last_block_id": {"hash": b"\x01" * 32, "parts": {"total": 1, "hash": b"\x02" * 32}},
        **{name: b"\x03" * 32 for name in light._HASH_FIELDS},
        "proposer_address": light.validator_address(validators[0][0]),
        "validators_hash": light.validators_hash(validators),
    }
    commit = {
        "height": 7,
        "round": 0,
        "block_id": {
            "hash": light.header_hash(header),
            "parts": {"total": 1, "hash": b"\x04" * 32},
        },
        "signatures": [],
    }
    return header, commit, keys, validators


def sign(commit: dict, key, flag: int = light.FLAG_COMMIT, time_ns: int = 1_700_000_001 * 10**9):
    sig = {
        "block_id_flag": flag,
        "validator_address": light.validator_address(key.public_key().data),
        "time_ns": time_ns,
        "signature": b"",
    }
    sig["signature"] = key.sign(light.vote_sign_bytes(CHAIN, commit, sig))
    commit["signatures"].append(sig)


def test_more_than_two_thirds_of_the_power_commits():
    header, commit, keys, validators = make_block([10, 10, 10])
    sign(commit, keys[0])
    sign(commit, keys[1], flag=light.FLAG_NIL)  # a nil vote adds no power
    assert "10 of 30" in light.check_commit(header, commit, validators)
    sign(commit, keys[2])
    assert "20 of 30" in light.check_commit(header, commit, validators)  # exactly 2/3: not enough
    header, commit, keys, validators = make_block([10, 10, 10, 1])
    for key in keys[:3]:
        sign(commit, key)
    assert light.check_commit(header, commit, validators) == ""  # 30 of 31


def test_forgeries_are_refused():
    header, commit, keys, validators = make_block([10, 10, 10])
    for key in keys:
        sign(commit, key)
    assert light.verify_commit(header, commit, validators)
    assert not light.verify_commit({**header, "app_hash": b"\x09" * 32}, commit, validators)
    assert not light.verify_commit(header, commit, [*validators[:2], (b"\x05" * 32, 10)])
    repeated = {**commit, "signatures": [*commit["signatures"], commit["signatures"][0]]}
    assert "repeated" in light.check_commit(header, repeated, validators)
    altered = dict(commit["signatures"][1], time_ns=commit["signatures"][1]["time_ns"] + 1)
    tampered = {**commit, "signatures": [commit["signatures"][0], altered, commit["signatures"][2]]}
    assert "does not verify" in light.check_commit(header, tampered, validators)
    assert "malformed" in light.check_commit(header, {"height": 7}, validators)


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
