"""The compliance module's place in the transaction pipeline (wired in ``finchain.chain``).

``ComplianceAnte`` runs after the accounts module's authenticator, in check_tx and
in block execution alike (one code path): it denies, flags or holds. The post
handler ``ComplianceAggregates`` runs after the messages succeeded, so aggregates
count only what moved.
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.codec import Tx
from finchain.core.context import Context
from finchain.core.msgs import Msg
from finchain.modules.compliance.keeper import ComplianceKeeper


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
        self._keeper.record(ctx, tx.body.account, msgs)
