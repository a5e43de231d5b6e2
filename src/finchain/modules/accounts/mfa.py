"""Multi-factor rules: which operations need keys of several independent factors.

A key may carry a factor label (``device``, ``hardware``, ``custodian``…):
the kind of custody it lives in. A rule says that an operation — a key
change, closing the account, or a transfer of more than ``above`` base units
of one asset — needs signatures from keys of at least ``min_factors``
distinct labels. Two keys with the same label are one factor: a second phone
is not a second factor. The rules sit in the account's key policy and are
enforced by the ante chain, on top of the weight threshold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from finchain.codec import parse_amount
from finchain.core.msgs import CLOSE, KEY_CHANGE, OPERATIONS, TRANSFER, Operation
from finchain.core.schema import expect_fields, get_int, get_str
from finchain.errors import FinchainError
from finchain.modules.accounts.errors import ErrInvalidPolicy, ErrMfaRequired
from finchain.modules.bank.types import SYMBOL

FACTOR = re.compile(r"[a-z][a-z0-9_-]{0,15}")
MAX_RULES = 8
MAX_MIN_FACTORS = 64


def check_factor(label: str) -> str:
    """A factor label as written in a key; ErrInvalidPolicy names the pattern otherwise."""
    if type(label) is not str or not FACTOR.fullmatch(label):
        raise ErrInvalidPolicy(
            f"factor {str(label)[:40]!r} must be a short lowercase label matching "
            f"{FACTOR.pattern} (e.g. device, hardware, custodian)"
        )
    return label


def _above(value: dict[str, Any]) -> int:
    """``"0"`` guards every transfer of the asset; otherwise the bank's amount rules."""
    text = value.get("above")
    if text == "0":
        return 0
    try:
        return parse_amount(text, field="above")
    except FinchainError as exc:
        raise ErrInvalidPolicy(f"transfer rule: {exc.message}") from None


@dataclass(frozen=True, slots=True)
class MfaRule:
    """``operation`` needs keys of ``min_factors`` distinct factors.

    For ``transfer`` the rule applies to the total of ``asset`` a transaction
    moves out of the account when it is strictly greater than ``above``.
    """

    operation: str
    min_factors: int
    asset: str = ""
    above: int = 0

    @property
    def sort_key(self) -> tuple[str, str, int]:
        return (self.operation, self.asset, self.above)

    def to_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = {"operation": self.operation, "min_factors": self.min_factors}
        if self.operation == TRANSFER:
            obj["asset"] = self.asset
            obj["above"] = str(self.above)
        return obj

    @classmethod
    def from_obj(cls, obj: Any) -> MfaRule:
        if not isinstance(obj, dict):
            raise ErrInvalidPolicy("each mfa rule must be a map")
        operation = obj.get("operation")
        if operation not in OPERATIONS:
            raise ErrInvalidPolicy(
                f"mfa rule operation {str(operation)[:40]!r} is not one of {list(OPERATIONS)}"
            )
        if operation == TRANSFER:
            expect_fields(obj, {"operation", "min_factors", "asset", "above"}, "transfer rule")
            asset = get_str(obj, "asset", max_len=16)
            if not SYMBOL.fullmatch(asset):
                raise ErrInvalidPolicy(f"transfer rule: {asset!r} is not an asset symbol")
            above = _above(obj)
        else:
            expect_fields(obj, {"operation", "min_factors"}, f"{operation} rule")
            asset, above = "", 0
        min_factors = get_int(obj, "min_factors", low=2, high=MAX_MIN_FACTORS)
        return cls(operation, min_factors, asset, above)

    def triggered_by(self, op: Operation) -> bool:
        if op.kind != self.operation:
            return False
        return self.operation != TRANSFER or (op.asset == self.asset and op.amount > self.above)

    def describe(self, op: Operation) -> str:
        if self.operation == TRANSFER:
            return (
                f"a transfer of {op.amount} base units of {op.asset} "
                f"(above the {self.above} set by the account's rule)"
            )
        return {KEY_CHANGE: "a key change", CLOSE: "closing the account"}[self.operation]


def sort_rules(rules: Sequence[MfaRule]) -> tuple[MfaRule, ...]:
    """Rules in their one stored order; a repeated rule is refused, not silently merged."""
    ordered = tuple(sorted(rules, key=lambda r: r.sort_key))
    if len(ordered) > MAX_RULES:
        raise ErrInvalidPolicy(f"a policy holds at most {MAX_RULES} mfa rules, got {len(ordered)}")
    for first, second in pairwise(ordered):
        if first.sort_key == second.sort_key:
            raise ErrInvalidPolicy(
                f"two mfa rules for the same {first.operation}"
                + (f" of {first.asset} above {first.above}" if first.asset else "")
                + ": keep one"
            )
    return ordered


def rules_from_list(items: Sequence[Any]) -> tuple[MfaRule, ...]:
    return sort_rules([MfaRule.from_obj(item) for item in items])


def unsatisfiable(rules: Sequence[MfaRule], factors: set[str]) -> MfaRule | None:
    """The first rule no set of the policy's keys could meet, if any."""
    for rule in rules:
        if rule.min_factors > len(factors):
            return rule
    return None


@dataclass(frozen=True, slots=True)
class FactorRules:
    """An account's rules bound to its keys' labels: the ante chain's ``FactorGate``."""

    factor_of: Mapping[str, str]  # key id -> factor, for labelled keys only
    rules: tuple[MfaRule, ...]

    def require(self, signed_key_ids: Sequence[str], operations: Sequence[Operation]) -> None:
        signed = sorted({self.factor_of[k] for k in signed_key_ids if k in self.factor_of})
        unmet = [
            (rule, op)
            for rule in self.rules
            for op in operations
            if rule.min_factors > len(signed) and rule.triggered_by(op)
        ]
        if not unmet:
            return
        # The strictest unmet rule, so the message names everything that is needed.
        rule, op = max(unmet, key=lambda pair: pair[0].min_factors)
        others = sorted(set(self.factor_of.values()) - set(signed))
        raise ErrMfaRequired(
            f"{rule.describe(op)} needs signatures from keys of {rule.min_factors} distinct "
            f"factors; this transaction's keys carry {len(signed)} "
            f"({', '.join(signed) or 'no factor'}): also sign with keys of "
            f"{', '.join(others)}",
            operation=rule.operation,
            required=rule.min_factors,
            signed=signed,
        )
