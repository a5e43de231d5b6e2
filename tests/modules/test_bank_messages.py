"""Bank messages: declared once, with the wire maps clients already sign, and strict refusals."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.client import builders as b
from finchain.codec import MAX_AMOUNT, RawMsg, decode_trusted, encode
from finchain.core.errors import ErrInvalidMsg
from finchain.core.msgs import TRANSFER, Msg, Operation
from finchain.errors import FinchainError
from finchain.modules.accounts.types import account_id
from finchain.modules.bank.messages import (
    ALL_MSGS,
    MsgBurn,
    MsgCreateAsset,
    MsgMint,
    MsgTransfer,
    Output,
)
from finchain.modules.bank.types import Asset

ROUTES: dict[str, type[Msg]] = {cls.TYPE: cls for cls in ALL_MSGS}
A1, A2, A3 = account_id(1), account_id(2), account_id(3)

LEGACY: list[tuple[RawMsg, dict[str, Any]]] = [
    (
        b.create_asset("BOND-26", "Bond 2026", 0, max_supply=1000, minters=[A2, A1]),
        {
            "symbol": "BOND-26",
            "name": "Bond 2026",
            "decimals": 0,
            "max_supply": "1000",
            "minters": [A2, A1],
            "burners": [],
        },
    ),
    (
        b.create_asset("CNY", "Yuan", 2),
        {
            "symbol": "CNY",
            "name": "Yuan",
            "decimals": 2,
            "max_supply": "0",
            "minters": [],
            "burners": [],
        },
    ),
    (b.mint("CNY", A3, 10**30), {"asset": "CNY", "to": A3, "amount": str(10**30)}),
    (b.burn("CNY", 5), {"asset": "CNY", "amount": "5"}),
    (
        b.transfer((A2, "CNY", 10), (A3, "USD", 7)),
        {
            "outputs": [
                {"to": A2, "asset": "CNY", "amount": "10"},
                {"to": A3, "asset": "USD", "amount": "7"},
            ]
        },
    ),
]


@pytest.mark.parametrize(("raw", "wire"), LEGACY, ids=[r.type for r, _ in LEGACY])
def test_builders_spell_the_wire_maps_clients_already_sign(raw: RawMsg, wire: dict[str, Any]):
    assert raw.value == wire
    msg = ROUTES[raw.type].from_value(wire)
    # Minters and burners are a set: held sorted, whatever order the sender chose.
    canonical = dict(wire, minters=sorted(wire["minters"])) if "minters" in wire else wire
    assert msg.to_value() == canonical and encode(msg.to_value()) == encode(canonical)


OUTPUT = {"to": A2, "asset": "CNY", "amount": "1"}
ASSET = LEGACY[1][1]

REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("bank/transfer", {"outputs": []}, "'outputs'"),
    ("bank/transfer", {"outputs": [OUTPUT] * 65}, "'outputs'"),
    ("bank/transfer", {"outputs": [dict(OUTPUT, amount="0")]}, "amount"),
    ("bank/transfer", {"outputs": [dict(OUTPUT, amount="01")]}, "amount"),
    ("bank/transfer", {"outputs": [dict(OUTPUT, amount=1)]}, "amount"),
    ("bank/transfer", {"outputs": [dict(OUTPUT, amount=str(2**127))]}, "amount"),
    ("bank/transfer", {"outputs": [dict(OUTPUT, asset="cny")]}, "'asset'"),
    ("bank/transfer", {"outputs": [dict(OUTPUT, to=A2[:-1] + "0")]}, "'to'"),
    ("bank/transfer", {"outputs": [dict(OUTPUT, memo="x")]}, "unknown fields ['memo']"),
    (
        "bank/transfer",
        {"outputs": [dict(OUTPUT, amount=str(MAX_AMOUNT))] * 2},
        "add up to more than 2^127 - 1",
    ),
    ("bank/mint", {"asset": "CNY", "to": A1}, "missing fields ['amount']"),
    ("bank/burn", {"asset": "CNY", "amount": 5.0}, "amount"),
    ("bank/create_asset", dict(ASSET, decimals=19), "'decimals'"),
    ("bank/create_asset", dict(ASSET, max_supply="-1"), "max_supply"),
    ("bank/create_asset", dict(ASSET, minters=[A1, A1]), "duplicates"),
    ("bank/create_asset", dict(ASSET, burners=[A1] * 17), "'burners'"),
    ("bank/create_asset", dict(ASSET, name=""), "'name'"),
    ("bank/create_asset", dict(ASSET, symbol="C"), "'symbol'"),
]


@pytest.mark.parametrize(("msg_type", "value", "named"), REFUSED)
def test_malformed_messages_are_refused_naming_the_field(msg_type, value, named):
    with pytest.raises(FinchainError) as err:
        ROUTES[msg_type].from_value(value)
    assert ErrInvalidMsg.matches(err.value) and named in err.value.message, err.value


SYMBOLS = st.from_regex(r"[A-Z][A-Z0-9-]{1,15}", fullmatch=True)
ACCOUNTS = st.integers(1, 10**10 - 1).map(account_id)
AMOUNTS = st.integers(1, 2**100)
AUTHORITIES = st.lists(ACCOUNTS, max_size=16, unique=True).map(lambda found: tuple(sorted(found)))

MESSAGES = st.one_of(
    st.builds(
        MsgCreateAsset,
        SYMBOLS,
        st.text(min_size=1, max_size=16),
        st.integers(0, 18),
        st.one_of(st.just(0), AMOUNTS),
        AUTHORITIES,
        AUTHORITIES,
    ),
    st.builds(MsgMint, SYMBOLS, ACCOUNTS, AMOUNTS),
    st.builds(MsgBurn, SYMBOLS, AMOUNTS),
    st.lists(st.builds(Output, ACCOUNTS, SYMBOLS, AMOUNTS), min_size=1, max_size=64).map(
        lambda outputs: MsgTransfer(tuple(outputs))
    ),
)


@settings(max_examples=300, deadline=None)
@given(MESSAGES)
def test_any_valid_bank_message_round_trips(msg: Msg):
    value = msg.to_value()
    assert msg.to_raw().value == value
    again = type(msg).from_value(decode_trusted(encode(value)))
    assert again == msg and encode(again.to_value()) == encode(value)


@given(st.lists(st.builds(Output, ACCOUNTS, st.sampled_from(["CNY", "USD"]), AMOUNTS), min_size=1))
def test_a_transfer_declares_what_leaves_the_account_per_asset(outputs: list[Output]):
    ops = MsgTransfer(tuple(outputs)).sensitive_operations()
    totals = {s: sum(o.amount for o in outputs if o.asset == s) for s in {o.asset for o in outputs}}
    assert ops == tuple(Operation(TRANSFER, s, totals[s]) for s in sorted(totals))


@given(
    st.builds(
        Asset,
        SYMBOLS,
        st.text(min_size=1, max_size=16),
        st.integers(0, 18),
        st.one_of(st.just(0), AMOUNTS),
        ACCOUNTS,
        AUTHORITIES,
        AUTHORITIES,
    )
)
def test_asset_records_round_trip(asset: Asset):
    assert Asset.from_obj(decode_trusted(encode(asset.to_obj()))) == asset
    assert Asset.from_json(asset.to_json()) == asset
    assert asset.to_obj()["max_supply"] == str(asset.max_supply)
