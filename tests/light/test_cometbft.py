"""CometBFT commits offline (``finchain.light.cometbft``): the rules, without processes.

More than 2/3 of the power, each validator once, nil and absent votes not
counted, the header bound to the block ID and to the validator set. Encodings
are checked against real CometBFT nodes in ``tests/functional/cometbft``.
"""

from __future__ import annotations

from finchain.crypto import generate_private_key, verify_signature
from finchain.light import cometbft as light
from finchain.light import rfc6962
from finchain.light.hashes import hash_function

CHAIN = "light-test"


def check(header: dict, commit: dict, validators: list) -> str:
    return light.check_commit(header, commit, validators, verify=verify_signature)


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
        **{name: b"\x03" * 32 for name in light.HASH_FIELDS},
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
    assert "10 of 30" in check(header, commit, validators)
    sign(commit, keys[2])
    assert "20 of 30" in check(header, commit, validators)  # exactly 2/3: not enough
    header, commit, keys, validators = make_block([10, 10, 10, 1])
    for key in keys[:3]:
        sign(commit, key)
    assert check(header, commit, validators) == ""  # 30 of 31


def test_forgeries_are_refused():
    header, commit, keys, validators = make_block([10, 10, 10])
    for key in keys:
        sign(commit, key)
    assert light.verify_commit(header, commit, validators, verify=verify_signature)
    assert not light.verify_commit(
        {**header, "app_hash": b"\x09" * 32}, commit, validators, verify=verify_signature
    )
    assert not light.verify_commit(
        header, commit, [*validators[:2], (b"\x05" * 32, 10)], verify=verify_signature
    )
    repeated = {**commit, "signatures": [*commit["signatures"], commit["signatures"][0]]}
    assert "repeated" in check(header, repeated, validators)
    altered = dict(commit["signatures"][1], time_ns=commit["signatures"][1]["time_ns"] + 1)
    tampered = {**commit, "signatures": [commit["signatures"][0], altered, commit["signatures"][2]]}
    assert "does not verify" in check(header, tampered, validators)
    assert "malformed" in check(header, {"height": 7}, validators)


def test_the_json_form_reads_back_and_the_hashes_are_cometbft_s():
    header, commit, keys, validators = make_block([10, 20])
    for key in keys:
        sign(commit, key)

    def to_json(value):
        if isinstance(value, bytes):
            return value.hex()
        if isinstance(value, dict):
            return {k: to_json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [to_json(v) for v in value]
        return value

    assert light.header_from_json(to_json(header)) == header
    assert light.commit_from_json(to_json(commit)) == commit
    assert light.merkle_root([b"a", b"b"]) == rfc6962.tx_root("sha256", [b"a", b"b"])
    sha256 = hash_function("sha256")
    assert light.data_hash([b"tx"]) == rfc6962.root(sha256, [sha256(b"tx")])
    assert light.validators_hash(validators) == light.validators_hash(validators[::-1])
