"""Compliance through real blocks: publish, governance activation at an exact height,
deny / flag / approve outcomes, fail-closed errors, receipts' info, check_tx agreement."""

from __future__ import annotations

from pathlib import Path

import pytest

from finchain.client import builders as b
from finchain.client import compliance_builders as cb
from finchain.codec import RawMsg
from finchain.core.errors import ErrBadQuery, ErrGovernanceOnly, ErrInvalidMsg
from finchain.core.gas import JUDGE_MOVE
from finchain.errors import FinchainError
from finchain.modules.compliance.errors import (
    ErrAlreadyApproved,
    ErrBadActivation,
    ErrBadRuleSet,
    ErrDenied,
    ErrNotApprover,
    ErrNotHeld,
    ErrNotKycInstitution,
    ErrNotRegulator,
    ErrRuleError,
    ErrUnknownAsset,
    ErrUnknownHeld,
    ErrUnknownRuleSet,
)
from finchain.modules.compliance.types import PUBLISHED, Rule, RuleSet
from tests.modules.compliance_world import CUSTOMER, REGULATOR, World, deny, flag, make_world
from tests.modules.test_governance import A, code, failure


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def test_a_published_set_has_no_effect_until_governance_activates_it(world: World) -> None:
    version = world.publish(deny("no-cny", 'move.asset == "CNY"'))
    assert version == 1
    assert world.query("ruleset", version=1)["status"] == "published"
    result = world.ok(1, b.transfer((A[2], "CNY", 5)))
    assert result.info == "ruleset=0"
    assert world.query("active") == {"version": 0, "ruleset": None}


def test_activation_happens_exactly_at_its_height(world: World) -> None:
    version = world.publish(deny("cap", "move.amount > 100", "above 100: split the payment"))
    height = world.height + 40
    world.activate(version, height)
    world.gov.run_until(height - 2)
    last_free = world.ok(1, b.transfer((A[2], "CNY", 101)))  # runs at height - 1
    assert world.height == height - 1
    assert last_free.info == "ruleset=0"
    result = world.send(1, b.transfer((A[2], "CNY", 101)))  # runs at height
    assert world.height == height
    assert code(result) is ErrDenied
    assert result.info == f"ruleset={version}"
    assert "rule cap of rule set 1" in result.log and "split the payment" in result.log
    assert world.ok(1, b.transfer((A[2], "CNY", 100))).info == "ruleset=1"
    assert world.query("ruleset", version=1)["status"] == "active"


def test_deny_details_and_state_untouched(world: World) -> None:
    world.install(deny("big", "move.amount >= 1000"))
    before = world.balance(1)
    result = world.refused(ErrDenied, 1, b.transfer((A[2], "CNY", 1000)))
    assert result.codespace == "compliance" and result.code == 6
    assert world.balance(1) == before


def test_check_tx_and_finalize_agree(world: World) -> None:
    world.install(deny("big", "move.amount >= 1000"), flag("watch", "move.amount >= 500"))
    for amount, expect in ((999, 0), (1000, 6)):
        raw = world.gov.tx(1, b.transfer((A[2], "CNY", amount)))
        checked = world.app.check_tx(raw)
        (done,) = world.gov.block(raw).tx_results
        assert (checked.code, checked.info) == (done.code, done.info) == (expect, "ruleset=1")
        assert [e.type for e in checked.events if e.type.startswith("compliance")] == [
            e.type for e in done.events if e.type.startswith("compliance")
        ]


def test_flag_emits_the_alert_and_the_tx_executes(world: World) -> None:
    world.install(flag("large", "move.amount >= 500"))
    before = world.balance(2)
    result = world.ok(1, b.transfer((A[2], "CNY", 500)))
    assert world.balance(2) == before + 500
    (alert,) = [e for e in result.events if e.type == "compliance_alert"]
    assert [k for k, _ in alert.attributes] == [
        "rule",
        "report_type",
        "ruleset",
        "tx",
        "account",
        "counterparty",
        "asset",
        "amount",
        "institution",
        "counterparty_institution",
        "height",
    ]
    got = dict(alert.attributes)
    assert got["rule"] == "large" and got["report_type"] == "large_value"
    assert got["account"] == A[1] and got["counterparty"] == A[2] and got["amount"] == "500"
    assert got["height"] == str(world.height) and got["ruleset"] == "1"
    assert not [
        e
        for e in world.ok(1, b.transfer((A[2], "CNY", 499))).events
        if e.type == "compliance_alert"
    ]


