"""The rule language: CEL over a typed activation, compiled once per rule set.

The binding is cel-expr-python (Google's cel-cpp), chosen by measurement
(docs/BENCHMARKS.md, "Issue 14: choosing the CEL binding"); this file is the only
one that imports it, so a change of binding stays here.

Determinism (every node must reach the same verdict):

* **Typed environment.** Every variable of the activation is declared with its CEL
  type (one dotted variable per field, ``move.amount: int``): a misspelt field, an
  ``int`` compared with a ``string`` or a rule that does not return ``bool`` is
  refused when the set is published, not when a transaction meets it.
* **Trimmed standard library.** The environment excludes ``double()`` and every
  double overload, the comprehension macros (``all``, ``exists``, ``exists_one``,
  ``map``, ``filter``: unbounded loops and a map's iteration order that differs
  between processes) and the time functions (``timestamp``, ``duration``, their
  getters: they read the host's time-zone database).
* **A strict tokenizer on top** (``check_source``). cel-expr-python 0.1.3 exposes the
  checked AST only as a serialized ``cel.expr.CheckedExpr`` protobuf; walking it would
  need protobuf and the cel-spec descriptors as new dependencies. CEL's lexical
  grammar is small, so the source is tokenized here (string literals skipped) and
  refused on any floating-point literal (``1.5``, ``1e3``: a constant-only ``1.5 > 1.0``
  still compiles in the trimmed library) and on any call of a function outside
  ``ALLOWED_FUNCTIONS`` — an allow-list, so a function a later cel-cpp adds to its
  standard library is refused until someone decides it is deterministic.
* **Errors are decisions.** An error value (integer overflow, division by zero) or a
  raised error means deny (``compliance:7``), never "skip the rule". Ints crossing
  into CEL are checked to fit int64 by the activation builder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from cel_expr_python import cel

__all__ = [
    "ALLOWED_FUNCTIONS",
    "VARIABLES",
    "CompiledSet",
    "RuleEvalError",
    "RuleSourceError",
    "check_source",
    "compile_set",
]

_ACCOUNT_FIELDS: tuple[tuple[str, str], ...] = (
    ("address", "string"),
    ("did", "string"),
    ("kyc_tier", "int"),
    ("jurisdiction", "string"),
    ("natural_person", "bool"),
    ("institution", "string"),
    ("verified", "bool"),
    ("listed", "bool"),
    ("balance", "int"),
    ("day_total", "int"),
    ("day_count", "int"),
    ("year_total", "int"),
    ("window_total", "int"),
    ("window_count", "int"),
)

VARIABLES: Mapping[str, str] = {
    "msg.type": "string",
    "msg.index": "int",
    "move.kind": "string",
    "move.asset": "string",
    "move.amount": "int",
    "move.cross_border": "bool",
    **{f"sender.{name}": kind for name, kind in _ACCOUNT_FIELDS},
    **{f"recipient.{name}": kind for name, kind in _ACCOUNT_FIELDS},
    "asset.symbol": "string",
    "asset.decimals": "int",
    "asset.regulated": "bool",
    "asset.issuer": "string",
    "tx.account": "string",
    "tx.height": "int",
    "tx.travel": "bool",
}
"""What a rule sees: every variable, with its CEL type (docs/regulation/compliance.md)."""

ALLOWED_FUNCTIONS = frozenset({"size", "int", "string", "contains", "startsWith", "endsWith"})
"""Functions and methods a rule may call: total, deterministic, loop-free on bounded input."""

_EXCLUDED_FUNCTIONS: tuple[tuple[str, str], ...] = (
    ("double", ""),
    ("_+_", "add_double"),
    ("_-_", "subtract_double"),
    ("_*_", "multiply_double"),
    ("_/_", "divide_double"),
    ("-_", "negate_double"),
    ("int", "double_to_int64"),
    ("uint", "double_to_uint64"),
    ("string", "double_to_string"),
    ("timestamp", ""),
    ("duration", ""),
    ("matches", ""),
)
_EXCLUDED_MACROS = ("all", "exists", "exists_one", "map", "filter")

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>[rRbB]{0,2}(?:\"\"\"|'''|"|'))
  | (?P<float>(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)
  | (?P<int>0[xX][0-9a-fA-F]+[uU]?|\d+[uU]?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%!<>?:()\[\]{},.])
    """,
    re.VERBOSE,
)


