"""Parsers of the data-rights messages: strict, total, and the inverse of ``to_value``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.client import datarights_builders as drb
from finchain.codec import RawMsg
from finchain.core.errors import ErrInvalidMsg
from finchain.core.msgs import Msg
from finchain.errors import FinchainError
from finchain.formats.did import make_did
from finchain.modules.datarights.messages import (
    ALL_MSGS,
    MsgAddVersion,
    MsgForget,
    MsgGrant,
    MsgRecordAccess,
    MsgRegisterAsset,
    MsgRevoke,
)
from finchain.modules.datarights.types import (
    MAX_VERSIONS,
    Access,
    Grant,
    Rewrap,
    Version,
    WrappedKey,
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


# -- the wire format from the declarations: unchanged, and every message round-trips ----------


def test_builders_send_the_wire_maps_clients_signed_before() -> None:
    """Each builder's map spelled out, as the SDK sent it before messages were declared."""
    wrapped = b"\x02" * 162
    assert drb.register_asset(
        OWNER, bytes(32), bytes(range(32)), title="Q3", purposes=["risk", "audit"]
    ).value == {
        "owner": OWNER,
        "hash": bytes(32),
        "title": "Q3",
        "terms": "",
        "purposes": ["audit", "risk"],
        "location": "",
        "key_id": bytes(range(32)),
    }
    version = drb.add_version(
        7,
        bytes(32),
        bytes(32),
        wraps=[drb.rewrap(GRANTEE, "ka", wrapped), drb.rewrap(OWNER, "kb", b"\x01")],
        location="urn:x",
    )
    assert (version.type, version.value) == (
        "datarights/add_version",
        {
            "asset": 7,
            "hash": bytes(32),
            "location": "urn:x",
            "key_id": bytes(32),
            "wraps": sorted(
                [
                    {"grantee": GRANTEE, "key_id": "ka", "wrapped_key": wrapped},
                    {"grantee": OWNER, "key_id": "kb", "wrapped_key": b"\x01"},
                ],
                key=lambda w: str(w["grantee"]),
            ),
        },
    )
    grant = drb.grant(
        7,
        GRANTEE,
        purposes=["b", "a"],
        not_before=1,
        not_after=2,
        key_id="ka",
        wrapped_key=wrapped,
    )
    assert grant.value == {
        "asset": 7,
        "grantee": GRANTEE,
        "purposes": ["a", "b"],
        "not_before": 1,
        "not_after": 2,
        "key_id": "ka",
        "wrapped_key": wrapped,
    }
    assert drb.revoke(7, GRANTEE).value == {"asset": 7, "grantee": GRANTEE}
    assert drb.record_access(7, GRANTEE, purpose="audit", version=2).value == {
        "asset": 7,
        "grantee": GRANTEE,
        "purpose": "audit",
        "version": 2,
    }
    assert drb.forget(7, 2).value == {"asset": 7, "version": 2}
    assert [m.TYPE for m in ALL_MSGS] == [
        "datarights/register_asset",
        "datarights/add_version",
        "datarights/grant",
        "datarights/revoke",
        "datarights/record_access",
        "datarights/forget",
    ]


_dids = st.integers(1, 10**9).map(lambda n: make_did("test-chain", n))
_ids = st.integers(1, 2**63 - 1)
_versions = st.integers(1, MAX_VERSIONS)
_purpose = st.from_regex(r"[a-z][a-z0-9_.-]{0,31}", fullmatch=True)
_purposes = st.lists(_purpose, min_size=1, max_size=16, unique=True)
_method = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,31}", fullmatch=True)
_sealed = st.binary(min_size=1, max_size=256)
_times = st.integers(0, 2**63 - 1)
_locations = st.sampled_from(["", "urn:x", "https://files.example/q3.fcdr", "finchain-payload:ab"])
_text = st.text(max_size=20).filter(lambda t: len(t.encode()) <= 128)