def approve_rule(blocks: int = 5) -> dict[str, object]:
    return {
        "id": "hold-big",
        "expr": "move.amount >= 1000",
        "action": "approve",
        "reason": "needs two approvals",
        "approvers": [A[2], A[3], A[4]],
        "approvals": 2,
        "approval_blocks": blocks,
    }


def test_approve_holds_then_executes_on_k_approvals(world: World) -> None:
    world.install(approve_rule())
    before = (world.balance(1), world.balance(CUSTOMER))
    result = world.ok(1, b.transfer((A[CUSTOMER], "CNY", 1000)))
    (held,) = [e for e in result.events if e.type == "compliance_held"]
    held_id = int(held.get("held_id") or 0)
    assert (world.balance(1), world.balance(CUSTOMER)) == before  # nothing moved
    world.refused(ErrNotApprover, CUSTOMER, cb.approve(held_id))
    world.ok(2, cb.approve(held_id))
    assert world.balance(CUSTOMER) == before[1]  # one of two: still held
    world.refused(ErrAlreadyApproved, 2, cb.approve(held_id))
    done = world.ok(3, cb.approve(held_id))
    assert [e.type for e in done.events if e.type == "compliance_executed"]
    assert world.balance(CUSTOMER) == before[1] + 1000
    assert world.balance(1) == before[0] - 1000
    assert world.query("held", id=held_id)["status"] == "executed"
    world.refused(ErrNotHeld, 4, cb.approve(held_id))
    world.refused(ErrUnknownHeld, 4, cb.approve(held_id + 1))
    # executed movements count in the aggregates
    agg = world.app.compliance.aggregate(world.app.state, "o", A[1], "CNY")
    assert agg is not None and agg.day_total >= 1000


def test_a_held_tx_expires_without_enough_approvals(world: World) -> None:
    world.install(approve_rule(blocks=3))
    before = world.balance(CUSTOMER)
    result = world.ok(1, b.transfer((A[CUSTOMER], "CNY", 1000)))
    held_id = int(next(e for e in result.events if e.type == "compliance_held").get("held_id") or 0)
    world.ok(2, cb.approve(held_id))
    world.gov.run_until(world.height + 3)
    assert world.query("held", id=held_id)["status"] == "expired"
    assert world.query("held_list", status="expired")["held"][0]["id"] == held_id
    world.refused(ErrNotHeld, 3, cb.approve(held_id))
    assert world.balance(CUSTOMER) == before


def test_an_evaluation_error_denies_fail_closed(world: World) -> None:
    world.install(deny("div", "move.amount / (move.amount - 7) > 1000"))
    result = world.refused(ErrRuleError, 1, b.transfer((A[2], "CNY", 7)))
    assert "rule div" in result.log and result.info == "ruleset=1"
    world.ok(1, b.transfer((A[2], "CNY", 8)))


def test_publish_refusals(world: World) -> None:
    world.refused(ErrNotRegulator, 1, cb.publish([deny("x", "move.amount > 1")]))
    for expr in (
        "move.amount > 1.5",
        "double(move.amount) > 1",
        "[1, 2].exists(x, x > move.amount)",
        'timestamp("2026-01-01T00:00:00Z") > timestamp("2025-01-01T00:00:00Z")',
        "move.amont > 1",
        "move.amount",
        'move.amount > "1"',
        "move.amount >",
    ):
        result = world.refused(ErrBadRuleSet, REGULATOR, cb.publish([deny("x", expr)]))
        assert "rule x" in result.log
    for rules in (
        [deny("x", "true"), deny("x", "false")],  # duplicate id
        [deny(f"r{i}", "false") for i in range(65)],  # more than 64 rules
        [deny("x", "true || " * 600 + "true")],  # expression above 4 KiB
        [{**approve_rule(), "approvals": 4}],  # k above the approvers
        [{**flag("f", "true"), "report_type": ""}],  # a flag without report type
        [{**deny("x", "true"), "action": "maybe"}],
        [],
    ):
        world.refused(ErrInvalidMsg, REGULATOR, RawMsg("compliance/publish", {"rules": rules}))
    assert world.query("rulesets") == {"active": 0, "rulesets": []}


