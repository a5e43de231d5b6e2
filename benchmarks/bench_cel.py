"""Issue 14: compare the Python bindings of CEL (Common Expression Language) by measurement.

Not part of ``make bench`` (benchmarks/run.py): no CEL binding is a project dependency yet.
Each binding goes into a scratch virtualenv of its own, outside the project's .venv, and this
one script runs under any of them (it imports no finchain code)::

    python3 -m venv /tmp/cel-a && /tmp/cel-a/bin/pip install common-expression-language
    python3 -m venv /tmp/cel-b && /tmp/cel-b/bin/pip install cel-expr-python
    python3 -m venv /tmp/cel-c && /tmp/cel-c/bin/pip install cel-python
    /tmp/cel-a/bin/python benchmarks/bench_cel.py --binding common-expression-language
    /tmp/cel-b/bin/python benchmarks/bench_cel.py --binding cel-expr-python
    /tmp/cel-c/bin/python benchmarks/bench_cel.py --binding cel-python

It prints one line per measurement. Speed: the rule shapes issue 14 needs (tier limit,
large-value report, structuring, sanctions, verified identity), compiled once, evaluated
against a per-transaction activation built from Python objects (the build is timed with
the evaluation): 1 rule, 20 rules evaluated one by one, and the 20 rules as one list
expression. Then probes of determinism (doubles, int64 overflow, amounts past int64, clocks,
map order), of bounded cost and of the errors a rule author sees. ``--runs`` repeats each
timing (3 by default); ``--seconds`` bounds each timing (0.4 s by default);
``--host-lookup`` has the host look the sanctions list up (the rule reads
``recipient.listed``) instead of binding it as a CEL map; ``--nested`` gives
cel-expr-python four ``map<string, dyn>`` variables instead of one typed variable per
field; ``--no-probes`` prints the speed lines only. The figures and the choice are in
docs/BENCHMARKS.md ("Issue 14: choosing the CEL binding").
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BINDINGS = ("common-expression-language", "cel-expr-python", "cel-python")
YUAN = 100  # base units (fen) per yuan of the benchmark's CNY asset
LISTED: set[str] = set()  # the sanctions list, for the host-side look-up (--host-lookup)


# ---------------------------------------------------------------- the domain, as Python objects


@dataclass(frozen=True)
class Claims:
    did: str
    kyc_tier: int
    jurisdiction: str
    sanctioned: bool
    institution: str
    verified: bool
    natural_person: bool


@dataclass(frozen=True)
class Aggregates:
    today_total: int
    window_count: int
    window_total: int


@dataclass(frozen=True)
class Account:
    address: str
    claims: Claims
    aggregates: Aggregates


@dataclass(frozen=True)
class Asset:
    symbol: str
    decimals: int
    regulated: bool
    cash: bool


@dataclass(frozen=True)
class Transfer:
    tx_hash: str
    sender: Account
    recipient: Account
    asset: Asset
    amount: int
    cross_border: bool


def account_view(account: Account) -> dict[str, Any]:
    claims, agg = account.claims, account.aggregates
    return {
        "address": account.address,
        "did": claims.did,
        "kyc_tier": claims.kyc_tier,
        "jurisdiction": claims.jurisdiction,
        "sanctioned": claims.sanctioned,
        "institution": claims.institution,
        "verified": claims.verified,
        "natural_person": claims.natural_person,
        "listed": account.address in LISTED,
        "today_total": agg.today_total,
        "window_count": agg.window_count,
        "window_total": agg.window_total,
    }


def activation(t: Transfer) -> dict[str, dict[str, Any]]:
    """What a rule sees, as plain Python values (nested maps)."""
    return {
        "tx": {
            "hash": t.tx_hash,
            "sender": t.sender.address,
            "recipient": t.recipient.address,
            "amount": t.amount,
            "asset": t.asset.symbol,
            "cross_border": t.cross_border,
        },
        "sender": account_view(t.sender),
        "recipient": account_view(t.recipient),
        "asset": {
            "symbol": t.asset.symbol,
            "decimals": t.asset.decimals,
            "regulated": t.asset.regulated,
            "cash": t.asset.cash,
        },
    }


def flat_activation(t: Transfer) -> dict[str, Any]:
    """The same, one variable per field ("tx.amount"): lets a checker type every field."""
    return {
        f"{var}.{name}": v for var, fields in activation(t).items() for name, v in fields.items()
    }


def flat_types(t: Transfer) -> dict[str, str]:
    kinds = {bool: "bool", int: "int", str: "string"}
    return {name: kinds[type(v)] for name, v in flat_activation(t).items()}


def make_transfers(n: int, sanctioned: list[str]) -> list[Transfer]:
    rng = random.Random(14)
    jurisdictions = ["CN", "HK", "SG", "GB", "US"]

    def account(i: int) -> Account:
        claims = Claims(
            did=f"did:finchain:{i:040x}",
            kyc_tier=rng.randrange(4),
            jurisdiction=rng.choice(jurisdictions),
            sanctioned=rng.random() < 0.05,
            institution=f"bank{i % 7}",
            verified=rng.random() < 0.9,
            natural_person=rng.random() < 0.5,
        )
        today = rng.randrange(0, 3_000_000) * YUAN
        agg = Aggregates(today, rng.randrange(6), today + rng.randrange(0, 100_000) * YUAN)
        return Account(f"fc1{i:038x}", claims, agg)

    assets = [
        Asset("CNY", 2, True, False),
        Asset("CASH", 2, True, True),
        Asset("PTS", 0, False, False),
    ]
    out = []
    for i in range(n):
        recipient = account(2 * i + 1)
        if rng.random() < 0.05:
            recipient = Account(rng.choice(sanctioned), recipient.claims, recipient.aggregates)
        amount = rng.choice([19_000, 49_999, 50_000, 200_000, 500_000, 2_000_000]) * YUAN
        out.append(
            Transfer(
                f"{i:064x}",
                account(2 * i),
                recipient,
                rng.choice(assets),
                amount + rng.choice([-1, 0, 0, 1]),
                rng.random() < 0.2,
            )
        )
    return out


# ------------------------------------------------------- the rules: templates and their parameters


def cel_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cel_map(d: dict[str, Any]) -> str:
    def lit(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        return cel_str(v)

    return "{" + ", ".join(f"{cel_str(k)}: {lit(v)}" for k, v in d.items()) + "}"


def params(sanctioned: list[str], host_lookup: bool) -> dict[str, dict[str, Any]]:
    """The rule set's parameters: maps bound once per rule-set version, not per transaction.

    (Inlined as literals instead, a map or list is rebuilt at every evaluation by all three
    bindings: a 1,000-entry list costs tens of µs to ms per evaluation; see the probe.)
    """
    out: dict[str, dict[str, Any]] = {}
    if not host_lookup:
        out["sanctions"] = dict.fromkeys(sanctioned, True)
    for k, scale in enumerate((1, 2, 5, 10)):
        caps = (1_000, 50_000, 500_000, 5_000_000)
        out[f"limits_{k}"] = {str(tier): cap * scale * YUAN for tier, cap in enumerate(caps)}
        out[f"allowed_{k}"] = dict.fromkeys(["CN", "HK", "SG", "GB"][: k + 1], True)
    return out


def rules(host_lookup: bool) -> list[tuple[str, str]]:
    """Twenty rules: four instances of each of the five shapes. Each is true when it fires.

    host_lookup: the sanctions list is looked up by the host (a Python set) and the rule reads
    the answer (recipient.listed), instead of `tx.recipient in sanctions`.
    """
    listed = "recipient.listed" if host_lookup else "tx.recipient in sanctions"
    out: list[tuple[str, str]] = []
    for k in range(4):
        out.append((f"tier_limit_{k}", f"!(tx.amount <= limits_{k}[string(sender.kyc_tier)])"))
        report = (50_000, 200_000, 500_000, 2_000_000)[k] * YUAN
        out.append((f"large_value_{k}", f"tx.amount + sender.today_total >= {report}"))
        step = (20_000, 50_000, 100_000, 200_000)[k] * YUAN
        out.append(
            (
                f"structuring_{k}",
                f"tx.amount < {step} && sender.window_count >= 2"
                f" && sender.window_total + tx.amount >= {step * 5 // 2}",
            )
        )
        out.append((f"sanctions_{k}", f"recipient.sanctioned || {listed}"))
        out.append(
            (
                f"verified_{k}",
                f"asset.regulated && !(recipient.verified && recipient.kyc_tier >= {k % 3}"
                f" && recipient.jurisdiction in allowed_{k})",
            )
        )
    return out


def expected(name: str, a: dict[str, dict[str, Any]], sanctioned: set[str]) -> bool:
    """The same twenty rules in Python, to check every binding's answers."""
    shape, k = name.rsplit("_", 1)
    i = int(k)
    tx, s, r, asset = a["tx"], a["sender"], a["recipient"], a["asset"]
    scale = (1, 2, 5, 10)[i]
    if shape == "tier_limit":
        return not tx["amount"] <= (1_000, 50_000, 500_000, 5_000_000)[s["kyc_tier"]] * scale * YUAN
    if shape == "large_value":
        return bool(
            tx["amount"] + s["today_total"] >= (50_000, 200_000, 500_000, 2_000_000)[i] * YUAN
        )
    if shape == "structuring":
        step = (20_000, 50_000, 100_000, 200_000)[i] * YUAN
        return bool(
            tx["amount"] < step
            and s["window_count"] >= 2
            and s["window_total"] + tx["amount"] >= step * 5 // 2
        )
    if shape == "sanctions":
        return bool(r["sanctioned"] or tx["recipient"] in sanctioned)
    allowed = ["CN", "HK", "SG", "GB"][: i + 1]
    return bool(
        asset["regulated"]
        and not (r["verified"] and r["kyc_tier"] >= i % 3 and r["jurisdiction"] in allowed)
    )


