"""Interventions through real blocks: m-of-n approval, freezes, pauses, forced transfers,
expiry, lapse, the trail, and every refusal leaving the state untouched.

Chain (``make_gov``): accounts 1..4 are governance members; account 1 issues CNY. A
passed proposal appoints accounts 2, 3 and 4 as officers with threshold 2. Account 5
is the customer interventions affect; it holds CNY. Blocks are 1 s apart unless a
test jumps the clock (``at``) to land a block exactly on an expiry time.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from finchain.app import TxResult
from finchain.client import builders as b
from finchain.client import escrow_builders as esb
from finchain.client import interventions_builders as ivb
from finchain.codec import RawMsg
from finchain.core.errors import ErrGovernanceOnly
from finchain.errors import ErrorCode
from finchain.modules.bank.errors import ErrAssetPaused, ErrInsufficientFunds
from finchain.modules.interventions.errors import (
    ErrAlreadyApproved,
    ErrAlreadyInEffect,
    ErrBadDeadline,
    ErrBadIntervention,
    ErrBadOfficers,
    ErrBadTarget,
    ErrExceedsHold,
    ErrNoCourtOrder,
    ErrNotOfficer,
    ErrNotProposed,
    ErrProposalLapsed,
    ErrUnknownAsset,
    ErrUnknownIntervention,
)
from tests.harness import BLOCK_NS
from tests.modules.test_governance import A, Gov, code, failure, make_gov
from tests.testmodule import with_test_module

OFFICERS = (2, 3, 4)
CUSTOMER = 5
FUNDS = 2_000_000
"""The customer's CNY: 1,000,000 from genesis, the rest minted by the issuer."""
ORDER = ("sha256", hashlib.sha256(b"court order 2026-17").digest())
BASIS = "JR/T 0184-2020 17.3; Civil Procedure Law Art. 103"


class World:
    """The chain and the steps the scenarios are written in."""

    def __init__(self, gov: Gov) -> None:
        self.gov = gov
        self.chain = gov.chain
        self.app = gov.app

    def send(self, who: int, *msgs: RawMsg) -> TxResult:
        (result,) = self.gov.block(self.gov.tx(who, *msgs)).tx_results
        return result

    def ok(self, who: int, *msgs: RawMsg) -> TxResult:
        result = self.send(who, *msgs)
        assert result.ok, (result.codespace, result.code, result.log)
        return result

    def refused(self, error: ErrorCode, who: int, *msgs: RawMsg) -> None:
        """``who``'s message fails with ``error`` and leaves every module's state as it was."""
        before = self.state()
        result = self.send(who, *msgs)
        assert code(result) is error, (result.codespace, result.code, result.log)
        assert self.state() == before

    def at(self, time_ns: int) -> Any:
        """An empty block whose time is exactly ``time_ns``."""
        self.chain.time_ns = time_ns - BLOCK_NS
        return self.gov.block()

    @property
    def height(self) -> int:
        return self.app.height

    def terms(self, **extra: Any) -> dict[str, Any]:
        return {"legal_basis": BASIS, "deadline_height": self.height + 20, **extra}

    def propose(self, officer: int, msg: RawMsg) -> int:
        result = self.ok(officer, msg)
        (event,) = [e for e in result.events if e.type == "intervention_proposed"]
        return int(event.get("intervention_id"))

    def query(self, path: str, **params: Any) -> Any:
        return self.app.query("interventions/" + path, params).value

    def get(self, intervention_id: int) -> dict[str, Any]:
        return self.query("intervention", id=intervention_id)

    def holding(self, who: int, asset: str = "CNY") -> tuple[int, int]:
        return self.app.bank.holding(self.app.state, A[who], asset)

    def status(self, who: int) -> str:
        found = self.app.accounts.status(self.app.state, A[who])
        return str(found)

    def state(self) -> list[tuple[bytes, bytes]]:
        """Every interventions, bank and accounts entry (what a refusal must leave alone)."""
        return [
            *self.app.state.iterate(b"interventions/"),
            *self.app.state.iterate(b"bank/"),
            *self.app.state.iterate(b"accounts/acct"),
        ]


def make_world(tmp_path: Path) -> World:
    world = World(make_gov(tmp_path))
    world.gov.pass_proposal(b.exec_msg(ivb.set_officers([A[n] for n in OFFICERS], 2)))
    world.ok(1, b.mint("CNY", A[CUSTOMER], FUNDS - world.holding(CUSTOMER)[0]))
    return world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def freeze(world: World, amount: int = 400_000, **extra: Any) -> int:
    """An amount freeze of the customer's CNY, proposed by 2 and approved by 3."""
    iid = world.propose(2, ivb.freeze_amount(A[CUSTOMER], "CNY", amount, **world.terms(**extra)))
    world.ok(3, ivb.approve(iid))
    return iid


