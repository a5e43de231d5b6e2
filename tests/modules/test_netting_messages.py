"""Netting messages: the wire maps the SDK signs, round trips, strict refusals, guarded totals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.client import netting_builders as nb
from finchain.codec import MAX_AMOUNT, decode_trusted, encode
from finchain.core.errors import ErrInvalidMsg
from finchain.core.msgs import TRANSFER, Operation
from finchain.errors import FinchainError
from finchain.modules.accounts.types import account_id
from finchain.modules.netting.errors import ErrBadClose, ErrTooManyObligations, ErrZeroAmount
from finchain.modules.netting.messages import ALL_MSGS, MsgOpenCycle, MsgSubmitObligations

A1, A2, A3 = account_id(1), account_id(2), account_id(3)
ROUTES = {cls.TYPE: cls for cls in ALL_MSGS}


def parse(raw):
    msg = ROUTES[raw.type].from_value(decode_trusted(encode(raw.value)))
    msg.validate()
    return msg


def test_wire_maps():
    assert nb.open_cycle("CNY", [A2, A1], close_height=9).value == {
        "asset": "CNY",
        "members": sorted([A1, A2]),
        "close_height": 9,
    }
    assert nb.submit(3, "CNY", [(A2, 10**30)]).value == {
        "cycle": 3,
        "asset": "CNY",
        "obligations": [{"payee": A2, "amount": str(10**30)}],
    }


@settings(max_examples=100, deadline=None)
@given(
    cycle=st.integers(1, 2**63 - 1),
    items=st.lists(
        st.tuples(st.sampled_from([A1, A2, A3]), st.integers(1, MAX_AMOUNT // 1000)),
        min_size=1,
        max_size=20,
    ),
)
def test_submit_round_trips_and_declares_its_total(cycle, items):
    msg = parse(nb.submit(cycle, "CNY", items))
    assert isinstance(msg, MsgSubmitObligations)
    assert [(o.payee, o.amount) for o in msg.obligations] == items
    total = sum(a for _, a in items)
    assert msg.sensitive_operations() == (Operation(TRANSFER, "CNY", total),)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"asset": "CNY", "members": [A1, A1], "close_height": 9}, ErrInvalidMsg),
        ({"asset": "CNY", "members": [A1, A2], "close_height": 9, "x": 1}, ErrInvalidMsg),
        ({"asset": "CNY", "members": [A1, A2]}, ErrBadClose),
        ({"asset": "cny", "members": [A1, A2], "close_height": 9}, ErrInvalidMsg),
    ],
)
def test_open_refusals(value, error):
    with pytest.raises(FinchainError) as info:
        msg = MsgOpenCycle.from_value(value)
        msg.validate()
    assert info.value.error is error


@pytest.mark.parametrize(
    ("obligations", "error"),
    [
        ([], ErrInvalidMsg),
        ([{"payee": A2, "amount": 5}], ErrInvalidMsg),  # amounts are decimal strings
        ([{"payee": "bob", "amount": "5"}], ErrInvalidMsg),
        ([{"payee": A2, "amount": "0"}], ErrZeroAmount),
        ([{"payee": A2, "amount": "1"}] * 1_001, ErrTooManyObligations),
    ],
)
def test_submit_refusals(obligations, error):
    with pytest.raises(FinchainError) as info:
        msg = MsgSubmitObligations.from_value(
            {"cycle": 1, "asset": "CNY", "obligations": obligations}
        )
        msg.validate()
    assert info.value.error is error
