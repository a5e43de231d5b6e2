"""The rule activation of BRIEF-14 as a typed cel-expr-python environment, for testing the
built-in templates without the compliance engine: the same variables and types, the same
trimmed standard library (no double, no comprehension macros, no time functions, no
``matches``), and the same allow-list of called functions."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from cel_expr_python import cel

_ACCOUNT = {
    "address": "string",
    "did": "string",
    "kyc_tier": "int",
    "jurisdiction": "string",
    "natural_person": "bool",
    "institution": "string",
    "verified": "bool",
    "listed": "bool",
    "balance": "int",
    "day_total": "int",
    "day_count": "int",
    "year_total": "int",
    "window_total": "int",
    "window_count": "int",
}
VARIABLES: dict[str, str] = {
    "msg.type": "string",
    "msg.index": "int",
    "move.kind": "string",
    "move.asset": "string",
    "move.amount": "int",
    "move.cross_border": "bool",
    **{f"sender.{k}": t for k, t in _ACCOUNT.items()},
    **{f"recipient.{k}": t for k, t in _ACCOUNT.items()},
    "asset.symbol": "string",
    "asset.decimals": "int",
    "asset.regulated": "bool",
    "asset.issuer": "string",
    "tx.account": "string",
    "tx.height": "int",
    "tx.travel": "bool",
}
ALLOWED_FUNCTIONS = frozenset({"size", "int", "string", "contains", "startsWith", "endsWith"})
_EXCLUDED = ("double", "timestamp", "duration", "matches")
_MACROS = ("all", "exists", "exists_one", "map", "filter")
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_FLOAT = re.compile(r"(?<![\w.\"])\d+\.\d|\d[eE][+-]?\d")


@cache
def env() -> Any:
    lines = ["name: aml-builtins-test", "stdlib:", f"  exclude_macros: [{', '.join(_MACROS)}]"]
    lines.append("  exclude_functions:")
    lines += [f'    - name: "{name}"' for name in _EXCLUDED]
    lines.append("variables:")
    for name, kind in VARIABLES.items():
        lines += [f'  - name: "{name}"', f"    type: {kind}"]
    return cel.NewEnv(config=cel.NewEnvConfigFromYaml("\n".join(lines) + "\n"))


def outside_strings(expr: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)


def compile_rule(expr: str) -> Any:
    """Compile as the compliance engine does: allowed calls only, no float literal, bool."""
    bare = outside_strings(expr)
    calls = set(_CALL.findall(bare)) - ALLOWED_FUNCTIONS
    assert not calls, f"calls outside the allow-list: {calls}"
    assert not _FLOAT.search(bare), f"a float literal in {expr}"
    program = env().compile(expr)
    assert program.return_type().name() == "BOOL", program.return_type().name()
    return program


def evaluate(program: Any, activation: dict[str, Any]) -> bool:
    assert set(activation) == set(VARIABLES), set(activation) ^ set(VARIABLES)
    result = program.eval(env().Activation(dict(activation)))
    assert result.type() != cel.Type.ERROR, result.value()
    value = result.plain_value()
    assert type(value) is bool
    return value


def activation(**overrides: Any) -> dict[str, Any]:
    """Every variable at a neutral value (a CNY transfer of 1 between two verified, unlisted
    natural persons with no history), with ``overrides`` given as ``move__amount=...``."""
    base: dict[str, Any] = {}
    for name, kind in VARIABLES.items():
        base[name] = {"string": "", "int": 0, "bool": False}[kind]
    base.update(
        {
            "msg.type": "bank/transfer",
            "move.kind": "transfer",
            "move.asset": "CNY",
            "move.amount": 1,
            "asset.symbol": "CNY",
            "asset.decimals": 2,
            "sender.natural_person": True,
            "recipient.natural_person": True,
            "sender.verified": True,
            "recipient.verified": True,
            "sender.kyc_tier": 2,
            "recipient.kyc_tier": 2,
            "sender.jurisdiction": "CN",
            "recipient.jurisdiction": "CN",
        }
    )
    for key, value in overrides.items():
        name = key.replace("__", ".")
        assert name in VARIABLES, name
        base[name] = value
    return base
