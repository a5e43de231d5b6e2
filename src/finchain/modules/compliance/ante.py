"""The compliance module's place in the transaction pipeline (wired in ``finchain.chain``).

``ComplianceAnte`` runs after the accounts module's authenticator, in check_tx and
in block execution alike (one code path): it denies, flags or holds. The post
handler ``ComplianceAggregates`` runs after the messages succeeded, so aggregates
count only what moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from finchain.codec import Tx
from finchain.core.context import Context, ExecMode
from finchain.core.msgs import Msg
from finchain.errors import FinchainError
from finchain.modules.compliance.errors import ErrDenied
from finchain.modules.compliance.keeper import ComplianceKeeper, compile_rules
from finchain.modules.compliance.types import RuleSet

_UNBOUNDED_BUDGET = 2**62


class ComplianceAnte:
    """Evaluate the active rule set on the transaction's movements (an ante decorator)."""

    def __init__(self, keeper: ComplianceKeeper) -> None:
        self._keeper = keeper

    def __call__(self, ctx: Context, tx: Tx, tx_id: bytes, msgs: Sequence[Msg]) -> None:
        self._keeper.enforce(ctx, tx, tx_id, msgs)


class ComplianceAggregates:
    """Add the executed movements to the day, year and window aggregates (a post handler)."""

    def __init__(self, keeper: ComplianceKeeper) -> None:
        self._keeper = keeper

    def __call__(self, ctx: Context, tx: Tx, tx_id: bytes, msgs: Sequence[Msg]) -> None:
        self._keeper.record_executed(ctx, tx_id, tx.body.account, msgs)


@dataclass(frozen=True, slots=True)
class Finding:
    """What a proposed rule set would have decided on one historical transaction."""

    height: int
    tx_id: bytes
    outcome: str  # deny | error | approve | flag
    rule: str
    message: str


class RuleSetProbe:
    """An ante decorator that judges each transaction by a proposed rule set and only
    records the verdict (never refuses, never writes): ``finchain rules simulate``.

    Placed after the active set's decorator on a scratch replay of a node's blocks, it
    sees every transaction with exactly the state it executed against.
    """

    def __init__(self, ruleset: RuleSet, heights: range) -> None:
        self._keeper: ComplianceKeeper | None = None
        self._ruleset = ruleset
        self._compiled = compile_rules(ruleset.rules)
        self._heights = heights
        self.findings: list[Finding] = []

    def attach(self, keeper: ComplianceKeeper) -> None:
        """The keeper of the app the probe is wired into (built after the probe)."""
        self._keeper = keeper

    def __call__(self, ctx: Context, tx: Tx, tx_id: bytes, msgs: Sequence[Msg]) -> None:
        if ctx.mode is not ExecMode.FINALIZE or ctx.height not in self._heights:
            return
        if self._keeper is None:
            raise RuntimeError("RuleSetProbe.attach was not called")
        # The probe's reads must not cost the transaction anything: charged, they could
        # push a transaction that fit its budget out of it, and the replay would leave
        # the node's history. Its reads are uncharged and unbounded by the budget.
        meter = ctx.store.meter
        consumed, limit = meter.consumed, meter.limit
        meter.limit = _UNBOUNDED_BUDGET
        try:
            verdict = self._keeper.judge(
                ctx.store,
                self._compiled,
                self._ruleset,
                tx.body.account,
                msgs,
                ctx.height,
                ctx.time_ns,
            )
        except FinchainError as exc:
            denied = (exc.codespace, exc.code) == (ErrDenied.codespace, ErrDenied.code)
            outcome = "deny" if denied else "error"
            rule_id = str(exc.details.get("rule", ""))
            self.findings.append(Finding(ctx.height, tx_id, outcome, rule_id, exc.message))
            return
        finally:
            meter.consumed, meter.limit = consumed, limit
        if verdict.hold is not None:
            held = verdict.hold[0]
            self.findings.append(Finding(ctx.height, tx_id, "approve", held.id, held.reason))
        for rule, move in verdict.flags:
            note = f"{rule.report_type}: {move.kind} {move.amount} {move.asset} to {move.recipient}"
            self.findings.append(Finding(ctx.height, tx_id, "flag", rule.id, note))