# ------------------------------------------------------------------------------ the bindings


def one_line(x: object, limit: int = 400) -> str:
    s = " ".join(str(x).split())
    return s if len(s) <= limit else s[:limit] + "…"


class Binding:
    """compile(src) -> program; prepare(transfer) -> the binding's activation; run(program, act).

    The rule set's parameters are bound once (at construction); prepare() converts one
    transaction's activation; run() returns the Python value, raising on a CEL error.
    """

    name = ""
    wraps = ""

    def __init__(self, sample: Transfer, rule_params: dict[str, dict[str, Any]]) -> None:
        self.sample = sample
        self.params = rule_params

    def compile(self, src: str) -> Any:
        raise NotImplementedError

    def prepare(self, t: Transfer) -> Any:
        raise NotImplementedError

    def run(self, program: Any, act: Any) -> Any:
        raise NotImplementedError

    def probe(self, src: str, data: dict[str, Any]) -> str:
        """Compile and evaluate one expression against raw data; the outcome as one line."""
        raise NotImplementedError

    def extra_probes(self) -> list[tuple[str, str]]:
        return []


class RustBinding(Binding):
    name = "common-expression-language"
    wraps = "Rust crate cel (cel-rust: parser + interpreter, no type checker) via PyO3"

    def __init__(self, sample: Transfer, rule_params: dict[str, dict[str, Any]]) -> None:
        super().__init__(sample, rule_params)
        self.cel = importlib.import_module("cel")
        # One Context holds the parameters (converted once); each transaction overwrites
        # its four variables in it. A fresh Context per transaction would convert the
        # 1,000-entry sanctions map every time (~1 ms).
        self.context = self.cel.Context(variables=rule_params)

    def compile(self, src: str) -> Any:
        return self.cel.compile(src)

    def prepare(self, t: Transfer) -> Any:
        self.context.update(activation(t))
        return self.context

    def run(self, program: Any, act: Any) -> Any:
        return program.execute(act)

    def probe(self, src: str, data: dict[str, Any]) -> str:
        try:
            program = self.cel.compile(src)
        except Exception as e:
            return f"compile error {type(e).__name__}: {one_line(e)}"
        try:
            r = program.execute(data)
        except Exception as e:
            return f"eval error {type(e).__name__}: {one_line(e)}"
        return f"-> {r!r} ({type(r).__name__})"

    def extra_probes(self) -> list[tuple[str, str]]:
        p = self.cel.compile("tx.amount * 3 / 2 > double(sender.today_total) || now() > 0")
        return [("static references (Program.references)", one_line(p.references()))]


