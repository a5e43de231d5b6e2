"""The compiled set's shortcuts (identical rules evaluated once, the ``||`` pre-check for
"nothing fires") give exactly the verdicts and errors of evaluating every rule alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finchain.modules.compliance.cel import RuleEvalError, compile_set

RULES = [
    ("big", "move.amount > 100"),
    ("div", "move.amount / (move.amount - 7) > 1000"),
    ("big-again", "move.amount > 100"),
    ("small", "move.amount < 3"),
]


def one_by_one(amount: int) -> list[bool] | None:
    """Each rule compiled and evaluated alone; None when any of them errs."""
    verdicts = []
    for rule_id, expr in RULES:
        try:
            verdicts += compile_set([(rule_id, expr)]).evaluate({"move.amount": amount})
        except RuleEvalError:
            return None
    return verdicts


@given(st.sampled_from([0, 1, 2, 3, 7, 8, 50, 100, 101, 10**6]) | st.integers(-(10**9), 10**9))
def test_the_shortcuts_agree_with_each_rule_alone(amount: int) -> None:
    compiled = compile_set(RULES)
    expected = one_by_one(amount)
    if expected is None:
        with pytest.raises(RuleEvalError) as raised:
            compiled.evaluate({"move.amount": amount})
        assert raised.value.rule == "div"
    else:
        assert list(compiled.evaluate({"move.amount": amount})) == expected


def test_an_error_next_to_a_firing_rule_is_still_an_error() -> None:
    # 7 divides by zero in "div"; "small" does not fire, "big" does not: the ``||`` is
    # an error, and the list program names the rule.
    with pytest.raises(RuleEvalError):
        compile_set(RULES).evaluate({"move.amount": 7})
    # With a firing rule beside it the ``||`` is true, yet the error still denies.
    fires = [("small", "move.amount < 10"), *RULES]
    with pytest.raises(RuleEvalError):
        compile_set(fires).evaluate({"move.amount": 7})


def test_identical_rules_share_one_slot_and_keep_their_order() -> None:
    compiled = compile_set(RULES)
    assert compiled.slots == (0, 1, 0, 2)
    assert list(compiled.evaluate({"move.amount": 500})) == [True, False, True, False]
    assert list(compiled.evaluate({"move.amount": 1})) == [False, False, False, True]
