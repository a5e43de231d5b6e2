"""Clearing cycles, their settlement reports, and the field codecs of the netting module.

Other modules may import this file (the import-linter contract): it holds no
state access, only the shapes of what the netting module stores and answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import HEIGHT, TIME_NS, Amount, Integer, ListOf, OneOf, Record, wire
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.bank.types import ASSET_SYMBOL

MAX_MEMBERS = 500
"""Members of one cycle: a clearing house's direct participants, not its customers."""
MAX_OBLIGATIONS_PER_MSG = 1_000
"""Obligations in one submit message (a transaction's byte and cost budgets also apply)."""
MAX_CYCLE_BLOCKS = 1_000_000
"""How far ahead a close height may be (about 11 days at one block a second)."""
MAX_CYCLE_NS = 31 * 24 * 3600 * 10**9
"""How far ahead a close time may be: 31 days."""
MAX_ID = 2**63 - 1

OPEN = "open"
SETTLED = "settled"
FAILED = "failed"
"""A cycle whose settlement the bank refused as a whole (nothing moved; see the keeper)."""

PAYER_SHORT = "payer_short"
"""Removed by the shortfall rule: its payer could not cover its net debit."""
PAYEE_CLOSED = "payee_closed"
"""Removed before netting: its payee's account was closed at the cycle's close."""
PAYER_FROZEN = "payer_frozen"
"""Removed before netting: its payer's account was frozen at the cycle's close (a frozen
account may receive, not send: it does not pay, not even out of what it receives)."""
SETTLEMENT_FAILED = "settlement_failed"

CYCLE_ID = Integer(low=1, high=MAX_ID)
COUNT = Integer(low=0, high=MAX_ID)
VALUE = Amount(zero=True)
MEMBERS = ListOf(ACCOUNT, min_items=2, max_items=MAX_MEMBERS, unique=True, sort=True)


@dataclass(frozen=True, slots=True)
class Cycle(Record):
    """A clearing cycle. ``close_height`` or ``close_time_ns`` (exactly one non-zero) is its
    cut-off: obligations are accepted in blocks before it, and the cycle settles in the
    end-block of the first block at or after it.

    ``batches``, ``obligations`` and ``gross`` count what members submitted so far.
    """

    WHAT = "clearing cycle"
    id: int = wire(CYCLE_ID)
    operator: str = wire(ACCOUNT)
    asset: str = wire(ASSET_SYMBOL)
    members: tuple[str, ...] = wire(MEMBERS)
    close_height: int = wire(HEIGHT)
    close_time_ns: int = wire(TIME_NS)
    opened_height: int = wire(HEIGHT)
    status: str = wire(OneOf(OPEN, SETTLED, FAILED))
    batches: int = wire(COUNT)
    obligations: int = wire(COUNT)
    gross: int = wire(VALUE)

    def due(self, height: int, time_ns: int) -> bool:
        """Past the cut-off at this block: no more obligations, settle now."""
        if self.close_height:
            return height >= self.close_height
        return time_ns >= self.close_time_ns


@dataclass(frozen=True, slots=True)
class Report(Record):
    """What a cycle's settlement did (the ``netting_cycle_settled`` event, the query).

    ``gross``: the value of the obligations settled; ``net``: the sum of the net debits
    paid (the liquidity the members actually needed); ``saved`` = ``gross - net``, never
    negative since a member's net debit never exceeds what it pays gross.
    ``submitted`` is the value of every obligation, ``removed_value`` that of the
    obligations left unsettled (``submitted = gross + removed_value``).
    """

    WHAT = "netting report"
    cycle: int = wire(CYCLE_ID)
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)
    status: str = wire(OneOf(SETTLED, FAILED))
    submitted: int = wire(VALUE)
    gross: int = wire(VALUE)
    net: int = wire(VALUE)
    saved: int = wire(VALUE)
    settled: int = wire(COUNT)
    removed: int = wire(COUNT)
    removed_value: int = wire(VALUE)
    transfers: int = wire(COUNT)