def test_governed_messages_and_activation_refusals(world: World) -> None:
    version = world.publish(deny("x", "false"))
    world.refused(ErrGovernanceOnly, 1, cb.activate(version, world.height + 50))
    world.refused(ErrGovernanceOnly, 1, cb.set_asset("CNY"))
    world.refused(ErrGovernanceOnly, 1, cb.set_params())
    world.refused(ErrGovernanceOnly, 1, cb.gov_set_profile(A[5], "CN", True))
    pid = world.gov.pass_proposal(b.exec_msg(cb.activate(version, 2)))
    assert failure(world.gov.proposal(pid)) is ErrBadActivation
    pid = world.gov.pass_proposal(b.exec_msg(cb.activate(9, world.height + 100)))
    assert failure(world.gov.proposal(pid)) is ErrUnknownRuleSet
    assert world.query("ruleset", version=version)["status"] == "published"


def test_set_profile_needs_the_kyc_institution(world: World) -> None:
    world.refused(
        ErrNotKycInstitution,
        1,
        cb.set_profile("did:finchain:test-chain:000000000100", A[5], "CN", True),
    )
    world.gov.pass_proposal(b.exec_msg(cb.gov_set_profile(A[5], "HK", False)))
    assert world.query("profile", account=A[5])["profile"]["jurisdiction"] == "HK"


def test_cross_border_and_regulated_flags_reach_the_rules(world: World) -> None:
    world.gov.pass_proposal(
        b.exec_msg(cb.gov_set_profile(A[1], "CN", True)),
        b.exec_msg(cb.gov_set_profile(A[2], "HK", False)),
        b.exec_msg(cb.set_asset("CNY")),
    )
    world.install(
        deny("xb", "move.cross_border && asset.regulated && sender.natural_person"),
    )
    world.refused(ErrDenied, 1, b.transfer((A[2], "CNY", 1)))
    world.ok(1, b.transfer((A[3], "CNY", 1)))  # 3 has no jurisdiction: not cross-border
    world.ok(2, b.transfer((A[1], "CNY", 1)))  # 2 is a legal person


def test_every_result_names_the_version_even_failures(world: World) -> None:
    world.install(flag("f", "false"))
    bad = world.send(1, b.transfer((A[2], "CNY", 10**12)))  # insufficient funds
    assert not bad.ok and bad.info == "ruleset=1"
    assert bad.to_obj()["info"] == "ruleset=1"


def test_params_and_regulated_assets_through_governance(world: World) -> None:
    pid = world.gov.pass_proposal(b.exec_msg(cb.set_asset("NOPE")))
    assert failure(world.gov.proposal(pid)) is ErrUnknownAsset
    result, _ = world.gov.submit(1, b.exec_msg(RawMsg("compliance/set_params", {
        "zone_offset_minutes": 0, "window_seconds": 1000})))  # fmt: skip
    assert code(result) is ErrInvalidMsg and "multiple of 24" in result.log
    world.gov.pass_proposal(
        b.exec_msg(cb.set_params(zone_offset_minutes=-300, window_seconds=3600)),
        b.exec_msg(cb.set_asset("CNY")),
    )
    assert world.query("params") == {
        "zone_offset_minutes": -300,
        "window_seconds": 3600,
        "regulated_assets": ["CNY"],
    }
    world.install(deny("reg", "asset.regulated && move.amount > 10"))
    world.refused(ErrDenied, 1, b.transfer((A[2], "CNY", 11)))
    world.gov.pass_proposal(b.exec_msg(cb.set_asset("CNY", regulated=False)))
    world.ok(1, b.transfer((A[2], "CNY", 11)))
    assert world.app.check_invariants() == []


