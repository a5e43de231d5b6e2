"""The built-in rule templates, evaluated with cel-expr-python on the BRIEF's activation.

Boundaries first (PBoC Order [2016] No. 3 Art. 5 is inclusive: ¥49,999.99 of cash is not
reported, ¥50,000.00 is; same-day cumulation; 3 x ¥19,000 structuring; tier limits at
their limits; the travel rule at 1,000), then a property per template: its CEL agrees with
a plain-Python statement of the same rule on generated activations, then the parameter
refusals.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.errors import FinchainError
from finchain.modules.compliance import builtins
from tests.aml.cel_env import activation, compile_rule, evaluate
from tests.support import code, result_code

YUAN = 100
"""CNY base units per yuan (2 decimals, as on the demo chain)."""
TIERS = {
    0: {"balance": "10000", "per_payment": "2000", "per_day": "5000", "per_year": "50000"},
    1: {"balance": "500000", "per_day": "100000"},
    2: {},
}


@cache
def program(expr: str) -> Any:
    return compile_rule(expr)


def fires(rule: dict[str, Any], **overrides: Any) -> bool:
    return evaluate(program(rule["expr"]), activation(**overrides))


def by_id(rules: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {rule["id"]: rule for rule in rules}


LARGE = by_id(builtins.large_value())
CASH = LARGE["large_value.cash.cny"]
ENTITY = LARGE["large_value.entity_transfer.cny"]
DOMESTIC = LARGE["large_value.individual_domestic.cny"]
CROSS = LARGE["large_value.individual_cross_border.cny"]
LIMITS = by_id(builtins.tier_limits(asset="CNY", decimals=2, limits=TIERS))


# -- boundaries -----------------------------------------------------------------------------------


def test_cash_is_reported_from_50000_yuan_inclusive() -> None:
    assert CASH["action"] == "flag" and CASH["report_type"] == "large_value"
    assert not fires(CASH, move__kind="cash_in", move__amount=49_999_99)
    assert fires(CASH, move__kind="cash_in", move__amount=50_000_00)
    assert not fires(CASH, move__kind="cash_out", move__amount=49_999_99)
    assert fires(CASH, move__kind="cash_out", move__amount=50_000_00)
    assert not fires(CASH, move__kind="transfer", move__amount=90_000_00)
    assert not fires(CASH, move__kind="cash_in", move__asset="USD", move__amount=90_000_00)


def test_cash_cumulates_over_the_day_for_the_customer() -> None:
    # cash-in: the customer is the recipient; cash-out: the sender
    assert fires(CASH, move__kind="cash_in", move__amount=20_000_00, recipient__day_total=30_000_00)
    assert not fires(
        CASH, move__kind="cash_in", move__amount=19_999_99, recipient__day_total=30_000_00
    )
    assert not fires(
        CASH, move__kind="cash_in", move__amount=20_000_00, sender__day_total=30_000_00
    ), "the minting institution's total is not the customer's"
    assert fires(CASH, move__kind="cash_out", move__amount=1, sender__day_total=49_999_99)
    # a new day: the engine's day_total restarts at 0 after midnight in the zone
    assert not fires(CASH, move__kind="cash_out", move__amount=1, sender__day_total=0)


def test_transfer_thresholds_of_article_5() -> None:
    entity = {"sender__natural_person": False}
    assert not fires(ENTITY, move__amount=1_999_999_99, **entity)
    assert fires(ENTITY, move__amount=2_000_000_00, **entity)
    assert fires(ENTITY, move__amount=1, sender__day_total=1_999_999_99, **entity)
    assert fires(
        ENTITY, move__amount=1, recipient__natural_person=False, recipient__day_total=1_999_999_99
    )
    assert not fires(ENTITY, move__amount=2_000_000_00), "two natural persons"
    assert not fires(DOMESTIC, move__amount=499_999_99)
    assert fires(DOMESTIC, move__amount=500_000_00)
    assert fires(DOMESTIC, move__amount=100_000_00, sender__day_total=400_000_00)
    assert not fires(DOMESTIC, move__amount=500_000_00, move__cross_border=True)
    assert not fires(CROSS, move__amount=199_999_99, move__cross_border=True)
    assert fires(CROSS, move__amount=200_000_00, move__cross_border=True)
    assert fires(
        CROSS, move__amount=50_000_00, move__cross_border=True, recipient__day_total=150_000_00
    )
    assert not fires(CROSS, move__amount=200_000_00)


def test_three_payments_of_19000_against_50000_raise_a_structuring_alert() -> None:
    rule = builtins.structuring(threshold="50000")
    assert rule["report_type"] == "structuring"
    payment = 19_000_00
    assert not fires(rule, move__amount=payment)
    assert not fires(rule, move__amount=payment, sender__day_total=payment, sender__day_count=1)
    assert fires(rule, move__amount=payment, sender__day_total=2 * payment, sender__day_count=2)
    # once: the fourth payment starts above the threshold
    assert not fires(rule, move__amount=payment, sender__day_total=3 * payment, sender__day_count=3)
    # a single payment at the threshold is a large-value report, not structuring
    assert not fires(rule, move__amount=50_000_00)
    # cash-ins count for the recipient
    assert fires(
        rule,
        move__kind="cash_in",
        move__amount=payment,
        recipient__day_total=2 * payment,
        recipient__day_count=2,
    )
    three = builtins.structuring(threshold="50000", min_count=4)
    assert not fires(
        three, move__amount=payment, sender__day_total=2 * payment, sender__day_count=2
    )
    window = builtins.structuring(threshold="50000", period="window")
    assert fires(
        window, move__amount=payment, sender__window_total=2 * payment, sender__window_count=2
    )
    assert not fires(
        window, move__amount=payment, sender__day_total=2 * payment, sender__day_count=2
    )


def test_tier_limits_allow_the_limit_and_deny_one_unit_more() -> None:
    payment, day = LIMITS["tier_limit.per_payment.cny"], LIMITS["tier_limit.per_day.cny"]
    balance, year = LIMITS["tier_limit.balance.cny"], LIMITS["tier_limit.per_year.cny"]
    assert payment["action"] == "deny"
    tier0 = {"sender__kyc_tier": 0}
    assert not fires(payment, move__amount=2_000_00, **tier0)
    assert fires(payment, move__amount=2_000_01, **tier0)
    assert not fires(payment, move__amount=2_000_01, sender__kyc_tier=1), "tier 1: no limit"
    assert not fires(day, move__amount=1_000_00, sender__day_total=4_000_00, **tier0)
    assert fires(day, move__amount=1_000_01, sender__day_total=4_000_00, **tier0)
    assert not fires(day, move__amount=100_000_00, sender__kyc_tier=1)
    assert fires(day, move__amount=1, sender__day_total=100_000_00, sender__kyc_tier=1)
    assert not fires(day, move__amount=10**9, sender__kyc_tier=2)
    assert fires(year, move__amount=1, sender__year_total=50_000_00, **tier0)
    assert not fires(year, move__amount=1, sender__year_total=49_999_99, **tier0)
    assert not fires(balance, move__amount=1, recipient__balance=9_999_99, recipient__kyc_tier=0)
    assert fires(balance, move__amount=1, recipient__balance=10_000_00, recipient__kyc_tier=0)
    assert fires(
        balance, move__kind="cash_in", move__amount=1, recipient__balance=10_000_00,
        recipient__kyc_tier=0,
    )  # fmt: skip
    assert not fires(payment, move__kind="cash_out", move__amount=10**9, **tier0)


def test_sanctions_deny_either_side() -> None:
    rule = builtins.sanctions()
    assert rule["action"] == "deny"
    assert not fires(rule)
    assert fires(rule, sender__listed=True)
    assert fires(rule, recipient__listed=True, move__kind="none", move__amount=0)


def test_regulated_assets_go_only_to_verified_identities() -> None:
    rule = builtins.verified_identity()
    assert not fires(rule, recipient__verified=False), "not a regulated asset"
    assert fires(rule, asset__regulated=True, recipient__verified=False)
    assert fires(rule, asset__regulated=True, move__kind="cash_in", recipient__verified=False)
    assert not fires(rule, asset__regulated=True)
    assert not fires(rule, asset__regulated=True, sender__verified=False)
    strict = builtins.verified_identity(min_tier=2, jurisdictions=["CN", "HK"], check_sender=True)
    assert fires(strict, asset__regulated=True, recipient__kyc_tier=1)
    assert fires(strict, asset__regulated=True, recipient__jurisdiction="US")
    assert not fires(strict, asset__regulated=True, recipient__jurisdiction="HK")
    assert fires(strict, asset__regulated=True, sender__verified=False)
    # the reason names whom the rule checks: the recipient, or with check_sender both
    assert "the recipient must hold a verified identity" in rule["reason"]
    assert "both parties must hold a verified, KYC tier 2" in strict["reason"]


def test_travel_rule_from_1000_units_without_a_record() -> None:
    rule = builtins.travel_rule()
    assert not fires(rule, move__amount=999_99)
    assert fires(rule, move__amount=1_000_00)
    assert not fires(rule, move__amount=1_000_00, tx__travel=True)
    assert not fires(rule, move__kind="cash_in", move__amount=10**9)
    same = builtins.travel_rule(cross_institution_only=True)
    bank = "did:finchain:c:000000000101"
    assert not fires(
        same, move__amount=1_000_00, sender__institution=bank, recipient__institution=bank
    )
    assert fires(same, move__amount=1_000_00, sender__institution=bank)


def test_the_default_ruleset_is_json_and_compiles() -> None:
    ruleset = builtins.default_ruleset(tiers=TIERS)
    assert json.loads(json.dumps(ruleset)) == ruleset
    ids = [rule["id"] for rule in ruleset["rules"]]
    assert len(ids) == len(set(ids)) <= 64
    assert {"sanctions", "verified_identity", "travel_rule.cny", "structuring.cny"} <= set(ids)
    for rule in ruleset["rules"]:
        program(rule["expr"])
        assert len(rule["expr"].encode()) <= 4096
        assert set(rule) <= {"id", "expr", "action", "reason", "report_type"}
        assert (rule["action"] == "flag") == ("report_type" in rule)


# -- each template agrees with a plain statement of its rule ---------------------------------------


def _total(a: dict[str, Any], side: str, period: str = "day") -> int:
    return int(a[f"{side}.{period}_total"])


def plain_large(a: dict[str, Any]) -> dict[str, bool]:
    cny, kind, amount = a["move.asset"] == "CNY", a["move.kind"], a["move.amount"]

    def over(side: str, yuan: int) -> bool:
        return _total(a, side) + amount >= yuan * YUAN

    transfer = cny and kind == "transfer"
    people = ("sender", "recipient")
    cash_in = kind == "cash_in" and over("recipient", 50_000)
    cash_out = kind == "cash_out" and over("sender", 50_000)
    return {
        "large_value.cash.cny": cny and (cash_in or cash_out),
        "large_value.entity_transfer.cny": transfer
        and any(not a[f"{s}.natural_person"] and over(s, 2_000_000) for s in people),
        "large_value.individual_domestic.cny": transfer
        and not a["move.cross_border"]
        and any(a[f"{s}.natural_person"] and over(s, 500_000) for s in people),
        "large_value.individual_cross_border.cny": transfer
        and a["move.cross_border"]
        and any(a[f"{s}.natural_person"] and over(s, 200_000) for s in people),
    }  # fmt: skip


def plain_structuring(a: dict[str, Any], min_count: int = 2, period: str = "day") -> bool:
    limit = 50_000 * YUAN
    side = "recipient" if a["move.kind"] == "cash_in" else "sender"
    total, count = _total(a, side, period), a[f"{side}.{period}_count"]
    return (
        a["move.asset"] == "CNY"
        and a["move.kind"] in ("transfer", "cash_in", "cash_out")
        and a["move.amount"] < limit
        and total < limit <= total + a["move.amount"]
        and count + 1 >= min_count
    )


def plain_tiers(a: dict[str, Any]) -> dict[str, bool]:
    def limit(name: str, side: str) -> int | None:
        tier = min(a[f"{side}.kyc_tier"], max(TIERS))
        found = TIERS[tier].get(name)
        return None if found is None else int(found) * YUAN

    def over(name: str, side: str, used: int, kinds: tuple[str, ...]) -> bool:
        found = limit(name, side)
        return (
            a["move.asset"] == "CNY"
            and a["move.kind"] in kinds
            and found is not None
            and used + a["move.amount"] > found
        )

    out = ("transfer",)
    return {
        "tier_limit.balance.cny": over(
            "balance", "recipient", a["recipient.balance"], ("transfer", "cash_in")
        ),
        "tier_limit.per_payment.cny": over("per_payment", "sender", 0, out),
        "tier_limit.per_day.cny": over("per_day", "sender", a["sender.day_total"], out),
        "tier_limit.per_year.cny": over("per_year", "sender", a["sender.year_total"], out),
    }


def plain_verified(a: dict[str, Any]) -> bool:
    def bad(side: str) -> bool:
        return (
            not a[f"{side}.verified"]
            or a[f"{side}.kyc_tier"] < 1
            or a[f"{side}.jurisdiction"] not in ("CN", "HK")
        )

    kind = a["move.kind"]
    return a["asset.regulated"] and (
        (kind in ("transfer", "cash_in") and bad("recipient"))
        or (kind in ("transfer", "cash_out") and bad("sender"))
    )


def plain_travel(a: dict[str, Any]) -> bool:
    return (
        a["move.asset"] == "CNY"
        and a["move.kind"] == "transfer"
        and a["move.amount"] >= 1_000 * YUAN
        and not a["tx.travel"]
    )


NEAR = [0, 1, 19_000_00, 38_000_00, 49_999_99, 50_000_00, 199_999_99, 200_000_00]
NEAR += [499_999_99, 500_000_00, 1_999_999_99, 2_000_000_00, 1_000_00, 2_000_00, 10_000_00]
AMOUNT = st.one_of(st.sampled_from(NEAR), st.integers(min_value=0, max_value=10**12))
TOTAL = st.one_of(st.sampled_from(NEAR), st.integers(min_value=0, max_value=10**12))


@st.composite
def activations(draw: Callable[..., Any]) -> dict[str, Any]:
    overrides: dict[str, Any] = {
        "move__kind": draw(st.sampled_from(["transfer", "cash_in", "cash_out", "none"])),
        "move__asset": draw(st.sampled_from(["CNY", "CNY", "USD"])),
        "move__amount": draw(AMOUNT),
        "move__cross_border": draw(st.booleans()),
        "asset__regulated": draw(st.booleans()),
        "tx__travel": draw(st.booleans()),
    }
    for side in ("sender", "recipient"):
        overrides[f"{side}__natural_person"] = draw(st.booleans())
        overrides[f"{side}__verified"] = draw(st.booleans())
        overrides[f"{side}__listed"] = draw(st.booleans())
        overrides[f"{side}__kyc_tier"] = draw(st.integers(min_value=0, max_value=2))
        overrides[f"{side}__jurisdiction"] = draw(st.sampled_from(["CN", "HK", "US", ""]))
        for field in ("balance", "day_total", "year_total", "window_total"):
            overrides[f"{side}__{field}"] = draw(TOTAL)
        for field in ("day_count", "window_count"):
            overrides[f"{side}__{field}"] = draw(st.integers(min_value=0, max_value=6))
    return activation(**overrides)


@settings(max_examples=300, deadline=None)
@given(activations())
def test_each_template_agrees_with_its_plain_statement(a: dict[str, Any]) -> None:
    def verdict(rule: dict[str, Any]) -> bool:
        return evaluate(program(rule["expr"]), a)

    assert {rid: verdict(rule) for rid, rule in LARGE.items()} == plain_large(a)
    assert {rid: verdict(rule) for rid, rule in LIMITS.items()} == plain_tiers(a)
    assert verdict(builtins.structuring()) == plain_structuring(a)
    assert verdict(builtins.structuring(min_count=3, period="window")) == plain_structuring(
        a, 3, "window"
    )
    assert verdict(builtins.sanctions()) == (a["sender.listed"] or a["recipient.listed"])
    strict = builtins.verified_identity(min_tier=1, jurisdictions=["HK", "CN"], check_sender=True)
    assert verdict(strict) == plain_verified(a)
    assert verdict(builtins.travel_rule()) == plain_travel(a)


# -- parameters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: builtins.large_value(cash=50000.0), "no floats"),
        (lambda: builtins.large_value(cash="50000.001"), "at most 2 decimal places"),
        (lambda: builtins.large_value(cash="-5"), "non-negative decimal"),
        (lambda: builtins.large_value(cash="0"), "greater than zero"),
        (lambda: builtins.large_value(asset="cny"), "asset symbol"),
        (lambda: builtins.large_value(decimals=19), "decimals"),
        (lambda: builtins.large_value(cash=str(2**63)), r"2\^63 - 1"),
        (lambda: builtins.structuring(min_count=1), "at least 2"),
        (lambda: builtins.structuring(period="week"), "period"),
        (lambda: builtins.structuring(kinds=["none"]), "kinds"),
        (lambda: builtins.verified_identity(min_tier=3), "KYC tier"),
        (lambda: builtins.verified_identity(jurisdictions=["cn"]), "alpha-2"),
        (lambda: builtins.tier_limits(asset="CNY", decimals=2, limits={1: {}}), "tiers 0, 1"),
        (
            lambda: builtins.tier_limits(asset="CNY", decimals=2, limits={0: {"daily": "5"}}),
            "per_day",
        ),
        (lambda: builtins.travel_rule(cross_institution_only="yes"), "true or false"),
    ],
)
def test_bad_parameters_are_refused_with_a_stable_code(
    make: Callable[[], object], message: str
) -> None:
    with pytest.raises(FinchainError, match=message) as refused:
        make()
    assert result_code(refused.value) == code(builtins.ErrBadParameter)


def test_amounts_convert_with_the_assets_decimals() -> None:
    assert builtins.to_base_units("50000", 2) == 5_000_000
    assert builtins.to_base_units("49999.99", 2) == 4_999_999
    assert builtins.to_base_units(1000, 0) == 1000
    assert builtins.to_base_units("0.5", 6) == 500_000
    rule = builtins.travel_rule(asset="USD", decimals=6, threshold="1000")
    assert "move.amount >= 1000000000" in rule["expr"]