# -- officers ---------------------------------------------------------------------------------


def test_officers_are_set_only_by_governance(world):
    assert world.query("officers") == {"officers": sorted(A[n] for n in OFFICERS), "threshold": 2}
    result = world.send(1, ivb.set_officers([A[1]], 1))
    assert code(result) is ErrGovernanceOnly
    assert world.query("officers")["threshold"] == 2


def test_threshold_outside_one_to_n_is_refused_by_the_proposal(world):
    pid = world.gov.pass_proposal(b.exec_msg(ivb.set_officers([A[2], A[3]], 3)))
    assert failure(world.app.query("gov/proposal", {"proposal_id": pid}).value) is ErrBadOfficers
    assert world.query("officers")["threshold"] == 2


# -- m of n -----------------------------------------------------------------------------------


def test_freeze_needs_m_approvals_and_m_minus_one_do_nothing(world):
    msg = ivb.freeze_amount(A[CUSTOMER], "CNY", 400_000, **world.terms(order=ORDER))
    iid = world.propose(2, msg)
    assert world.holding(CUSTOMER) == (FUNDS, 0)
    found = world.get(iid)
    assert found["status"] == "proposed"
    assert [a["officer"] for a in found["approvals"]] == [A[2]]
    result = world.ok(3, ivb.approve(iid))
    assert {e.type for e in result.events} >= {"intervention_approved", "intervention_executed"}
    assert world.holding(CUSTOMER) == (FUNDS, 400_000)
    found = world.get(iid)
    assert found["status"] == "in_effect"
    assert found["held"] == "400000"
    assert found["order_hash"] == ORDER[1].hex()
    assert found["legal_basis"] == BASIS
    assert [a["officer"] for a in found["approvals"]] == [A[2], A[3]]


def test_a_frozen_amount_cannot_be_spent(world):
    freeze(world, 400_000)
    result = world.send(CUSTOMER, b.transfer((A[1], "CNY", FUNDS - 400_000 + 1)))
    assert code(result) is ErrInsufficientFunds
    world.ok(CUSTOMER, b.transfer((A[1], "CNY", FUNDS - 400_000)))
    assert world.holding(CUSTOMER) == (400_000, 400_000)


def test_non_officer_is_refused(world):
    world.refused(ErrNotOfficer, 1, ivb.freeze_account(A[CUSTOMER], **world.terms()))
    iid = world.propose(2, ivb.freeze_account(A[CUSTOMER], **world.terms()))
    world.refused(ErrNotOfficer, 1, ivb.approve(iid))


def test_an_officer_approves_once(world):
    iid = world.propose(2, ivb.freeze_account(A[CUSTOMER], **world.terms()))
    world.refused(ErrAlreadyApproved, 2, ivb.approve(iid))
    assert world.get(iid)["status"] == "proposed"


def test_approving_an_executed_intervention_is_refused(world):
    iid = freeze(world)
    world.refused(ErrNotProposed, 4, ivb.approve(iid))


def test_unknown_id_is_refused(world):
    world.refused(ErrUnknownIntervention, 2, ivb.approve(99))
    world.refused(ErrUnknownIntervention, 2, ivb.unfreeze_account(99, **world.terms()))


def test_proposal_lapses_at_its_deadline(world):
    deadline = world.height + 3
    msg = ivb.freeze_account(A[CUSTOMER], legal_basis=BASIS, deadline_height=deadline)
    iid = world.propose(2, msg)
    while world.height < deadline - 1:
        world.gov.block()
    assert world.get(iid)["status"] == "proposed"
    response = world.gov.block()  # the deadline height: lapses at its end
    assert world.height == deadline
    assert [e for e in response.events if e.type == "intervention_lapsed"]
    assert world.get(iid)["status"] == "lapsed"
    world.refused(ErrProposalLapsed, 3, ivb.approve(iid))
    assert world.status(CUSTOMER) == "active"


def test_approval_at_the_deadline_height_still_counts(world):
    deadline = world.height + 2
    iid = world.propose(
        2, ivb.freeze_account(A[CUSTOMER], legal_basis=BASIS, deadline_height=deadline)
    )
    world.ok(3, ivb.approve(iid))
    assert world.height == deadline
    assert world.get(iid)["status"] == "in_effect"


# -- kinds ------------------------------------------------------------------------------------


