"""Genesis validators and CometBFT file generation, without processes."""

from __future__ import annotations

import base64
import dataclasses

import pytest

from finchain.chain import FinchainApp
from finchain.core.errors import ErrBadGenesis
from finchain.crypto import generate_private_key
from finchain.engines.cometbft.config import cometbft_genesis, edit_toml
from finchain.engines.cometbft.validators import (
    MAX_TOTAL_POWER,
    address,
    parse_validators,
    validator_entry,
)
from tests.functional.cometbft.genesis import Accounts, genesis_with_validators

KEY = bytes(range(32))
B64 = base64.b64encode(KEY).decode()


def test_validator_entries_round_trip():
    (update,) = parse_validators([validator_entry("bank-a", KEY, 7)])
    assert (update.scheme, update.public_key, update.power) == ("ed25519", KEY, 7)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "a", "pub_key": {"type": "ed25519", "value": B64}}, "exactly"),
        ({"name": "", "pub_key": {"type": "ed25519", "value": B64}, "power": "1"}, "name"),
        ({"name": "a", "pub_key": {"type": "sm2", "value": B64}, "power": "1"}, "pub_key"),
        ({"name": "a", "pub_key": {"type": "ed25519", "value": "%%"}, "power": "1"}, "base64"),
        ({"name": "a", "pub_key": {"type": "ed25519", "value": "AAAA"}, "power": "1"}, "32 bytes"),
        ({"name": "a", "pub_key": {"type": "ed25519", "value": B64}, "power": 10}, "decimal"),
        ({"name": "a", "pub_key": {"type": "ed25519", "value": B64}, "power": "0"}, "decimal"),
        ({"name": "a", "pub_key": {"type": "ed25519", "value": B64}, "power": "0x1"}, "decimal"),
        ({"name": "a", "pub_key": {"type": "ed25519", "value": B64}, "power": "²"}, "decimal"),
        (
            {"name": "a", "pub_key": {"type": "ed25519", "value": B64}, "power": str(2**61)},
            "between",
        ),
    ],
)
def test_bad_validator_entries_are_refused_with_the_reason(entry, message):
    with pytest.raises(Exception, match=message) as caught:
        parse_validators([entry])
    assert ErrBadGenesis.matches(caught.value)


def test_validator_sets_must_be_non_empty_distinct_and_bounded():
    for entries, message in [
        ([], "at least one"),
        ([validator_entry("a", KEY, 1), validator_entry("b", KEY, 1)], "twice"),
        (
            [
                validator_entry("a", KEY, MAX_TOTAL_POWER),
                validator_entry("b", bytes(32), 1),
            ],
            "total power",
        ),
    ]:
        with pytest.raises(Exception, match=message):
            parse_validators(entries)


def test_cometbft_genesis_carries_ours_as_app_state():
    genesis = genesis_with_validators(Accounts.create(1), [KEY])
    template = {"consensus_params": {"block": {"max_bytes": "1", "max_gas": "-1"}}, "x": 1}
    doc = cometbft_genesis(template, genesis)
    assert doc["app_state"] == genesis.to_json_obj()
    assert (doc["chain_id"], doc["genesis_time"], doc["initial_height"]) == (
        genesis.chain_id,
        genesis.genesis_time,
        "1",
    )
    assert doc["consensus_params"]["block"]["max_bytes"] == str(genesis.params.max_block_bytes)
    assert template["consensus_params"]["block"]["max_bytes"] == "1", "template untouched"
    (validator,) = doc["validators"]
    assert validator["address"] == address(KEY).hex().upper()
    assert validator["pub_key"] == {"type": "tendermint/PubKeyEd25519", "value": B64}


def test_edit_toml_sets_keys_per_section_and_refuses_unknown_ones():
    text = 'moniker = "x"\n[p2p]\nladdr = "a"\npex = true\n[rpc]\nladdr = "b"\n'
    edited = edit_toml(text, {"": {"moniker": "n0"}, "p2p": {"pex": False, "laddr": "c"}})
    assert edited == 'moniker = "n0"\n[p2p]\nladdr = "c"\npex = false\n[rpc]\nladdr = "b"\n'
    with pytest.raises(ValueError, match="pinned CometBFT"):
        edit_toml(text, {"rpc": {"nope": 1}})


def test_a_chain_continued_from_an_export_starts_at_its_initial_height(tmp_path):
    """CometBFT's genesis names the height, and the app reports no block before it."""
    key = generate_private_key("ed25519").public_key().data
    genesis = dataclasses.replace(
        genesis_with_validators(Accounts.create(1), [key]), initial_height=42
    )
    template = {"consensus_params": {"block": {"max_bytes": "1", "max_gas": "-1"}}}
    assert cometbft_genesis(template, genesis)["initial_height"] == "42"
    app = FinchainApp(tmp_path / "data")
    app.init_chain(genesis)
    info = app.info()
    assert (info.last_height, app.height) == (0, 41), "CometBFT replays from height 0: no block yet"
    app.close()
