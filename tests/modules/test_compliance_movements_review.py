"""Value that moves through other modules' messages is judged like a bank transfer."""

from __future__ import annotations

from pathlib import Path

import pytest

from finchain.client import builders as b
from finchain.client import escrow_builders as esb
from finchain.client import settlement_builders as sb
from finchain.codec import RawMsg
from finchain.modules.compliance.errors import ErrDenied
from finchain.modules.compliance.movements import CASH_IN, TRANSFER, movements_of
from finchain.modules.netting.messages import MsgSubmitObligations, Obligation
from finchain.modules.securities.messages import MsgIssue
from finchain.modules.settlement.messages import MsgInstruct
from tests.modules.compliance_world import World, deny, make_world
from tests.modules.test_governance import A


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def _settle(amount: int) -> RawMsg:
    deal = sb.instruction(
        "ref-1",
        "fop",
        [sb.leg(A[1], A[2], "CNY", amount)],
        deadline_height=10_000,
    )
    return sb.settle(deal)


def _escrow(amount: int) -> RawMsg:
    return esb.create(A[2], "CNY", amount, not_before_height=5, expiry_height=10_000)


@pytest.mark.parametrize("build", [_settle, _escrow], ids=["settlement", "escrow"])
def test_a_denied_amount_cannot_move_through_another_module(world: World, build) -> None:
    world.install(deny("big", "move.amount >= 1000 && recipient.address == '" + A[2] + "'"))
    world.refused(ErrDenied, 1, build(1000))
    world.refused(ErrDenied, 1, b.transfer((A[2], "CNY", 1000)))
    world.ok(1, build(999))
    assert world.app.compliance.aggregate(world.app.state, "i", A[2], "CNY") is not None


def test_every_netting_obligation_is_a_transfer_from_the_signer() -> None:
    msg = MsgSubmitObligations(7, "CNY", (Obligation(A[2], 5), Obligation(A[3], 6)))
    moves = movements_of([msg], A[1])
    assert [(m.kind, m.sender, m.recipient, m.asset, m.amount) for m in moves] == [
        (TRANSFER, A[1], A[2], "CNY", 5),
        (TRANSFER, A[1], A[3], "CNY", 6),
    ]


def test_each_side_of_a_matched_instruction_moves_only_the_legs_it_pays() -> None:
    deal = sb.instruction(
        "dvp-1",
        "dvp",
        [sb.leg(A[1], A[2], "CNY", 100), sb.leg(A[2], A[1], "BOND", 3)],
        deadline_height=10_000,
    )
    one = movements_of([MsgInstruct(deal, A[2])], A[1])
    other = movements_of([MsgInstruct(deal, A[1])], A[2])
    assert [(m.sender, m.recipient, m.asset, m.amount) for m in one] == [(A[1], A[2], "CNY", 100)]
    assert [(m.sender, m.recipient, m.asset, m.amount) for m in other] == [(A[2], A[1], "BOND", 3)]


def test_an_issue_of_a_security_is_a_cash_in_of_its_units() -> None:
    """So the verified-holder rule sees who receives a regulated security."""
    (move,) = movements_of([MsgIssue("CNE100000296", A[3], 40)], A[1])
    assert (move.kind, move.sender, move.recipient, move.asset, move.amount) == (
        CASH_IN,
        A[1],
        A[3],
        "CNE100000296",
        40,
    )