class CppBinding(Binding):
    name = "cel-expr-python"
    wraps = "Google's cel-cpp (parser, type checker, runtime) via pybind11"

    def __init__(
        self, sample: Transfer, rule_params: dict[str, dict[str, Any]], flat: bool = True
    ) -> None:
        super().__init__(sample, rule_params)
        self.cel = importlib.import_module("cel_expr_python.cel")
        self.flat = flat
        t = self.cel.Type
        variables = {
            name: t.Map(t.STRING, t.INT if name.startswith("limits") else t.BOOL)
            for name in rule_params
        }
        if flat:  # one typed variable per field: the checker knows every field's type
            kinds = {"bool": t.BOOL, "int": t.INT, "string": t.STRING}
            variables |= {n: kinds[k] for n, k in flat_types(sample).items()}
        else:  # four maps of dyn: fields are typed only at run time
            variables |= dict.fromkeys(activation(sample), t.Map(t.STRING, t.DYN))
        self.env = self.cel.NewEnv(variables=variables)
        self.error = t.ERROR

    def compile(self, src: str) -> Any:
        return self.env.compile(src)

    def prepare(self, t: Transfer) -> Any:
        # The parameter maps are passed by reference; the binding reads them lazily.
        data = flat_activation(t) if self.flat else activation(t)
        return self.env.Activation(self.params | data)

    def run(self, program: Any, act: Any) -> Any:
        r = program.eval(act)
        if r.type() == self.error:  # an error is a value here, not an exception
            raise RuntimeError(r.value())
        return r.plain_value()

    def probe(self, src: str, data: dict[str, Any], env: Any = None) -> str:
        try:
            if env is None:
                env = self.cel.NewEnv(variables=dict.fromkeys(data, self.cel.Type.DYN))
            program = env.compile(src)
        except Exception as e:
            return f"compile error {type(e).__name__}: {one_line(e)}"
        try:
            r = program.eval(data=data)
        except Exception as e:
            return f"eval error {type(e).__name__}: {one_line(e)}"
        return (
            f"-> {r.value()!r} (CEL {r.type().name()}; checked type {program.return_type().name()})"
        )

    def strict_env(self) -> Any:
        """No doubles, no comprehension macros: the standard library trimmed by cel-cpp's
        environment config (a stdlib subset, YAML), each field declared with its type."""
        doubles = [
            "double",
            "_+_:add_double",
            "_-_:subtract_double",
            "_*_:multiply_double",
            "_/_:divide_double",
            "-_:negate_double",
            "int:double_to_int64",
            "uint:double_to_uint64",
            "string:double_to_string",
        ]
        lines = ["name: finchain-strict", "stdlib:"]
        lines.append("  exclude_macros: [all, exists, exists_one, map, filter]")
        lines.append("  exclude_functions:")
        for d in doubles:
            fn, _, overload = d.partition(":")
            lines.append(f"    - name: {cel_str(fn)}")
            if overload:
                lines.append(f"      overloads: [{{id: {overload}}}]")
        lines.append("variables:")
        for n, k in flat_types(self.sample).items():
            lines.append(f"  - name: {cel_str(n)}")
            lines.append(f"    type: {k}")
        return self.cel.NewEnv(config=self.cel.NewEnvConfigFromYaml("\n".join(lines) + "\n"))

    def extra_probes(self) -> list[tuple[str, str]]:
        strict = self.strict_env()
        data = flat_activation(self.sample)
        out = []
        for src in (
            "tx.amount + sender.today_total >= 5000000",
            "tx.amount > 1.5",
            "double(tx.amount) * 1.5 > 10.0",
            "1.5 * 2.0 > 1.0",
            "1.5 > 1.0",
            "[1, 2, 3].all(i, i > 0)",
            "sender.kyc_tier + 1",
            'tx.amont > 1 || sender.kyc_tier + "1" > 2',
        ):
            label = f"strict env (typed fields, no double ops, no macros): {src}"
            out.append((label, self.probe(src, data, strict)))
        return out


