"""Escrow messages: builders round-trip through the wire form; arbitrary maps are refused with
a registered code (``tx:6`` for shape, ``escrow:*`` for terms), never an unexpected exception."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.client import escrow_builders as esb
from finchain.codec import decode, encode
from finchain.errors import FinchainError
from finchain.modules.accounts.types import account_id
from finchain.modules.escrow.messages import ALL_MSGS, MsgCreate
from finchain.modules.escrow.types import Conditions, EvidenceCondition

A2, A3, A4 = account_id(2), account_id(3), account_id(4)
ROUTES = {cls.TYPE: cls for cls in ALL_MSGS}
NOTE = hashlib.sha256(b"note").digest()

BUILT = [
    esb.create(
        A2,
        "CNY",
        10,
        hash_lock=esb.hash_lock("sm3", b"s"),
        not_before_height=3,
        not_before_time=5,
        approvers=[A4, A3],
        threshold=2,
        evidence=esb.evidence("sha256", NOTE, submitter=A3, cosigners=[A4]),
        expiry_height=9,
        expiry_time=10**18,
        reference="T-1",
    ),
    esb.create(A2, "CNY", 1, not_before_height=2, expiry_height=3),
    esb.approve(1),
    esb.release(2, preimage=b"secret"),
    esb.release(3),
    esb.refund(4),
    esb.cancel(5),
]


@pytest.mark.parametrize("raw", BUILT, ids=lambda r: r.type)
def test_built_messages_round_trip_through_canonical_bytes(raw):
    cls = ROUTES[raw.type]
    value = decode(encode(raw.value), max_size=10_000)
    msg = cls.from_value(value)
    assert msg.to_value() == raw.value
    assert encode(msg.to_value()) == encode(raw.value)


def test_defaults_are_left_out_on_the_wire():
    raw = esb.create(A2, "CNY", 1, not_before_height=2, expiry_height=3)
    assert raw.value == {
        "payee": A2,
        "asset": "CNY",
        "amount": "1",
        "conditions": {"not_before_height": 2},
        "expiry_height": 3,
    }
    msg = MsgCreate.from_value(raw.value)
    assert msg.conditions == Conditions(not_before_height=2)
    assert msg.sensitive_operations()[0].amount == 1


def test_approvers_and_cosigners_are_sets():
    one = esb.create(A2, "CNY", 1, approvers=[A4, A3], threshold=1, expiry_height=3)
    two = esb.create(A2, "CNY", 1, approvers=[A3, A4], threshold=1, expiry_height=3)
    assert encode(one.value) == encode(two.value)
    doubled = {**one.value, "conditions": {"approvers": [A3, A3], "threshold": 1}}
    with pytest.raises(FinchainError) as caught:
        MsgCreate.from_value(doubled)
    assert caught.value.codespace == "tx"
    assert EvidenceCondition("sm3", NOTE).to_obj() == {"hash_alg": "sm3", "hash": NOTE}


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.binary(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=8,
)
_fields = st.sampled_from(
    ["payee", "asset", "amount", "conditions", "expiry_height", "expiry_time", "reference",
     "escrow_id", "preimage", "hash_lock", "approvers", "threshold", "other"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(ALL_MSGS), st.dictionaries(_fields, _values, max_size=6))
def test_arbitrary_maps_decode_or_fail_with_a_registered_code(cls, value: dict[str, Any]):
    try:
        msg = cls.from_value(value)
    except FinchainError as exc:
        assert exc.codespace in ("tx", "escrow")
    else:
        assert cls.from_value(msg.to_value()) == msg
