"""Parsers of the lending messages and records: strict, total, and the inverse of ``to_value``."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.client import lending_builders as lb
from finchain.codec import RawMsg
from finchain.core.errors import ErrInvalidMsg
from finchain.errors import FinchainError
from finchain.modules.accounts.types import account_id
from finchain.modules.lending.messages import ALL_MSGS
from finchain.modules.lending.types import Instalment, Loan, Natural

BORROWER = account_id(3)
SAMPLES: list[RawMsg] = [
    lb.offer(
        BORROWER, "CNY", 10_000, rate_bps=450, due_times=[10, 20], collateral_asset="GOLD",
        collateral=20_000, max_ltv_bps=6_000, margin_ltv_bps=8_000, margin_cure_s=60,
        grace_s=120, schedule="bullet",
    ),
    lb.cancel(1),
    lb.accept(2),
    lb.repay(3, "CNY", 99),
    lb.add_collateral(4, 5),
    lb.appoint_oracle(account_id(5), 3_600),
    lb.post_price("GOLD", "CNY", 201, 2, 1_767_225_600_000_000_000),
]  # fmt: skip
BY_TYPE = {cls.TYPE: cls for cls in ALL_MSGS}


def test_every_message_has_a_builder_and_round_trips() -> None:
    assert {raw.type for raw in SAMPLES} == set(BY_TYPE)
    for raw in SAMPLES:
        msg = BY_TYPE[raw.type].from_value(dict(raw.value))
        assert msg.to_raw() == raw


@pytest.mark.parametrize("raw", SAMPLES, ids=lambda r: r.type)
def test_unknown_and_missing_fields_are_refused(raw: RawMsg) -> None:
    cls = BY_TYPE[raw.type]
    with pytest.raises(FinchainError) as err:
        cls.from_value({**raw.value, "extra": 1})
    assert (err.value.codespace, err.value.code) == (ErrInvalidMsg.codespace, ErrInvalidMsg.code)
    for name in raw.value:
        partial = {k: v for k, v in raw.value.items() if k != name}
        with pytest.raises(FinchainError):
            cls.from_value(partial)


def test_wire_ranges() -> None:
    offer = dict(SAMPLES[0].value)
    for field, bad in (
        ("schedule", "balloon"),
        ("principal", "0"),
        ("due_times", list(range(361))),
        ("rate_bps", -1),
        ("rate_bps", 1.5),
        ("borrower", "alice"),
    ):
        with pytest.raises(FinchainError):
            BY_TYPE["lending/offer"].from_value({**offer, field: bad})


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.binary(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SAMPLES), st.text(max_size=12), values)
def test_any_field_value_is_parsed_or_refused_with_a_code(raw: RawMsg, name: str, value: Any):
    cls = BY_TYPE[raw.type]
    field = name if name in raw.value and name else next(iter(raw.value))
    try:
        msg = cls.from_value({**raw.value, field: value})
    except FinchainError as exc:
        assert exc.codespace == "tx"
    else:
        assert cls.from_value(msg.to_value()) == msg


def test_natural_is_canonical() -> None:
    codec = Natural()
    assert codec.decode(str(10**60), "n") == 10**60 and codec.encode(7) == "7"
    for bad in ("", "01", "-1", "1.0", 5, "١"):
        with pytest.raises(FinchainError):
            codec.decode(bad, "n")


def test_a_stored_loan_round_trips_with_its_state() -> None:
    loan = Loan(
        id=1, lender=account_id(2), borrower=BORROWER, asset="CNY", principal=100,
        rate_bps=500, schedule="bullet", collateral_asset="GOLD", collateral=300,
        max_ltv_bps=6_000, margin_ltv_bps=8_000, margin_cure_ns=0, grace_ns=0,
        status="active", offered_height=3, instalments=(Instalment(5), Instalment(9)),
        outstanding=100, accrued_num=10**40, accrued_to=4, margin_deadline=7,
        collateral_escrows=(4, 9),
    )  # fmt: skip
    assert Loan.from_obj(loan.to_obj()) == loan
    assert Loan.from_json(loan.to_json()) == loan and loan.to_json()["state"] == "margin_call"
    with pytest.raises(FinchainError):
        Loan.from_json({**loan.to_json(), "state": "active"})


@pytest.mark.parametrize(
    "change",
    [
        {"collateral_escrows": []},  # an active loan without its pledge
        {"collateral_escrows": [4, 4]},  # one escrow counted twice
        {"status": "offered"},  # an offer holding escrows
        {"release_pending": True},  # only a defaulted loan waits for a release
    ],
)
def test_a_stored_loan_must_list_its_escrows_consistently(change: dict[str, object]) -> None:
    loan = Loan(
        id=1, lender=account_id(2), borrower=BORROWER, asset="CNY", principal=100,
        rate_bps=500, schedule="bullet", collateral_asset="GOLD", collateral=300,
        max_ltv_bps=6_000, margin_ltv_bps=8_000, margin_cure_ns=0, grace_ns=0,
        status="active", offered_height=3, instalments=(Instalment(5),),
        collateral_escrows=(4,),
    )  # fmt: skip
    encoded = {k: v for k, v in loan.to_json().items() if k != "state"}
    assert Loan.from_json(encoded) == loan
    with pytest.raises(FinchainError):
        Loan.from_json({**encoded, **change})