class PureBinding(Binding):
    name = "cel-python"
    wraps = "pure Python (import celpy; Lark parser, tree-walking interpreter, no type checker)"

    def __init__(self, sample: Transfer, rule_params: dict[str, dict[str, Any]]) -> None:
        super().__init__(sample, rule_params)
        self.celpy = importlib.import_module("celpy")
        self.env = self.celpy.Environment()
        to_cel = self.celpy.json_to_cel
        self.params_cel = {k: to_cel(v) for k, v in rule_params.items()}  # converted once

    def compile(self, src: str) -> Any:
        return self.env.program(self.env.compile(src))

    def prepare(self, t: Transfer) -> Any:
        to_cel = self.celpy.json_to_cel
        return self.params_cel | {k: to_cel(v) for k, v in activation(t).items()}

    def run(self, program: Any, act: Any) -> Any:
        r = program.evaluate(act)
        if isinstance(r, self.celpy.CELEvalError):  # raised at the top, but be safe
            raise RuntimeError(r)
        return r

    def probe(self, src: str, data: dict[str, Any]) -> str:
        try:
            program = self.env.program(self.env.compile(src))
        except Exception as e:
            return f"compile error {type(e).__name__}: {one_line(e)}"
        try:
            act = {k: self.celpy.json_to_cel(v) for k, v in data.items()}
            r = program.evaluate(act)
        except Exception as e:
            return f"eval error {type(e).__name__}: {one_line(e, 300)}"
        if isinstance(r, self.celpy.CELEvalError):
            return f"error value CELEvalError: {one_line(r.args[0] if r.args else r, 300)}"
        return f"-> {r!r} ({type(r).__name__})"


