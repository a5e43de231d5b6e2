"""The securities module: bonds and equities whose units are bank assets, paid by the chain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finchain.core.context import Context
from finchain.core.fields import AMOUNT, Integer, ListOf, Nested, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import Invariant, KeeperModule, parse_genesis
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.securities import handlers, queries
from finchain.modules.securities.errors import ErrBadGenesis
from finchain.modules.securities.keeper import SecuritiesKeeper, owed
from finchain.modules.securities.keys import STORE
from finchain.modules.securities.types import (
    ISIN,
    MAX_DATE,
    MAX_PAYMENTS,
    MIN_DATE,
    PAID,
    RECORDED,
    SCHEDULED,
    Payment,
    Security,
    parse_date,
)

NAME = "securities"


@dataclass(frozen=True, slots=True)
class HolderOfRecord(Record):
    WHAT = "holder of record"
    payment: int = wire(Integer(low=0, high=MAX_PAYMENTS + 1))
    account: str = wire(ACCOUNT)
    quantity: int = wire(AMOUNT)


@dataclass(frozen=True, slots=True)
class SecurityState(Record):
    """A security, its payments and the holders of record of the payments recorded so far."""

    WHAT = "security state"
    security: Security = wire(Nested(Security))
    payments: tuple[Payment, ...] = wire(ListOf(Nested(Payment), max_items=MAX_PAYMENTS + 1))
    records: tuple[HolderOfRecord, ...] = wire(
        ListOf(Nested(HolderOfRecord), max_items=10_000_000), default=()
    )


@dataclass(frozen=True, slots=True)
class SecuritiesGenesis(Record):
    """Securities as exported; each one's bank asset must be in the bank's genesis."""

    WHAT = "securities genesis"
    securities: tuple[SecurityState, ...] = wire(
        ListOf(Nested(SecurityState), max_items=100_000), default=()
    )

    def check(self) -> None:
        seen: set[str] = set()
        for state in self.securities:
            if state.security.isin in seen:
                raise ErrBadGenesis(f"securities genesis: {state.security.isin} is listed twice")
            seen.add(state.security.isin)
            if [p.index for p in state.payments] != list(range(state.security.payments)):
                raise ErrBadGenesis(
                    f"securities genesis: {state.security.isin} must list payments "
                    f"0..{state.security.payments - 1} in order"
                )
            security = state.security
            dates = [security.issue_date]
            if security.maturity_date:  # an equity has none
                dates.append(security.maturity_date)
            for p in state.payments:
                dates += [p.period_start, p.period_end, p.pay_date]
            bad = next((d for d in dates if parse_date(d) is None), None)
            if bad is not None:
                raise ErrBadGenesis(
                    f"securities genesis: {security.isin} has date {bad}, not a date from "
                    f"{MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}"
                )


class SecuritiesModule(KeeperModule[SecuritiesKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES

    def default_genesis(self) -> dict[str, Any]:
        return {}

    def validate_genesis(self, state: dict[str, Any]) -> None:
        parse_genesis(SecuritiesGenesis, state, ErrBadGenesis)

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        """Restore exported securities (the bank's genesis, earlier, holds their units)."""
        for entry in parse_genesis(SecuritiesGenesis, state, ErrBadGenesis).securities:
            records = tuple((r.payment, r.account, r.quantity) for r in entry.records)
            self.keeper.restore(ctx, entry.security, entry.payments, records)

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        states = []
        for found in self.keeper.all_securities(reader):
            payments = tuple(self.keeper.payments(reader, found.isin))
            records = tuple(
                HolderOfRecord(p.index, account, quantity)
                for p in payments
                for account, quantity in self.keeper.holders_of_record(reader, found.isin, p.index)
            )
            states.append(SecurityState(found, payments, records))
        return SecuritiesGenesis(tuple(states)).to_json() if states else {}

    def end_block(self, ctx: Context) -> None:
        self.keeper.process_due(ctx)

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [
            ("securities/payments-add-up", self._payments_add_up),
            ("securities/due-index", self._due_index),
        ]

    def _payments_add_up(self, reader: KVReader) -> str | None:
        """A paid payment: total = paid + remainder, total is the formula on the outstanding
        bonds, paid is the sum over the holders of record, who held exactly the outstanding."""
        for found in self.keeper.all_securities(reader):
            for payment in self.keeper.payments(reader, found.isin):
                if payment.status not in (PAID, RECORDED):
                    continue
                held = list(self.keeper.holders_of_record(reader, found.isin, payment.index))
                if sum(q for _, q in held) != payment.outstanding:
                    return f"{found.isin} payment {payment.index}: record != outstanding"
                if payment.status != PAID:
                    continue
                paid = sum(owed(found, payment, q) for _, q in held)
                total = owed(found, payment, payment.outstanding)
                if (payment.total, payment.paid) != (
                    total,
                    paid,
                ) or payment.remainder != total - paid:
                    return f"{found.isin} payment {payment.index}: amounts do not add up"
                if not 0 <= payment.remainder <= len(held):
                    return f"{found.isin} payment {payment.index}: remainder out of range"
        return None

    def _due_index(self, reader: KVReader) -> str | None:
        """Every due entry names a payment still waiting for that step."""
        for _time, isin, step in self.keeper.due(reader):
            payment = next(
                (p for p in self.keeper.payments(reader, isin) if p.index == step // 2), None
            )
            waiting = (SCHEDULED,) if step % 2 == 0 else (SCHEDULED, RECORDED)
            if payment is None or payment.status not in waiting:
                return f"due entry ({isin}, step {step}) names no waiting payment"
        return None


__all__ = ["ISIN", "NAME", "SecuritiesModule"]
