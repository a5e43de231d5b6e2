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

from finchain.core.fields import Amount, Integer, ListOf, OneOf, Record, Text, wire
from finchain.core.msgs import CLOSE, KEY_CHANGE, OPERATIONS, TRANSFER, Operation
from finchain.modules.accounts.errors import ErrInvalidPolicy, ErrMfaRequired

FACTOR = re.compile(r"[a-z][a-z0-9_-]{0,15}")
MAX_RULES = 8
MAX_MIN_FACTORS = 64

#: A factor label as written in a key (``device``, ``hardware``, ``custodian``).
FACTOR_LABEL = Text(
    max_len=16,
    pattern=FACTOR.pattern,
    what=f"a short lowercase factor label matching {FACTOR.pattern} (e.g. device, hardware)",
)
#: A factor label, or "" for none (``accounts/set_factor`` removing a label).
FACTOR_OR_NONE = Text(
    max_len=16,
    allow_empty=True,
    check=lambda text: not text or FACTOR.fullmatch(text) is not None,
    what=f"a factor label matching {FACTOR.pattern}, or empty",
)
MIN_FACTORS = Integer(low=2, high=MAX_MIN_FACTORS)


def _is_symbol(text: str) -> bool:
    # Imported here, not at the top: the bank's types import this module's account id
    # codec, so a top-level import either way round would be circular.
    from finchain.modules.bank.types import SYMBOL

    return SYMBOL.fullmatch(text) is not None


# A rule's wire shape depends on its operation: a transfer rule names an asset and an
# amount, the others do not. Each shape is declared once.


@dataclass(frozen=True, slots=True)
class _TransferShape(Record):
    WHAT = "transfer rule"
    operation: str = wire(OneOf(TRANSFER))
    min_factors: int = wire(MIN_FACTORS)
    asset: str = wire(Text(max_len=16, check=_is_symbol, what="an asset symbol"))
    above: int = wire(Amount(zero=True))  # "0" guards every transfer of the asset


@dataclass(frozen=True, slots=True)
class _OperationShape(Record):
    WHAT = "mfa rule"
    operation: str = wire(OneOf(*(op for op in OPERATIONS if op != TRANSFER)))
    min_factors: int = wire(MIN_FACTORS)


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
        if self.operation == TRANSFER:
            return _TransferShape(self.operation, self.min_factors, self.asset, self.above).to_obj()
        return _OperationShape(self.operation, self.min_factors).to_obj()

    @classmethod
    def from_obj(cls, obj: Any, *, what: str = "") -> MfaRule:
        if isinstance(obj, dict) and obj.get("operation") == TRANSFER:
            rule = _TransferShape.from_obj(obj, what=what)
            return cls(rule.operation, rule.min_factors, rule.asset, rule.above)
        other = _OperationShape.from_obj(obj, what=what)
        return cls(other.operation, other.min_factors)

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


class _Rule:
    """One rule as a field codec (its shape chosen by its operation)."""

    def decode(self, value: Any, name: str) -> MfaRule:
        return MfaRule.from_obj(value, what=name)

    def encode(self, value: MfaRule) -> dict[str, Any]:
        return value.to_obj()


class Rules:
    """A list of rules as a field codec: decoded into their one order, repeats refused.

    ``min_items=1`` where an empty list would be a second spelling of "no rules"
    (a policy omits the field instead).
    """

    def __init__(self, *, min_items: int = 0) -> None:
        self._list = ListOf(_Rule(), min_items=min_items, max_items=MAX_RULES)

    def decode(self, value: Any, name: str) -> tuple[MfaRule, ...]:
        return sort_rules(self._list.decode(value, name))

    def encode(self, value: tuple[MfaRule, ...]) -> list[Any]:
        return self._list.encode(value)


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