def _round_trips(raw: RawMsg, expected: Msg) -> None:
    msg = type(expected).from_value(raw.value)
    assert msg == expected
    assert msg.to_raw() == raw
    assert type(expected).from_value(msg.to_value()) == msg


@given(_dids, _text.filter(bool), _text, _purposes, _locations)
def test_any_register_message_round_trips(
    owner: str, title: str, terms: str, purposes: list[str], location: str
) -> None:
    raw = drb.register_asset(
        owner, bytes(32), bytes(32), title=title, purposes=purposes, terms=terms, location=location
    )
    expected = MsgRegisterAsset(
        owner, bytes(32), title, terms, tuple(sorted(purposes)), location, bytes(32)
    )
    _round_trips(raw, expected)


@given(
    _ids,
    st.lists(st.tuples(_dids, _method, _sealed), max_size=8, unique_by=lambda w: w[0]),
    _locations,
)
def test_any_add_version_message_round_trips(
    asset: int, wraps: list[tuple[str, str, bytes]], location: str
) -> None:
    raw = drb.add_version(
        asset,
        bytes(32),
        bytes(32),
        wraps=[drb.rewrap(*w) for w in wraps],
        location=location,
    )
    sealed = tuple(sorted(Rewrap(*w) for w in wraps))
    _round_trips(raw, MsgAddVersion(asset, bytes(32), location, bytes(32), sealed))


@given(_ids, _dids, _purposes, st.integers(0, 2**62), st.integers(1, 2**62), _method, _sealed)
def test_any_grant_message_round_trips(
    asset: int,
    grantee: str,
    purposes: list[str],
    start: int,
    length: int,
    method: str,
    sealed: bytes,
) -> None:
    raw = drb.grant(
        asset,
        grantee,
        purposes=purposes,
        not_before=start,
        not_after=start + length,
        key_id=method,
        wrapped_key=sealed,
    )
    expected = MsgGrant(
        asset, grantee, tuple(sorted(purposes)), start, start + length, method, sealed
    )
    _round_trips(raw, expected)


@given(_ids, _dids, _purpose, _versions)
def test_any_revoke_access_and_forget_message_round_trips(
    asset: int, grantee: str, purpose: str, version: int
) -> None:
    _round_trips(drb.revoke(asset, grantee), MsgRevoke(asset, grantee))
    _round_trips(
        drb.record_access(asset, grantee, purpose=purpose, version=version),
        MsgRecordAccess(asset, grantee, purpose, version),
    )
    _round_trips(drb.forget(asset, version), MsgForget(asset, version))


@given(_ids, _dids, _purposes, _times, _method, _versions, st.booleans(), st.binary(max_size=32))
def test_records_round_trip_through_the_store_and_json(
    number: int,
    did: str,
    purposes: list[str],
    time_ns: int,
    method: str,
    version: int,
    ended: bool,
    tx_id: bytes,
) -> None:
    stamp = (7, time_ns) if ended else (0, 0)  # (height, time) of the deletion or revocation
    records: list[Any] = [
        Version(number, version, bytes(32), bytes(range(32)), "urn:x", 5, time_ns, *stamp),
        Grant(
            number,
            number,
            did,
            tuple(sorted(purposes)),
            0,
            2**63 - 1,
            method,
            version,
            5,
            time_ns,
            *stamp,
        ),
        Access(number, 0, did, 3, "FC671234567890", number, version, purposes[0], 5, 6, tx_id),
        WrappedKey(method, b"\x01" * 162),
    ]
    for record in records:
        assert type(record).from_obj(record.to_obj()) == record
        as_json = json.loads(json.dumps(record.to_json()))
        assert type(record).from_json(as_json) == record
    assert records[0].to_json()["forgotten"] is ended and records[1].to_json()["revoked"] is ended
    assert records[2].to_json()["tx_id"] == tx_id.hex()
