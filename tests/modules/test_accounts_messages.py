"""Accounts messages and records: the wire format of every message is what clients sign.

The messages are declared once (``finchain.core.fields``); these tests pin the
wire maps the SDK builders spelled before the declarations, check that any
valid message round-trips to the same map and bytes, that the refusals keep
their registered codes, and that the fast decoder of stored accounts agrees
with the generic one.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.client import builders as b
from finchain.codec import RawMsg, decode_trusted, encode
from finchain.core.authority import AccountStatus
from finchain.core.errors import ErrInvalidMsg
from finchain.core.msgs import CLOSE, KEY_CHANGE, TRANSFER, Msg
from finchain.crypto import generate_private_key
from finchain.errors import ErrorCode, FinchainError
from finchain.modules.accounts.errors import ErrInvalidKey, ErrInvalidPolicy
from finchain.modules.accounts.messages import (
    ALL_MSGS,
    MsgAddKey,
    MsgCancelReset,
    MsgCloseAccount,
    MsgCreateAccount,
    MsgInitiateReset,
    MsgRemoveKey,
    MsgRotateKey,
    MsgSetFactor,
    MsgSetMfa,
    MsgSetRecovery,
    MsgSetThreshold,
)
from finchain.modules.accounts.mfa import MfaRule, sort_rules
from finchain.modules.accounts.types import (
    Account,
    AccountKey,
    KeyPolicy,
    PendingReset,
    account_from_state,
    account_id,
)

ROUTES: dict[str, type[Msg]] = {cls.TYPE: cls for cls in ALL_MSGS}
A1, A2 = account_id(1), account_id(2)
PRIVATE = [generate_private_key(s) for s in ("ed25519", "sm2", "secp256k1", "ed25519", "sm2")]
POOL = [k.public_key() for k in PRIVATE]
ED, SM = POOL[0], POOL[1]


def key_map(key_id: str, public: Any, weight: int = 1, **extra: Any) -> dict[str, Any]:
    found = {"id": key_id, "scheme": public.scheme, "public_key": public.data, "weight": weight}
    return found | extra


# -- the wire maps the builders spelled before the declarations ----------------------------------

TWO_FACTORS = b.policy(
    [b.key_of("dev", PRIVATE[0], factor="device"), b.key_of("hw", PRIVATE[1], 2, factor="hsm")],
    threshold=2,
    mfa=[b.mfa_transfer("CNY", above=0), b.mfa_close(), b.mfa_key_change(min_factors=2)],
)
TWO_FACTORS_WIRE = {
    "keys": [key_map("dev", ED, factor="device"), key_map("hw", SM, 2, factor="hsm")],
    "threshold": 2,
    "mfa": [
        {"operation": CLOSE, "min_factors": 2},
        {"operation": KEY_CHANGE, "min_factors": 2},
        {"operation": TRANSFER, "min_factors": 2, "asset": "CNY", "above": "0"},
    ],
}
PLAIN = b.policy([b.key_of("k1", PRIVATE[0])])
PLAIN_WIRE = {"keys": [key_map("k1", ED)], "threshold": 1}

LEGACY: list[tuple[RawMsg, dict[str, Any]]] = [
    (b.create_account(PLAIN), {"policy": PLAIN_WIRE, "recovery": ""}),
    (b.create_account(TWO_FACTORS, A2), {"policy": TWO_FACTORS_WIRE, "recovery": A2}),
    (b.add_key(b.key_of("k2", PRIVATE[1], 3)), {"key": key_map("k2", SM, 3)}),
    (
        b.add_key(b.key_of("k2", PRIVATE[2], factor="phone")),
        {"key": key_map("k2", POOL[2], factor="phone")},
    ),
    (b.remove_key("k2"), {"key_id": "k2"}),
    (
        b.rotate_key("k1", PRIVATE[1]),
        {"key_id": "k1", "scheme": "sm2", "public_key": SM.data},
    ),
    (b.set_threshold(7), {"threshold": 7}),
    (b.set_recovery(A1), {"recovery": A1}),
    (b.set_recovery(""), {"recovery": ""}),
    (b.initiate_reset(A1, PLAIN), {"account": A1, "policy": PLAIN_WIRE}),
    (b.cancel_reset(), {}),
    (b.close_account(), {}),
    (b.set_mfa([]), {"rules": []}),
    (
        b.set_mfa([b.mfa_transfer("USD", above=10**20, min_factors=3), b.mfa_close()]),
        {
            "rules": [
                {"operation": CLOSE, "min_factors": 2},
                {"operation": TRANSFER, "min_factors": 3, "asset": "USD", "above": str(10**20)},
            ]
        },
    ),
    (b.set_factor("k1", "device"), {"key_id": "k1", "factor": "device"}),
    (b.set_factor("k1", ""), {"key_id": "k1", "factor": ""}),
]


@pytest.mark.parametrize(
    ("raw", "wire"), LEGACY, ids=[f"{r.type}-{i}" for i, (r, _) in enumerate(LEGACY)]
)
def test_builders_spell_the_wire_maps_clients_already_sign(raw: RawMsg, wire: dict[str, Any]):
    assert raw.value == wire
    msg = ROUTES[raw.type].from_value(wire)
    assert msg.to_value() == wire and encode(msg.to_value()) == encode(wire)


def test_a_policy_in_any_key_order_decodes_to_the_one_sorted_policy():
    wire = dict(
        TWO_FACTORS_WIRE, keys=TWO_FACTORS_WIRE["keys"][::-1], mfa=TWO_FACTORS_WIRE["mfa"][::-1]
    )
    assert KeyPolicy.from_obj(wire) == TWO_FACTORS
    assert KeyPolicy.from_obj(wire).to_obj() == TWO_FACTORS_WIRE


# -- refusals keep their codes ------------------------------------------------------------------

BAD_POINT = b"\x04" + bytes(64)

REFUSED: list[tuple[str, dict[str, Any], ErrorCode]] = [
    ("accounts/create", {"policy": PLAIN_WIRE}, ErrInvalidMsg),
    ("accounts/create", {"policy": PLAIN_WIRE, "recovery": "", "x": 1}, ErrInvalidMsg),
    ("accounts/create", {"policy": PLAIN_WIRE, "recovery": "FC00"}, ErrInvalidMsg),
    ("accounts/create", {"policy": {"keys": [], "threshold": 1}, "recovery": ""}, ErrInvalidMsg),
    (
        "accounts/create",
        {"policy": {"keys": [key_map("k1", ED)], "threshold": 2}, "recovery": ""},
        ErrInvalidPolicy,
    ),
    (
        "accounts/create",
        {"policy": {"keys": [key_map("a", ED), key_map("a", SM)], "threshold": 1}, "recovery": ""},
        ErrInvalidPolicy,
    ),
    (
        "accounts/create",
        {"policy": {"keys": [key_map("a", ED), key_map("b", ED)], "threshold": 1}, "recovery": ""},
        ErrInvalidPolicy,
    ),
    (
        "accounts/create",
        {"policy": dict(PLAIN_WIRE, mfa=[]), "recovery": ""},
        ErrInvalidMsg,
    ),
    (
        "accounts/create",
        {"policy": dict(PLAIN_WIRE, mfa=[{"operation": CLOSE, "min_factors": 2}]), "recovery": ""},
        ErrInvalidPolicy,
    ),
    ("accounts/add_key", {"key": key_map("k1", ED) | {"scheme": "rsa"}}, ErrInvalidKey),
    ("accounts/add_key", {"key": key_map("k1", SM) | {"public_key": BAD_POINT}}, ErrInvalidKey),
    ("accounts/add_key", {"key": key_map("K1", ED)}, ErrInvalidMsg),
    ("accounts/add_key", {"key": key_map("k1", ED, 0)}, ErrInvalidMsg),
    ("accounts/add_key", {"key": key_map("k1", ED, factor="")}, ErrInvalidMsg),
    (
        "accounts/rotate_key",
        {"key_id": "k1", "scheme": "rsa", "public_key": ED.data},
        ErrInvalidKey,
    ),
    (
        "accounts/rotate_key",
        {"key_id": "k1", "scheme": "sm2", "public_key": BAD_POINT},
        ErrInvalidKey,
    ),
    ("accounts/remove_key", {"key_id": ""}, ErrInvalidMsg),
    ("accounts/set_threshold", {"threshold": 0}, ErrInvalidMsg),
    ("accounts/set_threshold", {"threshold": True}, ErrInvalidMsg),
    ("accounts/set_recovery", {"recovery": account_id(7)[:-1] + "0"}, ErrInvalidMsg),
    ("accounts/set_mfa", {"rules": [{"operation": CLOSE, "min_factors": 2}] * 2}, ErrInvalidPolicy),
    ("accounts/set_mfa", {"rules": [{"operation": "mint", "min_factors": 2}]}, ErrInvalidMsg),
    ("accounts/set_mfa", {"rules": [{"operation": CLOSE, "min_factors": 1}]}, ErrInvalidMsg),
    (
        "accounts/set_mfa",
        {"rules": [{"operation": TRANSFER, "min_factors": 2, "asset": "cny", "above": "1"}]},
        ErrInvalidMsg,
    ),
    (
        "accounts/set_mfa",
        {"rules": [{"operation": TRANSFER, "min_factors": 2, "asset": "CNY", "above": "01"}]},
        ErrInvalidMsg,
    ),
    ("accounts/set_factor", {"key_id": "k1", "factor": "Device"}, ErrInvalidMsg),
    ("accounts/close", {"now": True}, ErrInvalidMsg),
]


@pytest.mark.parametrize(("msg_type", "value", "error"), REFUSED)
def test_malformed_messages_are_refused_with_their_registered_codes(msg_type, value, error):
    with pytest.raises(FinchainError) as err:
        ROUTES[msg_type].from_value(value)
    assert error.matches(err.value), err.value


# -- any valid message round-trips --------------------------------------------------------------

KEY_IDS = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,31}", fullmatch=True)
FACTORS = st.sampled_from(["", "device", "hardware", "custodian", "hsm-2"])
ACCOUNTS = st.integers(1, 10**10 - 1).map(account_id)


@st.composite
def keys(draw: st.DrawFn, *, max_keys: int = 5) -> list[AccountKey]:
    publics = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=max_keys, unique_by=id))
    ids = draw(st.lists(KEY_IDS, min_size=len(publics), max_size=len(publics), unique=True))
    return [
        AccountKey(key_id, public.scheme, public.data, draw(st.integers(1, 1000)), draw(FACTORS))
        for key_id, public in zip(ids, publics, strict=True)
    ]


@st.composite
def rules(draw: st.DrawFn, *, factors: int = 64) -> tuple[MfaRule, ...]:
    most = min(factors, 64)
    if most < 2:
        return ()
    drawn = draw(
        st.lists(
            st.one_of(
                st.builds(MfaRule, st.sampled_from([CLOSE, KEY_CHANGE]), st.integers(2, most)),
                st.builds(
                    MfaRule,
                    st.just(TRANSFER),
                    st.integers(2, most),
                    st.sampled_from(["CNY", "USD", "BOND-26"]),
                    st.integers(0, 2**127 - 1),
                ),
            ),
            max_size=8,
            unique_by=lambda r: r.sort_key,
        )
    )
    return sort_rules(drawn)


@st.composite
def policies(draw: st.DrawFn) -> KeyPolicy:
    chosen = draw(keys())
    threshold = draw(st.integers(1, sum(k.weight for k in chosen)))
    factors = len({k.factor for k in chosen if k.factor})
    return b.policy(chosen, threshold, mfa=draw(rules(factors=factors)))


MESSAGES = st.one_of(
    st.builds(MsgCreateAccount, policies(), st.one_of(st.just(""), ACCOUNTS)),
    keys(max_keys=1).map(lambda found: MsgAddKey(found[0])),
    st.builds(MsgRemoveKey, KEY_IDS),
    st.builds(
        lambda key_id, public: MsgRotateKey(key_id, public.scheme, public.data),
        KEY_IDS,
        st.sampled_from(POOL),
    ),
    st.builds(MsgSetThreshold, st.integers(1, 64_000)),
    st.builds(MsgSetRecovery, st.one_of(st.just(""), ACCOUNTS)),
    st.builds(MsgInitiateReset, ACCOUNTS, policies()),
    st.just(MsgCancelReset()),
    st.just(MsgCloseAccount()),
    st.builds(MsgSetMfa, rules()),
    st.builds(MsgSetFactor, KEY_IDS, FACTORS),
)


@settings(max_examples=300, deadline=None)
@given(MESSAGES)
def test_any_valid_accounts_message_round_trips(msg: Msg):
    value = msg.to_value()
    raw = msg.to_raw()
    assert raw.type == msg.TYPE and raw.value == value
    again = type(msg).from_value(decode_trusted(encode(value)))
    assert again == msg and encode(again.to_value()) == encode(value)


# -- stored records -----------------------------------------------------------------------------

RECORDS = st.builds(
    Account,
    ACCOUNTS,
    policies(),
    st.sampled_from(list(AccountStatus)),
    st.one_of(st.just(""), ACCOUNTS),
    st.integers(0, 2**63 - 1),
    st.integers(0, 2**63 - 1),
)


@settings(max_examples=200, deadline=None)
@given(RECORDS)
def test_the_fast_state_decoder_agrees_with_the_declared_one(account: Account):
    stored = decode_trusted(encode(account.to_obj()))
    fast = account_from_state(stored)
    assert fast == Account.from_obj(stored) == account
    assert type(fast.status) is AccountStatus and fast.to_obj() == account.to_obj()


@settings(max_examples=100, deadline=None)
@given(RECORDS, ACCOUNTS, st.integers(0, 2**62))
def test_records_round_trip_on_the_wire_and_in_json(account: Account, initiator: str, start: int):
    pending = PendingReset(account.id, account.policy, initiator, start, start + 100)
    for record in (account, pending, account.policy):
        assert type(record).from_obj(decode_trusted(encode(record.to_obj()))) == record
        assert type(record).from_json(record.to_json()) == record
    assert account.to_obj()["status"] == account.status.value
