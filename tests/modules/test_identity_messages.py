"""Message parsers of the identity module: strict, round-tripping, and only registered errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.client import identity_builders as ib
from finchain.codec import RawMsg
from finchain.core.errors import ErrInvalidMsg
from finchain.crypto import generate_private_key
from finchain.errors import FinchainError, lookup
from finchain.modules.accounts.types import account_id
from finchain.modules.identity.errors import ErrInvalidDid, ErrInvalidMethod, ErrInvalidService
from finchain.modules.identity.messages import (
    ALL_MSGS,
    MsgBindAccount,
    MsgCreateDid,
    MsgDeactivateDid,
    MsgRetireDid,
    MsgRotateKey,
    MsgUnbindAccount,
    MsgUpdateDid,
)
from finchain.modules.identity.types import RELATIONSHIPS, did_for, parse_did

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


# -- round trips of every message, and the wire form the SDK builders write -------------------

_KEYS = [
    *(generate_private_key("ed25519").public_key() for _ in range(3)),
    *(generate_private_key("sm2").public_key() for _ in range(2)),
    generate_private_key("secp256k1").public_key(),
]
_IDS = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,31}", fullmatch=True)
_DIDS = st.integers(1, 10**10 - 1).map(lambda n: did_for("test-chain", n))
_ACCOUNTS = st.integers(1, 10**10 - 1).map(account_id)


@st.composite
def _relationships(draw: st.DrawFn, scheme: str) -> list[str]:
    names = [r for r in RELATIONSHIPS if not (r == "keyAgreement" and scheme == "ed25519")]
    return draw(st.lists(st.sampled_from(names), unique=True))


@st.composite
def _methods(draw: st.DrawFn) -> list[dict[str, Any]]:
    ids = draw(st.lists(_IDS, unique=True, max_size=3))
    keys = draw(st.permutations(range(len(_KEYS))))
    found = []
    for key_id, index in zip(ids, keys, strict=False):
        key = _KEYS[index]
        rels = draw(_relationships(key.scheme))
        found.append(
            {"id": key_id, "scheme": key.scheme, "public_key": key.data, "relationships": rels}
        )
    return found


_SERVICE = st.builds(
    lambda i, t, host: {"id": i, "type": t, "endpoint": f"https://{host}.example/x"},
    _IDS,
    st.from_regex(r"[A-Z][A-Za-z0-9]{0,20}", fullmatch=True),
    st.from_regex(r"[a-z]{1,12}", fullmatch=True),
)
_SERVICES = st.lists(_SERVICE, unique_by=lambda s: s["id"], max_size=3)
_MSGS: dict[type, st.SearchStrategy[dict[str, Any]]] = {
    MsgCreateDid: st.fixed_dictionaries(
        {
            "methods": _methods(),
            "services": _SERVICES,
            "controllers": st.lists(_DIDS, unique=True, max_size=8),
        }
    ),
    MsgUpdateDid: st.fixed_dictionaries(
        {"did": _DIDS},
        optional={
            "add_methods": _methods(),
            "remove_methods": st.lists(_IDS, unique=True, max_size=4),
            "set_relationships": st.lists(
                _IDS.map(lambda i: {"id": i, "relationships": ["authentication"]}),
                unique_by=lambda c: c["id"],
                max_size=3,
            ),
            "add_services": _SERVICES,
            "remove_services": st.lists(_IDS, unique=True, max_size=4),
            "controllers": st.lists(_DIDS, unique=True, max_size=8),
            "controller_account": _ACCOUNTS,
        },
    ).filter(lambda v: len(v) > 1),
    MsgRotateKey: st.builds(
        lambda did, key_id, key: {
            "did": did,
            "key_id": key_id,
            "scheme": key.scheme,
            "public_key": key.data,
        },
        _DIDS,
        _IDS,
        st.sampled_from(_KEYS),
    ),
    MsgDeactivateDid: st.fixed_dictionaries({"did": _DIDS}),
    MsgRetireDid: st.fixed_dictionaries({"did": _DIDS}),
    MsgBindAccount: st.fixed_dictionaries(
        {
            "did": _DIDS,
            "key_id": _IDS,
            "nonce": st.integers(0, 2**64 - 1),
            "signature": st.binary(max_size=128),
        }
    ),
    MsgUnbindAccount: st.fixed_dictionaries({"did": _DIDS, "account": _ACCOUNTS}),
}


def test_every_message_has_a_strategy():
    assert set(_MSGS) == set(ALL_MSGS)


@settings(max_examples=60, deadline=None)
@given(st.data())
@pytest.mark.parametrize("cls", ALL_MSGS, ids=lambda c: c.TYPE)
def test_every_message_round_trips(cls, data):
    """Any valid wire map decodes; the message encodes to a map that decodes to it again,
    and only in the order of sets (sorted ids, relationships, controllers) may it differ."""
    value = data.draw(_MSGS[cls])
    overlap = {m["id"] for m in value.get("add_methods", ())} & set(value.get("remove_methods", ()))
    overlap |= {s["id"] for s in value.get("add_services", ())} & set(
        value.get("remove_services", ())
    )
    if overlap:
        with pytest.raises(FinchainError) as info:
            cls.from_value(value)
        assert ErrInvalidMsg.matches(info.value)
        return
    msg = cls.from_value(value)
    again = msg.to_raw()
    assert again.type == cls.TYPE and cls.from_value(again.value) == msg
    assert set(again.value) == set(value)


def test_builders_write_the_wire_maps_of_before():
    """The SDK builders, now built from the declarations, write exactly the maps the
    hand-written builders wrote (so existing clients and signed transactions agree)."""
    key, other = _KEYS[0], _KEYS[3]
    k1 = {
        "id": "k1",
        "scheme": key.scheme,
        "public_key": key.data,
        "relationships": ["authentication", "assertionMethod", "capabilityInvocation"],
    }
    svc = {"id": "web", "type": "LinkedDomains", "endpoint": "https://bank.example/"}
    assert ib.did_key("k1", key) == k1
    assert ib.service("web", "LinkedDomains", "https://bank.example/") == svc
    assert ib.create_did([k1]) == RawMsg(
        "identity/create_did", {"methods": [k1], "services": [], "controllers": []}
    )
    assert ib.create_did([k1], services=[svc], controllers=[DID]).value == {
        "methods": [k1],
        "services": [svc],
        "controllers": [DID],
    }
    assert ib.update_did(DID, remove_methods=["k1"]) == RawMsg(
        "identity/update_did", {"did": DID, "remove_methods": ["k1"]}
    )
    assert ib.update_did(
        DID,
        add_methods=[k1],
        set_relationships={"k2": ["keyAgreement"], "a": ["authentication"]},
        add_services=[svc],
        remove_services=["old"],
        controllers=[],
        controller_account="FC940000000001",
    ).value == {
        "did": DID,
        "add_methods": [k1],
        "set_relationships": [
            {"id": "a", "relationships": ["authentication"]},
            {"id": "k2", "relationships": ["keyAgreement"]},
        ],
        "add_services": [svc],
        "remove_services": ["old"],
        "controllers": [],
        "controller_account": "FC940000000001",
    }
    assert ib.rotate_did_key(DID, "k1", other) == RawMsg(
        "identity/rotate_key",
        {"did": DID, "key_id": "k1", "scheme": "sm2", "public_key": other.data},
    )
    assert ib.deactivate_did(DID) == RawMsg("identity/deactivate_did", {"did": DID})
    assert ib.unbind_account(DID, "FC940000000001") == RawMsg(
        "identity/unbind_account", {"did": DID, "account": "FC940000000001"}
    )
    signer = generate_private_key("ed25519")
    bound = ib.bind_account(
        "test-chain", DID, "FC940000000001", nonce=4, key_id="k1", did_key=signer
    )
    assert bound.type == "identity/bind_account"
    assert set(bound.value) == {"did", "key_id", "nonce", "signature"}
    assert (bound.value["key_id"], bound.value["nonce"]) == ("k1", 4)