def make_binding(
    name: str, sample: Transfer, rule_params: dict[str, dict[str, Any]], nested: bool
) -> Binding:
    if name == "common-expression-language":
        return RustBinding(sample, rule_params)
    if name == "cel-expr-python":
        return CppBinding(sample, rule_params, flat=not nested)
    return PureBinding(sample, rule_params)


# --------------------------------------------------------------------------------- measuring


def timed(fn: Callable[[int], None], seconds: float) -> tuple[float, int]:
    """Microseconds per call of fn(i), over as many calls as fit in about `seconds`."""
    fn(0)
    n, start = 0, time.perf_counter()
    while True:
        for _ in range(10):
            fn(n)
            n += 1
        if time.perf_counter() - start > seconds:
            return (time.perf_counter() - start) / n * 1e6, n


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--binding", choices=BINDINGS, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=0.4, help="per timing")
    parser.add_argument("--sanctions", type=int, default=1000, help="addresses on the list")
    parser.add_argument(
        "--nested", action="store_true", help="cel-expr-python: four dyn maps, not typed fields"
    )
    parser.add_argument(
        "--host-lookup",
        action="store_true",
        help="sanctions list looked up in Python (recipient.listed), not bound as a CEL map",
    )
    parser.add_argument("--no-probes", action="store_true", help="the speed lines only")
    args = parser.parse_args()

    rng = random.Random(7)
    sanctioned = [f"fc1{rng.getrandbits(152):038x}" for _ in range(args.sanctions)]
    LISTED.update(sanctioned)
    transfers = make_transfers(256, sanctioned)
    rule_params = params(sanctioned, args.host_lookup)
    b = make_binding(args.binding, transfers[0], rule_params, args.nested)
    version = importlib.metadata.version(args.binding)
    py = ".".join(map(str, sys.version_info[:3]))
    shape = "four dyn maps" if args.nested else "typed fields" if isinstance(b, CppBinding) else ""
    print(f"binding {b.name} {version}: {b.wraps}; CPython {py}" + (f"; {shape}" if shape else ""))

    rule_set = rules(args.host_lookup)
    t0 = time.perf_counter()
    programs = [b.compile(src) for _, src in rule_set]
    t1 = time.perf_counter()
    combined = b.compile("[" + ", ".join(src for _, src in rule_set) + "]")
    how = "looked up by the host" if args.host_lookup else "a CEL map bound per rule set"
    print(
        f"compile: 20 rules in {(t1 - t0) * 1e3:.1f} ms; sanctions list of {args.sanctions}, {how}"
    )

    # Every binding must give Python's answers before anything is timed.
    fired = 0
    listed = set(sanctioned)
    for t in transfers:
        act = b.prepare(t)
        want = [expected(name, activation(t), listed) for name, _ in rule_set]
        got = [bool(b.run(p, act)) for p in programs]
        got_list = [bool(x) for x in b.run(combined, act)]
        if got != want or got_list != want:
            bad = [n for (n, _), g, w in zip(rule_set, got, want, strict=True) if g != w]
            raise SystemExit(f"{b.name} disagrees with Python on tx {t.tx_hash[-4:]}: {bad}")
        fired += sum(want)
    print(f"check: 256 transfers x 20 rules agree with Python ({fired} firings)")

    n_tx = len(transfers)
    first = programs[0]
    to_dict = flat_activation if isinstance(b, CppBinding) and b.flat else activation

    def python_only(i: int) -> None:
        to_dict(transfers[i % n_tx])

    def act_only(i: int) -> None:
        b.prepare(transfers[i % n_tx])

    def one_rule(i: int) -> None:
        b.run(first, b.prepare(transfers[i % n_tx]))

    def twenty_rules(i: int) -> None:
        act = b.prepare(transfers[i % n_tx])
        for p in programs:
            b.run(p, act)

    def twenty_as_list(i: int) -> None:
        b.run(combined, b.prepare(transfers[i % n_tx]))

    timings = [
        ("activation dict from Python objects only", python_only),
        ("activation: dict + binding conversion", act_only),
        ("1 rule (tier limit) incl. activation", one_rule),
        ("20 rules one by one incl. activation", twenty_rules),
        ("20 rules as one list expression incl. activation", twenty_as_list),
    ]
    for label, fn in timings:
        for run in range(1, args.runs + 1):
            us, n = timed(fn, args.seconds)
            print(f"speed run {run}: {label}: {us:.1f} µs per tx ({n} tx)")

    # A sanctions list inlined into the rule as a literal, not bound as a variable.
    act = b.prepare(transfers[0])
    inline = b.compile(f"tx.recipient in {cel_map(dict.fromkeys(sanctioned, True))}")
    us, n = timed(lambda _i: b.run(inline, act), args.seconds)
    print(
        f"speed: sanctions as an inlined {args.sanctions}-entry map literal: {us:.1f} µs per eval"
    )
    if args.no_probes:
        return

    # ---- determinism, bounded cost, errors
    big = 2**127 - 1
    probes: list[tuple[str, str, dict[str, Any]]] = [
        ("int64 overflow (literal)", "9223372036854775807 + 1", {}),
        ("int64 overflow (variable)", "x + 1", {"x": 2**63 - 1}),
        ("int64 underflow", "-9223372036854775807 - 1 - x", {"x": 1}),
        ("uint64 overflow", "18446744073709551615u + 1u", {}),
        ("amount 2^63 passed in", "x", {"x": 2**63}),
        ("amount 2^64 passed in", "x", {"x": 2**64}),
        ("amount 2^127-1 passed in", "x", {"x": big}),
        ("amount as a 39-digit string", f'x >= "{5_000_000:039d}"', {"x": f"{big:039d}"}),
        ("double literal arithmetic", "0.1 + 0.2 == 0.3", {}),
        ("int literal plus double literal", "1.5 + 1", {}),
        ("int with double, mixed", "x * 1.5 > 1.0", {"x": 2}),
        ("int compared with double", "x > 1.5", {"x": 2}),
        ("double passed in", "x > 1", {"x": 2.5}),
        ("clock now()", "now()", {}),
        (
            "timestamp literal",
            'timestamp("2026-01-01T00:00:00Z") < timestamp("2027-01-01T00:00:00Z")',
            {},
        ),
        ("map iteration order", '{"b": 1, "a": 2, "c": 3}.map(k, k)', {}),
        ("map passed in, order", "m.map(k, k)", {"m": dict.fromkeys("hgfedcba", 1)}),
        ("division by zero", "x / 0", {"x": 1}),
        ("parse error", "tx.amount >= 5000000 &&", {}),
        ("type error (int + string)", 'x + "1" > 2', {"x": 1}),
        ("missing field", "tx.amont > 1", {"tx": {"amount": 1}}),
        ("regex (RE2)", 'x.matches("^[0-9]+$")', {"x": "123"}),
    ]
    for label, src, data in probes:
        print(f"probe {label}: {src} :: {b.probe(src, data)}")
    for label, line in b.extra_probes():
        print(f"probe {label} :: {line}")

    # Bounded cost: nothing bounds a nested comprehension but the size of what it iterates.
    for src, size, steps in (
        ("xs.all(a, xs.all(b, a + b >= 0))", 50, 2_550),
        ("xs.all(a, xs.all(b, a + b >= 0))", 100, 10_100),
        ("xs.all(a, a >= 0)", 9_999, 9_999),
        ("xs.all(a, a >= 0)", 10_000, 10_000),
    ):
        start = time.perf_counter()
        outcome = b.probe(src, {"xs": list(range(size))})
        ms = (time.perf_counter() - start) * 1e3
        print(f"probe cost: {src} over {size} elements ({steps} steps) :: {outcome} in {ms:.0f} ms")


if __name__ == "__main__":
    main()
