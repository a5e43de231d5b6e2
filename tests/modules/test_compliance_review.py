"""Held transactions and rule-set activation against what changed meanwhile (issue 14 review)."""

from __future__ import annotations

from pathlib import Path

import pytest

from finchain.client import aml_builders as amlb
from finchain.client import builders as b
from finchain.client import compliance_builders as cb
from finchain.client import interventions_builders as ivb
from finchain.crypto import generate_private_key
from finchain.modules.compliance.errors import ErrNotApprover, ErrNotHeld
from tests.modules.compliance_world import CUSTOMER, World, deny, make_world
from tests.modules.test_compliance import approve_rule
from tests.modules.test_governance import A
from tests.modules.test_identity import Registry, method


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = make_world(tmp_path)
    world.gov.pass_proposal(b.exec_msg(ivb.set_officers([A[2], A[3], A[4]], 2)))
    return world


def _hold(world: World, who: int, amount: int) -> int:
    result = world.ok(who, b.transfer((A[1], "CNY", amount)))
    held = next(e for e in result.events if e.type == "compliance_held")
    return int(held.get("held_id") or 0)


def test_a_held_tx_of_an_account_frozen_while_it_waited_does_not_run(world: World) -> None:
    world.install(approve_rule(blocks=50))
    held_id = _hold(world, CUSTOMER, 5000)
    before = (world.balance(CUSTOMER), world.balance(1))
    terms = {"legal_basis": "JR/T 0184 17.3", "deadline_height": world.height + 20}
    result = world.ok(2, ivb.freeze_account(A[CUSTOMER], **terms))
    iid = int(
        next(e for e in result.events if e.type == "intervention_proposed").get("intervention_id")
    )
    world.ok(3, ivb.approve(iid))
    assert str(world.app.accounts.status(world.app.state, A[CUSTOMER])) == "frozen"
    world.ok(2, cb.approve(held_id))
    world.ok(3, cb.approve(held_id))  # the approval succeeds; the held messages do not run
    found = world.query("held", id=held_id)
    assert found["status"] == "failed"
    assert "frozen" in str(found)
    assert (world.balance(CUSTOMER), world.balance(1)) == before
    assert world.app.compliance.aggregate(world.app.state, "o", A[CUSTOMER], "CNY") is None


def test_a_held_tx_is_refused_by_a_denial_activated_while_it_waited(world: World) -> None:
    world.install(approve_rule(blocks=200))
    held_id = _hold(world, CUSTOMER, 5000)
    before = (world.balance(CUSTOMER), world.balance(1))
    world.install(
        approve_rule(blocks=200),
        deny("to-1", f'recipient.address == "{A[1]}"', "account 1 may not receive"),
    )
    world.ok(2, cb.approve(held_id))
    world.ok(3, cb.approve(held_id))
    found = world.query("held", id=held_id)
    assert found["status"] == "failed"
    assert "to-1" in str(found)
    assert (world.balance(CUSTOMER), world.balance(1)) == before


def test_a_scheduled_set_overtaken_by_a_higher_version_does_not_stay_scheduled(
    world: World,
) -> None:
    low = world.publish(deny("a", "move.amount > 10"))
    high = world.publish(deny("b", "move.amount > 20"))
    start = world.height
    world.activate(low, start + 60)
    world.activate(high, start + 45)
    world.gov.run_until(start + 61)
    assert world.query("active")["version"] == high
    assert world.query("ruleset", version=low)["status"] == "superseded"
    assert world.query("ruleset", version=high)["status"] == "active"


def test_a_held_tx_does_not_move_value_inside_a_key_reset_lock(world: World) -> None:
    world.install(approve_rule(blocks=50))
    world.ok(CUSTOMER, b.set_recovery(A[2]))
    held_id = _hold(world, CUSTOMER, 5000)
    before = (world.balance(CUSTOMER), world.balance(1))
    new_key = generate_private_key("ed25519")
    world.ok(2, b.initiate_reset(A[CUSTOMER], b.policy([b.key_of("n1", new_key)])))
    world.ok(2, cb.approve(held_id))
    world.ok(3, cb.approve(held_id))
    found = world.query("held", id=held_id)
    assert found["status"] == "failed"
    assert "key-reset" in str(found)
    assert (world.balance(CUSTOMER), world.balance(1)) == before


def test_a_held_travel_record_names_the_held_transaction(world: World) -> None:
    reg = Registry(world.chain)
    bank_a = reg.create(1, method("k", generate_private_key("ed25519")))
    bank_b = reg.create(2, method("k", generate_private_key("ed25519")))
    world.install(approve_rule(blocks=50))
    envelope = bytes([7]) * 32
    result = world.ok(
        CUSTOMER,
        b.transfer((A[1], "CNY", 5000)),
        amlb.travel_record([0], envelope, bank_a, bank_b),
    )
    held = next(e for e in result.events if e.type == "compliance_held")
    held_id = int(held.get("held_id") or 0)
    held_tx = world.app.compliance.require_held(world.app.state, held_id).tx_id
    world.ok(2, cb.approve(held_id))
    world.ok(3, cb.approve(held_id))
    assert world.query("held", id=held_id)["status"] == "executed"
    record = world.app.aml.require_travel(world.app.state, envelope, A[CUSTOMER])
    assert record.tx_id == held_tx


def test_a_held_tx_never_runs_above_its_own_expiry_height(world: World) -> None:
    world.install(approve_rule(blocks=50))
    signer = world.chain.signer(CUSTOMER)
    signer.nonce = world.app.accounts.nonce(world.app.state, A[CUSTOMER])
    expiry = world.height + 3
    (result,) = world.gov.block(
        signer.sign(b.transfer((A[1], "CNY", 5000)), expiry=expiry)
    ).tx_results
    assert result.ok, result.log
    held_id = int(next(e for e in result.events if e.type == "compliance_held").get("held_id"))
    before = (world.balance(CUSTOMER), world.balance(1))
    world.ok(2, cb.approve(held_id))
    world.gov.run_until(expiry)
    assert world.query("held", id=held_id)["status"] == "expired"
    world.refused(ErrNotHeld, 3, cb.approve(held_id))
    assert (world.balance(CUSTOMER), world.balance(1)) == before


def test_the_signer_of_a_held_tx_cannot_approve_it(world: World) -> None:
    world.install(approve_rule(blocks=50))  # approvers 2, 3, 4; two of them
    held_id = _hold(world, 2, 5000)
    before = (world.balance(2), world.balance(1))
    world.refused(ErrNotApprover, 2, cb.approve(held_id))
    world.ok(3, cb.approve(held_id))
    assert world.query("held", id=held_id)["status"] == "held"
    assert (world.balance(2), world.balance(1)) == before
    world.ok(4, cb.approve(held_id))
    assert world.query("held", id=held_id)["status"] == "executed"
