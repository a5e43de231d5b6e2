"""Deterministic cost accounting.

finchain charges no fee, but every transaction runs under a budget measured in
abstract cost units so that no single transaction can stall a block. Costs
depend only on the transaction and the state it touches, never on timing, so
every node fails the same transaction at the same step.
"""

from __future__ import annotations

from collections.abc import Iterator

from finchain.core.errors import ErrOutOfBudget
from finchain.core.kv import Overlay

TX_BASE = 1_000
TX_BYTE = 10
SIG_VERIFY = {"ed25519": 1_000, "secp256k1": 1_500, "sm2": 3_000}
READ_BASE = 100
READ_BYTE = 1
WRITE_BASE = 200
WRITE_BYTE = 10
ITER_STEP = 50
JUDGE_MOVE = 4_000
"""What the compliance ante charges per movement it judges against an active rule set,
instead of metering its reads one by one (the set, the parameters, the regulated flag,
both parties' identity facts, two aggregates, balances): a fixed price, so the cost of a
transaction stays a function of the transaction and the state alone
(docs/regulation/compliance.md, "Cost")."""


class GasMeter:
    __slots__ = ("consumed", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.consumed = 0

    def charge(self, amount: int, what: str) -> None:
        self.consumed += amount
        if self.consumed > self.limit:
            raise ErrOutOfBudget(
                f"cost {self.consumed} exceeds the budget {self.limit} while {what}; "
                "split the transaction into smaller ones"
            )


class MeteredStore:
    """The only store a handler sees: every access is charged to the transaction's meter."""

    __slots__ = ("_overlay", "meter")

    def __init__(self, overlay: Overlay, meter: GasMeter) -> None:
        self._overlay = overlay
        self.meter = meter

    @property
    def unmetered(self) -> Overlay:
        """The same overlay, read without charging: for a caller that charges a fixed,
        documented price for its reads instead (``JUDGE_MOVE``). Never for writes."""
        return self._overlay

    def get(self, key: bytes) -> bytes | None:
        value = self._overlay.get(key)
        self.meter.charge(
            READ_BASE + READ_BYTE * (len(key) + (len(value) if value else 0)), "reading"
        )
        return value

    def set(self, key: bytes, value: bytes) -> None:
        self.meter.charge(WRITE_BASE + WRITE_BYTE * (len(key) + len(value)), "writing")
        self._overlay.set(key, value)

    def delete(self, key: bytes) -> None:
        self.meter.charge(WRITE_BASE + WRITE_BYTE * len(key), "deleting")
        self._overlay.delete(key)

    def iterate(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        for key, value in self._overlay.iterate(prefix):
            self.meter.charge(ITER_STEP + READ_BYTE * (len(key) + len(value)), "iterating")
            yield key, value
