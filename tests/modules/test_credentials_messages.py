"""Credentials message parsers: round trips, the schema-document rules, and fuzzing.

Every malformed input must be refused with a registered error (never another
exception), since check_tx runs these parsers on bytes from anyone.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finchain.client import credentials_builders as cb
from finchain.codec import RawMsg
from finchain.core.errors import ErrInvalidMsg
from finchain.crypto import generate_private_key
from finchain.errors import FinchainError
from finchain.modules.accounts.types import account_id
from finchain.modules.credentials.messages import ALL_MSGS, check_schema_document
from finchain.modules.credentials.types import ISSUER_KINDS
from tests.modules.test_credentials_lab import A, did, escrow
from tests.support import code

VALID: dict[str, dict[str, Any]] = {
    "credentials/accredit_issuer": {
        "did": did(1),
        "name": "Bank A",
        "kind": "bank",
        "types": ["KycTierCredential", "AccountCredential"],
    },
    "credentials/set_issuer_types": {"did": did(1), "types": ["AccountCredential"]},
    "credentials/revoke_issuer": {"did": did(1)},
    "credentials/add_regulator": {
        "account": A[8],
        "name": "PBoC",
        "encryption_key": {"scheme": "x25519", "public_key": b"\x09" * 32},
    },
    "credentials/remove_regulator": {"account": A[8]},
    "credentials/set_params": {"disclosure_threshold": 2, "request_lifetime": 100},
    "credentials/register_schema": {
        "issuer": did(1),
        "name": "kyc-tier",
        "version": 1,
        "credential_type": "KycTierCredential",
        "document": rfc8785.dumps({"type": "object"}),
    },
    "credentials/anchor_status_list": {
        "issuer": did(1),
        "list_id": "https://bank.example/status/1",
        "version": 1,
        "digest": b"\x01" * 32,
        "purpose": "suspension",
    },
    "credentials/record_kyc": {
        "issuer": did(1),
        "account": A[5],
        "subject": did(5),
        "tier": 1,
        "expires": 10**18,
        "credential_hash": b"\x02" * 32,
        "escrow": escrow([A[8], A[9]], 2),
    },
    "credentials/revoke_kyc": {"issuer": did(1), "account": A[5]},
    "credentials/request_disclosure": {"account": A[5], "issuer": did(1), "reason": "AML"},
    "credentials/approve_disclosure": {"request_id": 3, "share": b"\x03" * 80},
}
PARSERS = {cls.TYPE: cls for cls in ALL_MSGS}


def test_every_message_has_a_valid_example():
    assert set(VALID) == set(PARSERS)


@pytest.mark.parametrize("msg_type", sorted(VALID))
def test_round_trip(msg_type):
    cls = PARSERS[msg_type]
    msg = cls.from_value(VALID[msg_type])
    assert cls.from_value(msg.to_value()) == msg


def test_governed_flags():
    governed = sorted(t for t, cls in PARSERS.items() if cls.GOVERNED)
    assert governed == [
        "credentials/accredit_issuer",
        "credentials/add_regulator",
        "credentials/remove_regulator",
        "credentials/revoke_issuer",
        "credentials/set_issuer_types",
        "credentials/set_params",
    ]


def _refused(msg_type: str, **changes: Any) -> str:
    value = {**VALID[msg_type], **changes}
    with pytest.raises(FinchainError) as caught:
        PARSERS[msg_type].from_value(value)
    assert (caught.value.codespace, caught.value.code) == code(ErrInvalidMsg)
    return caught.value.message


def test_field_rules():
    assert "check digits" in _refused("credentials/revoke_issuer", did=did(1)[:-1] + "0")
    _refused("credentials/accredit_issuer", types=["Kyc", "Kyc"])
    _refused("credentials/accredit_issuer", types=["not a type"])
    _refused(
        "credentials/add_regulator", encryption_key={"scheme": "sm2", "public_key": b"\x04" * 65}
    )
    _refused(
        "credentials/add_regulator", encryption_key={"scheme": "x25519", "public_key": bytes(32)}
    )
    _refused("credentials/add_regulator", encryption_key={"scheme": "rsa", "public_key": b"k"})
    _refused("credentials/set_params", disclosure_threshold=0)
    _refused("credentials/anchor_status_list", digest=b"\x01" * 33)
    _refused("credentials/anchor_status_list", list_id="ftp://x")
    _refused("credentials/anchor_status_list", purpose="both")
    _refused("credentials/anchor_status_list", version=0)
    _refused("credentials/record_kyc", tier=3)
    _refused("credentials/record_kyc", credential_hash=b"\x02" * 31)
    _refused("credentials/approve_disclosure", share=b"")
    _refused("credentials/approve_disclosure", share=b"\x01" * 513)
    _refused("credentials/request_disclosure", reason="x" * 513)


def test_escrow_shape_rules():
    good = escrow([A[8], A[9]], 2)
    descending = {**good, "regulators": [A[9], A[8]]}
    assert "ascending" in _refused("credentials/record_kyc", escrow=descending)
    _refused("credentials/record_kyc", escrow={**good, "threshold": 3})
    _refused("credentials/record_kyc", escrow={**good, "shares": good["shares"][:1]})
    _refused("credentials/record_kyc", escrow={**good, "ciphertext": b"\x00" * 4097})
    _refused("credentials/record_kyc", escrow={**good, "shares": [b"s" * 513, b"s"]})
    _refused("credentials/record_kyc", escrow={**good, "regulators": [A[8], "FC00"]})


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        (b"", "empty"),
        (b"\xff\xfe", "UTF-8 JSON"),
        (b'{"type":"object","type":"string"}', "repeats"),
        (b'{"maximum":NaN}', "NaN"),
        (b"[]", "JSON object"),
        (b'{ "type": "object" }', "canonical form"),
        (b'{"type":5}', "Draft 2020-12"),
        (b'{"$schema":"http://json-schema.org/draft-07/schema#"}', "must be 'https"),
        (b'{"maximum":1e400}', "canonicalisation"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "deeper"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "UTF-8 JSON"),
    ],
)
def test_schema_document_rules(document, complaint):
    with pytest.raises(FinchainError, match=complaint):
        check_schema_document(document)


def test_schema_size_cap():
    padding = {"description": "x" * (16 * 1024)}
    _refused("credentials/register_schema", document=rfc8785.dumps(padding))


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.text(max_size=40),
    st.binary(max_size=40),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(VALID)), st.data())
def test_fuzzed_fields_raise_only_registered_errors(msg_type, data):
    """Replace, drop or add fields of a valid message: parse or a registered error."""
    value = dict(VALID[msg_type])
    for name in data.draw(st.lists(st.sampled_from(sorted(value)), max_size=3, unique=True)):
        if data.draw(st.booleans()):
            value[name] = data.draw(_values)
        else:
            del value[name]
    if data.draw(st.booleans()):
        value[data.draw(st.text(max_size=8))] = data.draw(_scalars)
    with contextlib.suppress(FinchainError):
        PARSERS[msg_type].from_value(value)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.binary(max_size=200), _values.map(lambda v: json.dumps(v, default=str).encode()))
)
def test_fuzzed_schema_documents_raise_only_registered_errors(document):
    with contextlib.suppress(FinchainError):
        check_schema_document(document)


# -- round trips of every message, and the wire form the SDK builders write -------------------

_DIDS = st.integers(1, 10**10 - 1).map(did)
_ACCOUNTS = st.integers(1, 10**10 - 1).map(account_id)
_TYPES = st.lists(
    st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,20}", fullmatch=True), min_size=1, max_size=5, unique=True
)
_TEXT = st.text(min_size=1, max_size=16)  # at most 64 UTF-8 bytes
_SM2 = generate_private_key("sm2").public_key().data


@st.composite
def _escrow(draw: st.DrawFn) -> dict[str, Any]:
    regulators = sorted(draw(st.lists(_ACCOUNTS, min_size=1, max_size=5, unique=True)))
    return {
        "threshold": draw(st.integers(1, len(regulators))),
        "regulators": regulators,
        "ciphertext": draw(st.binary(min_size=1, max_size=64)),
        "shares": [draw(st.binary(min_size=1, max_size=16)) for _ in regulators],
    }


@st.composite
def _kyc(draw: st.DrawFn) -> dict[str, Any]:
    tier = draw(st.integers(0, 2))
    value = {
        "issuer": draw(_DIDS),
        "account": draw(_ACCOUNTS),
        "subject": draw(_DIDS),
        "tier": tier,
        "expires": draw(st.integers(1, 2**63 - 1)),
        "credential_hash": draw(st.binary(min_size=32, max_size=32)),
    }
    if tier:
        value["escrow"] = draw(_escrow())
    return value


_KEY = st.one_of(
    st.binary(min_size=32, max_size=32)
    .filter(any)
    .map(lambda k: {"scheme": "x25519", "public_key": k}),
    st.just({"scheme": "sm2", "public_key": _SM2}),
)
_MSGS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "credentials/accredit_issuer": st.fixed_dictionaries(
        {"did": _DIDS, "name": _TEXT, "kind": st.sampled_from(ISSUER_KINDS), "types": _TYPES}
    ),
    "credentials/set_issuer_types": st.fixed_dictionaries({"did": _DIDS, "types": _TYPES}),
    "credentials/revoke_issuer": st.fixed_dictionaries({"did": _DIDS}),
    "credentials/add_regulator": st.fixed_dictionaries(
        {"account": _ACCOUNTS, "name": _TEXT, "encryption_key": _KEY}
    ),
    "credentials/remove_regulator": st.fixed_dictionaries({"account": _ACCOUNTS}),
    "credentials/set_params": st.fixed_dictionaries(
        {"disclosure_threshold": st.integers(1, 32), "request_lifetime": st.integers(1, 10**7)}
    ),
    "credentials/register_schema": st.fixed_dictionaries(
        {
            "issuer": _DIDS,
            "name": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True),
            "version": st.integers(1, 2**32 - 1),
            "credential_type": st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,20}", fullmatch=True),
            "document": st.sampled_from(
                [rfc8785.dumps({"type": "object"}), rfc8785.dumps({"minimum": 3})]
            ),
        }
    ),
    "credentials/anchor_status_list": st.fixed_dictionaries(
        {
            "issuer": _DIDS,
            "list_id": st.from_regex(
                r"https://[a-z]{1,10}\.example/[a-z0-9/]{1,20}", fullmatch=True
            ),
            "version": st.integers(1, 2**32 - 1),
            "digest": st.binary(min_size=32, max_size=32),
        },
        optional={"purpose": st.sampled_from(["revocation", "suspension"])},
    ),
    "credentials/record_kyc": _kyc(),
    "credentials/revoke_kyc": st.fixed_dictionaries({"issuer": _DIDS, "account": _ACCOUNTS}),
    "credentials/request_disclosure": st.fixed_dictionaries(
        {"account": _ACCOUNTS, "issuer": _DIDS, "reason": _TEXT}
    ),
    "credentials/approve_disclosure": st.fixed_dictionaries(
        {"request_id": st.integers(1, 2**63 - 1), "share": st.binary(min_size=1, max_size=512)}
    ),
}


def test_every_message_has_a_strategy():
    assert set(_MSGS) == set(PARSERS)


@settings(max_examples=60, deadline=None)
@given(st.data())
@pytest.mark.parametrize("msg_type", sorted(PARSERS))
def test_every_message_round_trips(msg_type, data):
    """Any valid wire map decodes, and the message encodes to the same map up to the
    order of sets (credential types are held sorted)."""
    value = data.draw(_MSGS[msg_type])
    msg = PARSERS[msg_type].from_value(value)
    again = msg.to_raw()
    assert again.type == msg_type and PARSERS[msg_type].from_value(again.value) == msg
    if "types" in value:
        value = {**value, "types": sorted(value["types"])}
    assert again.value == value


def test_builders_write_the_wire_maps_of_before():
    """The SDK builders, now built from the declarations, write exactly the maps the
    hand-written builders wrote."""
    key = b"\x09" * 32
    assert cb.accredit_issuer(did(1), "Bank A", "bank", ["KycTierCredential"]) == RawMsg(
        "credentials/accredit_issuer",
        {"did": did(1), "name": "Bank A", "kind": "bank", "types": ["KycTierCredential"]},
    )
    assert cb.set_issuer_types(did(1), ["A"]).value == {"did": did(1), "types": ["A"]}
    assert cb.revoke_issuer(did(1)).value == {"did": did(1)}
    assert cb.add_regulator(A[8], "PBoC", "x25519", key) == RawMsg(
        "credentials/add_regulator",
        {
            "account": A[8],
            "name": "PBoC",
            "encryption_key": {"scheme": "x25519", "public_key": key},
        },
    )
    assert cb.remove_regulator(A[8]).value == {"account": A[8]}
    assert cb.set_credentials_params(2, 100).value == {
        "disclosure_threshold": 2,
        "request_lifetime": 100,
    }
    assert cb.register_schema(did(1), "kyc", 1, "KycTierCredential", {"type": "object"}).value == {
        "issuer": did(1),
        "name": "kyc",
        "version": 1,
        "credential_type": "KycTierCredential",
        "document": b'{"type":"object"}',
    }
    anchor = {"issuer": did(1), "list_id": "https://b.example/1", "version": 2, "digest": key}
    assert cb.anchor_status_list(did(1), "https://b.example/1", version=2, digest=key) == (
        RawMsg("credentials/anchor_status_list", anchor)
    )
    assert cb.anchor_status_list(
        did(1), "https://b.example/1", version=2, digest=key, purpose="revocation"
    ).value == {**anchor, "purpose": "revocation"}
    claim = {
        "issuer": did(1),
        "account": A[5],
        "subject": did(5),
        "tier": 0,
        "expires": 10**18,
        "credential_hash": key,
    }
    assert cb.record_kyc(
        did(1), A[5], did(5), tier=0, expires_ns=10**18, credential_hash=key, escrow=None
    ) == RawMsg("credentials/record_kyc", claim)
    sealed = escrow([A[8], A[9]], 2)
    assert cb.record_kyc(
        did(1), A[5], did(5), tier=2, expires_ns=10**18, credential_hash=key, escrow=sealed
    ).value == {**claim, "tier": 2, "escrow": sealed}
    assert cb.revoke_kyc(did(1), A[5]).value == {"issuer": did(1), "account": A[5]}
    assert cb.request_disclosure(A[5], did(1), "AML").value == {
        "account": A[5],
        "issuer": did(1),
        "reason": "AML",
    }
    assert cb.approve_disclosure(3, b"s").value == {"request_id": 3, "share": b"s"}