def test_freeze_and_unfreeze_an_account(world):
    iid = world.propose(2, ivb.freeze_account(A[CUSTOMER], **world.terms()))
    world.ok(4, ivb.approve(iid))
    assert world.status(CUSTOMER) == "frozen"
    assert code(world.send(CUSTOMER, b.transfer((A[1], "CNY", 1)))) is not None
    world.refused(ErrAlreadyInEffect, 3, ivb.freeze_account(A[CUSTOMER], **world.terms()))
    undo = world.propose(3, ivb.unfreeze_account(iid, **world.terms()))
    assert world.status(CUSTOMER) == "frozen"
    world.ok(2, ivb.approve(undo))
    assert world.status(CUSTOMER) == "active"
    assert world.get(iid)["status"] == "lifted"
    assert world.get(iid)["closed_by"] == f"intervention {undo}"
    assert world.get(undo)["status"] == "done"
    world.ok(CUSTOMER, b.transfer((A[1], "CNY", 1)))


def test_unfreeze_releases_part_then_all_and_never_more_than_it_froze(world):
    iid = freeze(world, 400_000)
    world.refused(ErrExceedsHold, 2, ivb.unfreeze_amount(iid, 400_001, **world.terms()))
    part = world.propose(2, ivb.unfreeze_amount(iid, 100_000, **world.terms()))
    world.ok(4, ivb.approve(part))
    assert world.holding(CUSTOMER) == (FUNDS, 300_000)
    assert world.get(iid)["held"] == "300000"
    assert world.get(iid)["status"] == "in_effect"
    rest = world.propose(3, ivb.unfreeze_amount(iid, 300_000, **world.terms()))
    world.ok(2, ivb.approve(rest))
    assert world.holding(CUSTOMER) == (FUNDS, 0)
    assert world.get(iid)["status"] == "lifted"
    world.refused(ErrBadTarget, 2, ivb.unfreeze_amount(iid, 1, **world.terms()))


def test_unfreeze_does_not_touch_escrows_frozen_amount(world):
    world.ok(
        CUSTOMER,
        esb.create(
            A[1], "CNY", 500_000, approvers=[A[2]], threshold=1, expiry_height=world.height + 100
        ),
    )
    assert world.holding(CUSTOMER) == (FUNDS, 500_000)
    iid = freeze(world, 500_000)
    assert world.holding(CUSTOMER) == (FUNDS, 1_000_000)
    assert world.query("held", account=A[CUSTOMER], asset="CNY")["held"] == "500000"
    world.refused(ErrExceedsHold, 2, ivb.unfreeze_amount(iid, 500_001, **world.terms()))
    assert world.query("held", account=A[CUSTOMER], asset="CNY")["held"] == "500000"


def test_pause_refuses_transfers_until_resumed(world):
    iid = world.propose(2, ivb.pause_asset("CNY", **world.terms()))
    world.ok(3, ivb.approve(iid))
    assert world.query("paused", asset="CNY")["paused_by"] == iid
    assert code(world.send(CUSTOMER, b.transfer((A[1], "CNY", 5)))) is ErrAssetPaused
    world.refused(ErrAlreadyInEffect, 4, ivb.pause_asset("CNY", **world.terms()))
    undo = world.propose(4, ivb.resume_asset(iid, **world.terms()))
    world.ok(2, ivb.approve(undo))
    assert world.query("paused", asset="CNY")["paused_by"] is None
    world.ok(CUSTOMER, b.transfer((A[1], "CNY", 5)))


def test_pause_of_an_unknown_asset_is_refused(world):
    world.refused(ErrUnknownAsset, 2, ivb.pause_asset("NOPE", **world.terms()))


def test_forced_transfer_needs_a_court_order(world):
    world.refused(
        ErrNoCourtOrder, 2, ivb.forced_transfer(A[CUSTOMER], A[1], "CNY", 1_000, **world.terms())
    )
    msg = ivb.forced_transfer(A[CUSTOMER], A[1], "CNY", 1_000, **world.terms(order=ORDER))
    iid = world.propose(2, msg)
    assert world.holding(CUSTOMER) == (FUNDS, 0)
    world.ok(3, ivb.approve(iid))
    assert world.holding(CUSTOMER) == (FUNDS - 1_000, 0)
    assert world.get(iid)["status"] == "done"
    for affected in (A[CUSTOMER], A[1]):  # the debited account and the recipient both see it
        listing = world.query("by_account", account=affected)["interventions"]
        assert [i["id"] for i in listing] == [iid]


def test_forced_transfer_goes_through_a_pause(world):
    pause = world.propose(2, ivb.pause_asset("CNY", **world.terms()))
    world.ok(3, ivb.approve(pause))
    iid = world.propose(
        4, ivb.forced_transfer(A[CUSTOMER], A[1], "CNY", 7, **world.terms(order=ORDER))
    )
    world.ok(2, ivb.approve(iid))
    assert world.holding(CUSTOMER) == (FUNDS - 7, 0)


