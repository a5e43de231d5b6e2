"""Parsers of the data-rights messages: strict, total, and the inverse of ``to_value``."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.core.errors import ErrInvalidMsg
from finchain.errors import FinchainError
from finchain.formats.did import make_did
from finchain.modules.datarights.messages import (
    ALL_MSGS,
    MsgAddVersion,
    MsgGrant,
    MsgRecordAccess,
    MsgRegisterAsset,
)

OWNER = make_did("test-chain", 1)
GRANTEE = make_did("test-chain", 2)
REGISTER = {
    "owner": OWNER,
    "hash": bytes(32),
    "title": "Q3 ledger",
    "terms": "audit only",
    "purposes": ["scoring", "audit"],
    "location": "https://files.example/q3.fcdr",
    "key_id": bytes(range(32)),
}
GRANT = {
    "asset": 1,
    "grantee": GRANTEE,
    "purposes": ["audit"],
    "not_before": 10,
    "not_after": 20,
    "key_id": "ka",
    "wrapped_key": b"\x01" * 162,
}


def test_round_trip_and_canonical_order() -> None:
    msg = MsgRegisterAsset.from_value(REGISTER)
    assert msg.purposes == ("audit", "scoring")
    assert MsgRegisterAsset.from_value(msg.to_value()) == msg
    grant = MsgGrant.from_value(GRANT)
    assert MsgGrant.from_value(grant.to_value()) == grant
    wraps = [
        {"grantee": GRANTEE, "key_id": "ka", "wrapped_key": b"w"},
        {"grantee": OWNER, "key_id": "ka", "wrapped_key": b"v"},
    ]
    version = MsgAddVersion.from_value(
        {"asset": 1, "hash": bytes(32), "location": "", "key_id": bytes(32), "wraps": wraps}
    )
    assert [w.grantee for w in version.wraps] == sorted([GRANTEE, OWNER])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"owner": "did:finchain:test-chain:000000000100"}, "owner"),
        ({"hash": bytes(31)}, "hash"),
        ({"key_id": bytes(33)}, "key_id"),
        ({"title": ""}, "title"),
        ({"title": "t" * 129}, "title"),
        ({"terms": "t" * 1025}, "terms"),
        ({"purposes": []}, "purposes"),
        ({"purposes": ["Audit"]}, "purposes"),
        ({"purposes": ["audit", "audit"]}, "purposes"),
        ({"location": "not a uri"}, "location"),
        ({"location": "https://" + "a" * 600}, "location"),
    ],
)
def test_register_refuses_bad_fields(change: dict[str, Any], field: str) -> None:
    with pytest.raises(FinchainError) as raised:
        MsgRegisterAsset.from_value({**REGISTER, **change})
    assert raised.value.error is ErrInvalidMsg
    assert field in raised.value.message


@pytest.mark.parametrize(
    "change",
    [
        {"not_before": 20},
        {"not_before": 30},
        {"not_after": -1},
        {"asset": 0},
        {"asset": True},
        {"key_id": "#ka"},
        {"wrapped_key": b""},
        {"wrapped_key": b"x" * 257},
        {"extra": 1},
    ],
)
def test_grant_refuses_bad_fields(change: dict[str, Any]) -> None:
    with pytest.raises(FinchainError) as raised:
        MsgGrant.from_value({**GRANT, **change})
    assert raised.value.error is ErrInvalidMsg


def test_add_version_refuses_a_grantee_wrapped_twice() -> None:
    wrap = {"grantee": GRANTEE, "key_id": "ka", "wrapped_key": b"w"}
    with pytest.raises(FinchainError, match="twice"):
        MsgAddVersion.from_value(
            {
                "asset": 1,
                "hash": bytes(32),
                "location": "",
                "key_id": bytes(32),
                "wraps": [wrap] * 2,
            }
        )


def test_record_access_version_bounds() -> None:
    value = {"asset": 1, "grantee": GRANTEE, "purpose": "audit", "version": 1}
    assert MsgRecordAccess.from_value(value).version == 1
    for version in (0, 257):
        with pytest.raises(FinchainError):
            MsgRecordAccess.from_value({**value, "version": version})


_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=40),
    st.binary(max_size=300),
    st.sampled_from([OWNER, GRANTEE, "audit", "ka", "urn:x"]),
)
_value = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
_fields = st.sampled_from(
    sorted({*REGISTER, *GRANT, "version", "purpose", "wraps", "grantee", "hash", "location"})
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL_MSGS), st.dictionaries(_fields, _value, max_size=8))
def test_parsers_only_ever_raise_registered_errors(msg_type: Any, value: dict[str, Any]) -> None:
    """Whatever arrives: a message equal to its own round trip, or ErrInvalidMsg."""
    try:
        msg = msg_type.from_value(value)
    except FinchainError as exc:
        assert exc.error is ErrInvalidMsg
        return
    assert msg_type.from_value(msg.to_value()) == msg


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({k: st.one_of(st.just(v), _value) for k, v in GRANT.items()}))
def test_grant_parser_near_valid_inputs(value: dict[str, Any]) -> None:
    try:
        msg = MsgGrant.from_value(value)
    except FinchainError as exc:
        assert exc.error is ErrInvalidMsg
        return
    assert msg.not_before < msg.not_after