_ERROR = cel.Type.ERROR


class RuleSourceError(Exception):
    """A rule's source breaks the language: refused at publish with this message."""


class RuleEvalError(Exception):
    """Evaluating the set failed; ``rule`` names the first rule that fails alone ('' unknown)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def _skip_string(src: str, start: int, opener: str) -> int:
    """The index after the string literal whose opening quote(s) end at ``start``."""
    raw = "r" in opener.lower().rstrip("\"'")
    quote = opener.lstrip("rRbB")
    i = start
    while i < len(src):
        if not raw and src[i] == "\\":
            i += 2
            continue
        if src.startswith(quote, i):
            return i + len(quote)
        if len(quote) == 1 and src[i] == "\n":
            break
        i += 1
    raise RuleSourceError("a string literal is not closed")


def check_source(expr: str) -> None:
    """Refuse floating-point literals, bytes literals and calls outside the allow-list."""
    tokens = _tokens(expr)
    for i, (kind, text) in enumerate(tokens):
        calls = i + 1 < len(tokens) and tokens[i + 1] == ("op", "(")
        if kind == "ident" and calls and text not in ALLOWED_FUNCTIONS:
            raise RuleSourceError(
                f"function {text!r} is not allowed in rules; allowed: {sorted(ALLOWED_FUNCTIONS)}"
            )


def _tokens(expr: str) -> list[tuple[str, str]]:
    """CEL tokens of ``expr`` (string literals as one empty token); refuses floats, bytes."""
    pos = 0
    tokens: list[tuple[str, str]] = []
    while pos < len(expr):
        found = _TOKEN.match(expr, pos)
        if found is None:
            raise RuleSourceError(f"unexpected character {expr[pos]!r} at column {pos + 1}")
        kind = found.lastgroup or ""
        text = found.group()
        if kind == "string":
            if "b" in text.lower():
                raise RuleSourceError(
                    f"bytes literals are not part of the rule language ({pos + 1})"
                )
            pos = _skip_string(expr, found.end(), text)
            tokens.append(("string", ""))
            continue
        if kind == "float":
            raise RuleSourceError(
                f"floating-point literal {text!r} at column {pos + 1}: amounts are integers in "
                "the asset's base units (no floats in decisions)"
            )
        if kind != "space":
            tokens.append((kind, text))
        pos = found.end()
    return tokens


def _yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@cache
def _env() -> Any:
    """The trimmed, typed environment (built once per process)."""
    lines = ["name: finchain-compliance", "stdlib:"]
    lines.append(f"  exclude_macros: [{', '.join(_EXCLUDED_MACROS)}]")
    lines.append("  exclude_functions:")
    for fn, overload in _EXCLUDED_FUNCTIONS:
        lines.append(f"    - name: {_yaml_str(fn)}")
        if overload:
            lines.append(f"      overloads: [{{id: {overload}}}]")
    lines.append("variables:")
    for name, kind in VARIABLES.items():
        lines.append(f"  - name: {_yaml_str(name)}")
        lines.append(f"    type: {kind}")
    return cel.NewEnv(config=cel.NewEnvConfigFromYaml("\n".join(lines) + "\n"))


def _referenced(expr: str) -> set[str]:
    """The activation variables ``expr`` reads: its dotted names (``sender . balance`` too)."""
    tokens = _tokens(expr)
    found = set()
    for i in range(len(tokens) - 2):
        if tokens[i][0] == "ident" and tokens[i + 1] == ("op", ".") and tokens[i + 2][0] == "ident":
            name = f"{tokens[i][1]}.{tokens[i + 2][1]}"
            if name in VARIABLES:
                found.add(name)
    return found


def compile_rule(expr: str) -> Any:
    """One rule, checked: the source rules, then the typed compile, then a ``bool`` result."""
    check_source(expr)
    try:
        program = _env().compile(expr)
    except Exception as exc:  # cel-cpp reports parse and type errors as one exception type
        raise RuleSourceError(" ".join(str(exc).split())[:400]) from None
    returns = program.return_type().name()
    if returns != "BOOL":
        raise RuleSourceError(
            f"a rule returns bool (true: it fires), this one returns {returns.lower()}"
        )
    return program


@dataclass(frozen=True, slots=True)
class CompiledSet:
    """A rule set compiled as ONE list expression: one call into cel-cpp per movement."""

    ids: tuple[str, ...]
    program: Any
    singles: tuple[Any, ...]
    referenced: frozenset[str]
    slots: tuple[int, ...] | None = None
    """Rule i's verdict is the program's element ``slots[i]``: rules with the same source
    are evaluated once (same expression, same activation: same verdict). None: one each."""
    any_program: Any = None
    none_fired: tuple[bool, ...] = ()
    """Every verdict false (shared: the common answer allocates nothing)."""
    """The rules joined by ``||``: CEL's ``||`` is false only when every operand is false
    (an error operand makes it an error or, next to a true one, true), so a false result
    is exactly "no rule fires, none errs" — the common case, answered without building
    and converting the list. Anything else evaluates ``program``."""

    def evaluate(self, activation: Mapping[str, Any]) -> Sequence[bool]:
        """The rules' verdicts in set order; raises ``RuleEvalError`` on any error."""
        if self.any_program is not None:
            try:
                # An error's value is its message (a str), never False.
                if self.any_program.eval(data=activation).value() is False:
                    return self.none_fired
            except Exception:  # noqa: S110 - the list program below reports it
                pass
        try:
            result = self.program.eval(data=activation)
        except Exception as exc:  # e.g. the iteration budget: raised, not a value
            raise RuleEvalError(self._culprit(activation), str(exc)) from None
        if result.type() == _ERROR:
            raise RuleEvalError(self._culprit(activation), str(result.value()))
        values = result.plain_value()
        slots = self.slots
        if slots is not None:
            # The checker typed the list as list(bool) at compile time.
            return [values[i] for i in slots]
        if len(values) != len(self.ids):
            raise RuleEvalError("", "the rule set did not return one bool per rule")
        return list(values)

    def _culprit(self, activation: Mapping[str, Any]) -> str:
        """The first rule whose evaluation alone fails (only on the error path)."""
        for rule_id, program in zip(self.ids, self.singles, strict=True):
            try:
                result = program.eval(data=activation)
            except Exception:
                return rule_id
            if result.type() == cel.Type.ERROR:
                return rule_id
        return ""


def compile_set(rules: Sequence[tuple[str, str]]) -> CompiledSet:
    """Compile ``(id, expr)`` pairs; ``RuleSourceError`` names the first rule that fails."""
    singles = []
    referenced: set[str] = set()
    for rule_id, expr in rules:
        try:
            singles.append(compile_rule(expr))
        except RuleSourceError as exc:
            raise RuleSourceError(f"rule {rule_id}: {exc}") from None
        referenced |= _referenced(expr)
    unique: dict[str, int] = {}
    slots = tuple(unique.setdefault(expr, len(unique)) for _, expr in rules)
    joined = "[" + ", ".join(f"({expr})" for expr in unique) + "]"
    try:
        program = _env().compile(joined)
        any_program = _env().compile(" || ".join(f"({expr})" for expr in unique)) if rules else None
    except Exception as exc:
        raise RuleSourceError(f"the set does not compile as one list: {exc}") from None
    return CompiledSet(
        tuple(rule_id for rule_id, _ in rules),
        program,
        tuple(singles),
        frozenset(referenced),
        slots if len(unique) < len(rules) else None,
        any_program,
        (False,) * len(rules),
    )
