"""Message parsers of the identity module: strict, round-tripping, and only registered errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.core.errors import ErrInvalidMsg
from finchain.crypto import generate_private_key
from finchain.errors import FinchainError, lookup
from finchain.modules.identity.errors import ErrInvalidDid, ErrInvalidMethod, ErrInvalidService
from finchain.modules.identity.messages import (
    ALL_MSGS,
    MsgBindAccount,
    MsgCreateDid,
    MsgRotateKey,
    MsgUpdateDid,
)
from finchain.modules.identity.types import did_for, parse_did

DID = did_for("test-chain", 7)
ED = generate_private_key("ed25519").public_key().data
SM2 = generate_private_key("sm2").public_key().data


def method(key_id: str = "k1", public_key: bytes = ED, scheme: str = "ed25519", rel=None):
    relationships = ["authentication"] if rel is None else rel
    return {
        "id": key_id,
        "scheme": scheme,
        "public_key": public_key,
        "relationships": relationships,
    }


def service(endpoint: str = "https://bank.example/kyc", **kw: Any) -> dict[str, Any]:
    return {"id": "kyc", "type": "LinkedDomains", "endpoint": endpoint, **kw}


VALID: dict[type, dict[str, Any]] = {
    MsgCreateDid: {"methods": [method()], "services": [service()], "controllers": []},
    MsgUpdateDid: {
        "did": DID,
        "add_methods": [method("k2", SM2, "sm2", ["keyAgreement"])],
        "remove_methods": ["k1"],
        "set_relationships": [{"id": "k3", "relationships": ["assertionMethod"]}],
        "add_services": [service()],
        "remove_services": ["old"],
        "controllers": [did_for("test-chain", 8)],
        "controller_account": "FC940000000001",
    },
    MsgRotateKey: {"did": DID, "key_id": "k1", "scheme": "sm2", "public_key": SM2},
    MsgBindAccount: {"did": DID, "key_id": "k1", "nonce": 3, "signature": b"\x01" * 64},
}


def test_did_syntax_and_check_digits():
    assert DID == "did:finchain:test-chain:000000000777"  # 98 - 700 mod 97 = 77
    assert parse_did(DID) == ("test-chain", 7)
    for bad in (
        "did:finchain:test-chain:000000000776",  # check digits
        "did:finchain:Test:000000000777",
        "did:finchain:test-chain:0000000007",
        "did:example:test-chain:000000000777",
        "did:finchain:test-chain:000000000098",  # number 0 is never assigned
        7,
    ):
        with pytest.raises(FinchainError) as info:
            parse_did(bad)
        assert info.value.error is ErrInvalidDid


@pytest.mark.parametrize("cls", list(VALID))
def test_valid_messages_round_trip(cls):
    msg = cls.from_value(VALID[cls])
    assert cls.from_value(msg.to_value()) == msg


@pytest.mark.parametrize(
    ("endpoint", "accepted"),
    [
        ("https://bank.example/kyc?x=1", True),
        ("wss://bank.example:8443/ws", True),
        ("http://bank.example/", False),
        ("https://user:pw@bank.example/", False),
        ("https:///no-host", False),
        ("https://bank.example/a b", False),
        ("https://bank.example:99999/", False),
        ("javascript:alert(1)", False),
        ("https://bank.example/" + "a" * 600, False),
    ],
)
def test_service_endpoints_are_validated(endpoint, accepted):
    value = {"methods": [], "services": [service(endpoint)], "controllers": []}
    if accepted:
        assert MsgCreateDid.from_value(value).services[0].endpoint == endpoint
        return
    with pytest.raises(FinchainError) as info:
        MsgCreateDid.from_value(value)
    assert info.value.error in (ErrInvalidService, ErrInvalidMsg)


@pytest.mark.parametrize(
    ("bad_method", "error"),
    [
        (method(public_key=b"\x00" * 32), ErrInvalidMethod),
        (method(scheme="rsa"), ErrInvalidMethod),
        (method(public_key=SM2), ErrInvalidMethod),
        (method(rel=["keyAgreement"]), ErrInvalidMethod),
        (method(rel=["authentication", "authentication"]), ErrInvalidMethod),
        (method(rel=["owner"]), ErrInvalidMethod),
        (method(key_id="K1"), ErrInvalidMethod),
        ({**method(), "extra": 1}, ErrInvalidMsg),
    ],
)
def test_bad_verification_methods_are_refused(bad_method, error):
    with pytest.raises(FinchainError) as info:
        MsgCreateDid.from_value({"methods": [bad_method], "services": [], "controllers": []})
    assert info.value.error is error


def test_update_must_change_something_and_not_replace_through_add_and_remove():
    with pytest.raises(FinchainError, match="at least one"):
        MsgUpdateDid.from_value({"did": DID})
    with pytest.raises(FinchainError, match="rotate_key"):
        MsgUpdateDid.from_value({"did": DID, "add_methods": [method()], "remove_methods": ["k1"]})


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.text(max_size=40),
    st.binary(max_size=70),
    st.sampled_from([DID, "k1", "ed25519", "sm2", "authentication", "https://a.example"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _assert_parses_or_registered(cls: type, value: Any) -> None:
    try:
        cls.from_value(value)
    except FinchainError as exc:
        assert lookup(exc.codespace, exc.code) is exc.error
        assert exc.message


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL_MSGS), st.dictionaries(st.text(max_size=20), _VALUES, max_size=6))
def test_fuzz_arbitrary_maps_raise_only_registered_errors(cls, value):
    _assert_parses_or_registered(cls, value)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(list(VALID)), st.data())
def test_fuzz_one_field_of_a_valid_message(cls, data):
    value = dict(VALID[cls])
    name = data.draw(st.sampled_from(sorted(value)))
    value[name] = data.draw(_VALUES)
    _assert_parses_or_registered(cls, value)