def test_malformed_terms_are_refused(world):
    world.refused(
        ErrBadIntervention,
        2,
        ivb.propose("freeze_account", account=A[5], asset="CNY", **world.terms()),
    )
    world.refused(
        ErrBadDeadline,
        2,
        ivb.forced_transfer(
            A[5], A[1], "CNY", 1, **world.terms(order=ORDER, expiry_height=world.height + 5)
        ),
    )
    world.refused(ErrBadDeadline, 2, ivb.freeze_account(A[5], legal_basis=BASIS, deadline_height=1))


# -- expiry -----------------------------------------------------------------------------------


def test_amount_freeze_lifts_itself_at_its_expiry_height(world):
    expiry = world.height + 4
    iid = freeze(world, 400_000, expiry_height=expiry)
    while world.height < expiry - 1:
        world.gov.block()
    assert world.holding(CUSTOMER) == (FUNDS, 400_000)
    response = world.gov.block()
    assert world.height == expiry
    assert [e for e in response.events if e.type == "intervention_lifted"]
    assert world.holding(CUSTOMER) == (FUNDS, 0)
    found = world.get(iid)
    assert (found["status"], found["closed_by"], found["closed_height"]) == (
        "lifted",
        "expiry",
        expiry,
    )
    assert world.query("held", account=A[CUSTOMER], asset="CNY")["held"] == "0"


def test_amount_freeze_lifts_itself_at_its_expiry_time_exactly(world):
    expiry = world.chain.time_ns + 60 * BLOCK_NS
    iid = freeze(world, 400_000, expiry_time=expiry)
    world.at(expiry - 1)
    assert world.holding(CUSTOMER) == (FUNDS, 400_000)
    assert world.get(iid)["status"] == "in_effect"
    world.at(expiry)
    assert world.holding(CUSTOMER) == (FUNDS, 0)
    assert (world.get(iid)["status"], world.get(iid)["closed_by"]) == ("lifted", "expiry")


def test_pause_lifts_itself_at_its_expiry_time(world):
    expiry = world.chain.time_ns + 100 * BLOCK_NS
    iid = world.propose(2, ivb.pause_asset("CNY", **world.terms(expiry_time=expiry)))
    world.ok(3, ivb.approve(iid))
    world.at(expiry - 1)
    assert world.get(iid)["status"] == "in_effect"
    world.at(expiry)
    assert world.get(iid)["status"] == "lifted"
    world.ok(CUSTOMER, b.transfer((A[1], "CNY", 5)))


def test_account_freeze_lifts_itself_at_its_expiry(world):
    expiry = world.height + 3
    iid = world.propose(2, ivb.freeze_account(A[CUSTOMER], **world.terms(expiry_height=expiry)))
    world.ok(3, ivb.approve(iid))
    assert world.status(CUSTOMER) == "frozen"
    world.gov.block()
    assert world.height == expiry
    assert world.status(CUSTOMER) == "active"


# -- trail ------------------------------------------------------------------------------------


def test_every_intervention_stays_queryable_by_account_and_status(world):
    kept = freeze(world, 10)
    lapsing = world.propose(
        2, ivb.freeze_account(A[CUSTOMER], legal_basis=BASIS, deadline_height=world.height + 1)
    )
    assert world.get(lapsing)["status"] == "lapsed"
    listing = world.query("by_account", account=A[CUSTOMER])
    assert [i["id"] for i in listing["interventions"]] == [kept, lapsing]
    assert [i["id"] for i in world.query("by_status", status="lapsed")["interventions"]] == [
        lapsing
    ]
    assert [i["id"] for i in world.query("by_status", status="in_effect")["interventions"]] == [
        kept
    ]
    page = world.query("by_account", account=A[CUSTOMER], limit=1)
    assert page["next_cursor"] == str(lapsing)


def test_export_and_import_carry_interventions_over(world, tmp_path):
    """A chain with a held freeze, a pause, an account freeze, a lifted and a proposed
    intervention, exported and imported by a fresh application: the same state."""
    freeze(world, 10, expiry_height=world.height + 50)
    pause = world.propose(2, ivb.pause_asset("CNY", **world.terms(order=ORDER)))
    world.ok(4, ivb.approve(pause))
    account = world.propose(3, ivb.freeze_account(A[CUSTOMER], **world.terms()))
    world.ok(2, ivb.approve(account))
    lifted = freeze(world, 20)
    world.ok(4, ivb.approve(world.propose(2, ivb.unfreeze_amount(lifted, 20, **world.terms()))))
    world.propose(3, ivb.freeze_amount(A[1], "CNY", 5, **world.terms()))
    exported = world.app.export()
    target = with_test_module(tmp_path / "target")
    target.init_chain(exported)
    for prefix in (b"interventions/", b"bank/", b"accounts/acct"):
        assert dict(target.state.iterate(prefix)) == dict(world.app.state.iterate(prefix))
    assert target.check_invariants() == []
    target.close()