def test_a_later_set_supersedes_and_genesis_export_round_trips(world: World) -> None:
    first = world.install(deny("a", "move.amount > 100"))
    second = world.install(deny("b", "move.amount > 50"))
    assert (first, second) == (1, 2)
    assert world.query("ruleset", version=1)["status"] == "superseded"
    world.refused(ErrDenied, 1, b.transfer((A[2], "CNY", 51)))
    # a superseded set cannot come back; a newer one can be scheduled
    pid = world.gov.pass_proposal(b.exec_msg(cb.activate(first, world.height + 50)))
    assert failure(world.gov.proposal(pid)) is ErrBadActivation
    third = world.publish(deny("c", "false"))
    pid = world.gov.pass_proposal(b.exec_msg(cb.activate(third, world.height + 50)))
    assert failure(world.gov.proposal(pid)) is None
    exported = world.app.export_genesis()["compliance"]
    assert exported["active"] == 2 and [r["version"] for r in exported["rulesets"]] == [1, 2, 3]
    module = next(m for m in world.app.modules if m.name == "compliance")
    module.validate_genesis(exported)
    assert world.app.check_invariants() == []


def test_the_compiled_cache_follows_the_rules_not_only_the_version(world: World) -> None:
    """check_tx may number two publishes differently than the block does."""
    keeper = world.app.compliance
    one = RuleSet(1, A[4], (Rule.from_json(deny("a", "move.amount > 1")),), PUBLISHED, 0)
    other = RuleSet(1, A[4], (Rule.from_json(deny("b", "move.amount > 2")),), PUBLISHED, 0)
    assert keeper.compiled(one).ids == ("a",)
    assert keeper.compiled(other).ids == ("b",)
    assert keeper.compiled(one).ids == ("a",)


def test_queries_refuse_bad_parameters(world: World) -> None:
    for path, params in (
        ("ruleset", {"version": 0}),
        ("ruleset", {}),
        ("held", {"id": "x"}),
        ("held_list", {"status": "maybe"}),
        ("held_list", {"limit": 1000}),
        ("profile", {"account": "nobody"}),
    ):
        with pytest.raises(FinchainError) as caught:
            world.query(path, **params)
        assert (caught.value.codespace, caught.value.code) == (
            ErrBadQuery.codespace,
            ErrBadQuery.code,
        ), (path, params, caught.value)
    with pytest.raises(FinchainError) as unknown:
        world.query("ruleset", version=7)
    assert unknown.value.codespace == "compliance" and unknown.value.code == 4


def test_the_ante_charges_a_fixed_price_per_judged_movement(world: World) -> None:
    """With a set, each extra movement costs JUDGE_MOVE more than without one, whatever
    the rules read (the reads themselves are not metered), and the set's size is free."""

    def extra_output_cost() -> int:
        one = world.ok(1, b.transfer((A[2], "CNY", 7))).cost
        two = world.ok(1, b.transfer((A[2], "CNY", 7), (A[3], "CNY", 7))).cost
        return two - one

    def one_transfer() -> int:
        return world.ok(1, b.transfer((A[2], "CNY", 7))).cost

    extra_output_cost()  # the aggregates exist from here on: later costs compare alike
    without = extra_output_cost()
    before = one_transfer()
    world.install(
        flag("reads", "sender.day_total > 10000000 && recipient.kyc_tier > 5"),
        *(deny(f"long-{i}", f"move.amount == {10**12 + i}", "x" * 200) for i in range(10)),
    )
    assert extra_output_cost() - without == JUDGE_MOVE
    # One movement: JUDGE_MOVE, plus the active pointer's 8 bytes (metered, as without a
    # set); the 10-rule record is not charged.
    assert one_transfer() - before == JUDGE_MOVE + 8
