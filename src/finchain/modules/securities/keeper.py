"""The only code that reads or writes the securities module's keys (through its collections).

A security's units live in the bank (asset symbol = ISIN; the bank keeps balances
and supply); this keeper keeps the terms, the payment schedule, the holders of
record of each payment, and the due-time index end_block works from.

Payments (docs/finance/securities.md, "Rounding"): for a payment with accrual
fraction ``days / basis``, coupon rate ``r`` bps, face ``F`` and price ``P`` per bond:

- holder ``h`` holding ``q`` bonds at the record date gets
  ``floor(q × F × r × days / (10,000 × basis)) + q × P``;
- the issuer owes ``total = floor(N × F × r × days / (10,000 × basis)) + N × P`` for
  the ``N`` bonds outstanding at the record date;
- ``total - Σ holder payments`` (0 ≤ it < number of holders) goes to the security's
  remainder account.

The issuer pays all of it or nothing: if its spendable cash is short of the deliverable
shares (or its account is frozen), the payment is recorded as defaulted and nothing moves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

from finchain.codec import MAX_AMOUNT
from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.errors import FinchainError
from finchain.modules.bank.types import Asset
from finchain.modules.securities import events
from finchain.modules.securities.deps import AccountStatusView, BankKeeper
from finchain.modules.securities.errors import (
    ErrBadTerms,
    ErrCallAfterMaturity,
    ErrCallBeforeStart,
    ErrCallTooLate,
    ErrNotActive,
    ErrNotIssuer,
    ErrScheduleInPast,
    ErrSecurityExists,
    ErrUnknownAccount,
    ErrUnknownCashAsset,
    ErrUnknownPayment,
    ErrUnknownSecurity,
)
from finchain.modules.securities.keys import (
    DUE,
    PAY_STEP,
    PAYMENTS,
    RECORD,
    RECORD_STEP,
    SECURITIES,
)
from finchain.modules.securities.messages import payment_dates
from finchain.modules.securities.types import (
    ACTIVE,
    BOND,
    CALL,
    CALLED,
    CANCELLED,
    COUPON,
    DEFAULT,
    DEFAULTED,
    PAID,
    RECORDED,
    REDEEMED,
    REDEMPTION,
    SCHEDULED,
    Payment,
    Security,
    coupon_amount,
    day_count_fraction,
    parse_date,
    start_ns,
)


def _date(text: str) -> date:
    found = parse_date(text)
    if found is None:  # stored dates were checked on the way in
        raise ValueError(f"stored date {text!r} is not a date")
    return found


class SecuritiesView:
    """Read-only access on any reader."""

    def get(self, reader: KVReader, isin: str) -> Security | None:
        return SECURITIES.get(reader, isin)

    def require(self, reader: KVReader, isin: str) -> Security:
        found = SECURITIES.get(reader, isin)
        if found is None:
            raise ErrUnknownSecurity(f"no security {isin} is registered: check the ISIN")
        return found

    def all_securities(self, reader: KVReader) -> Iterator[Security]:
        return SECURITIES.values(reader)

    def payments(self, reader: KVReader, isin: str) -> Iterator[Payment]:
        """A security's payments in schedule order (a call, if any, last)."""
        return PAYMENTS.values(reader, prefix=(isin,))

    def payment(self, reader: KVReader, isin: str, index: int) -> Payment:
        found = PAYMENTS.get(reader, (isin, index))
        if found is None:
            raise ErrUnknownPayment(f"security {isin} has no payment {index}")
        return found

    def holders_of_record(
        self, reader: KVReader, isin: str, index: int
    ) -> Iterator[tuple[str, int]]:
        """(account, bonds held at the record date) of one payment, in account order."""
        for (_, account), quantity in RECORD.iterate(reader, prefix=((isin, index),)):
            yield account, quantity

    def all_records(self, reader: KVReader) -> Iterator[tuple[str, int, str, int]]:
        for ((isin, index), account), quantity in RECORD.iterate(reader):
            yield isin, index, account, quantity

    def due(self, reader: KVReader) -> Iterator[tuple[int, str, int]]:
        """(due time, ISIN, step) of everything end_block has still to do, earliest first."""
        for (time_ns, (isin, step)), _ in DUE.iterate(reader):
            yield time_ns, isin, step


def owed(security: Security, payment: Payment, quantity: int) -> int:
    """What ``quantity`` bonds of record receive from ``payment`` (rounded down)."""
    fraction = day_count_fraction(
        security.day_count, _date(payment.period_start), _date(payment.period_end)
    )
    return (
        coupon_amount(quantity, security.face_value, security.coupon_bps, fraction)
        + quantity * payment.price
    )


class SecuritiesKeeper(SecuritiesView):
    """Registration, issuance, calls, and the payments end_block makes when they fall due."""

    def __init__(self, bank: BankKeeper, accounts: AccountStatusView) -> None:
        self._bank = bank
        self._accounts = accounts

    # -- messages ------------------------------------------------------------------------------

    def register(
        self,
        ctx: Context,
        security: Security,
        coupon_dates: tuple[str, ...],
    ) -> None:
        """Create the bank asset (issuer as only minter and burner) and the payment schedule.

        ``security`` comes from a checked message (terms consistent); this adds the
        rules that need state: ISIN and symbol free, cash asset and remainder account
        known, every record date still ahead.
        """
        isin = security.isin
        if SECURITIES.has(ctx.store, isin) or self._bank.get_asset(ctx.store, isin) is not None:
            raise ErrSecurityExists(f"{isin} is already registered (or a bank asset is named so)")
        if self._bank.get_asset(ctx.store, security.cash_asset) is None:
            raise ErrUnknownCashAsset(
                f"cash asset {security.cash_asset} does not exist: name an existing bank asset"
            )
        self._require_receiver(ctx.store, security.remainder_account, "remainder account")
        schedule: list[Payment] = []
        if security.kind == BOND:
            dates = payment_dates(coupon_dates, security.maturity_date)
            start = _date(security.issue_date)
            for index, pay in enumerate(dates):
                last = index == len(dates) - 1
                schedule.append(
                    Payment(
                        index=index,
                        kind=REDEMPTION if last else COUPON,
                        period_start=start.isoformat(),
                        period_end=pay.isoformat(),
                        pay_date=pay.isoformat(),
                        record_time=start_ns(pay - timedelta(days=security.record_days)),
                        pay_time=start_ns(pay),
                        price=security.face_value if last else 0,
                        status=SCHEDULED,
                    )
                )
                start = pay
            if schedule and schedule[0].record_time <= ctx.time_ns:
                raise ErrScheduleInPast(
                    f"the first record date of {isin} has passed (block time is later): "
                    "register before it, or move the schedule"
                )
        stored = replace(security, payments=len(schedule), status=ACTIVE)
        self._bank.create_asset(
            ctx,
            Asset(
                isin, security.name, 0, 0, security.issuer, (security.issuer,), (security.issuer,)
            ),
        )
        SECURITIES.set(ctx, isin, stored)
        for payment in schedule:
            self._schedule(ctx, isin, payment)
        ctx.emit(events.registered(isin, security.kind, security.issuer, len(schedule)))

    def issue(self, ctx: Context, issuer: str, isin: str, to: str, amount: int) -> None:
        """Mint ``amount`` units to ``to``: the issuer only, while the security is active and
        before its final record date (bonds issued later would be burned unpaid)."""
        security = self._require_issuer(ctx.store, isin, issuer)
        if security.status not in (ACTIVE, DEFAULTED):
            raise ErrNotActive(f"{isin} is {security.status}: no more units can be issued")
        if security.payments:
            final = self.payment(ctx.store, isin, security.payments - 1)
            if final.record_time <= ctx.time_ns:
                raise ErrNotActive(f"{isin} is past its final record date: it cannot be issued")
        asset = self._bank.get_asset(ctx.store, isin)
        assert asset is not None  # created with the security
        self._bank.mint(ctx, issuer, to, asset, amount)
        ctx.emit(events.issued(isin, to, amount))

    def call(self, ctx: Context, caller: str, isin: str, call_date: str, price: int) -> None:
        """Announce an early redemption of the whole issue on ``call_date`` at ``price`` a bond.

        Payments due on or after the call date are cancelled; the call pays the coupon
        accrued since the previous payment date (or the issue date) plus ``price``, to the
        holders of record ``record_days`` before the call date, which must still be ahead.
        """
        security = self._require_issuer(ctx.store, isin, caller)
        if security.kind != BOND:
            raise ErrBadTerms(f"{isin} is an equity: only a bond can be called")
        if security.status not in (ACTIVE, DEFAULTED):
            raise ErrNotActive(f"{isin} is {security.status}: it cannot be called")
        when = _date(call_date)
        if when >= _date(security.maturity_date):
            raise ErrCallAfterMaturity(
                f"call date {call_date} is not before maturity {security.maturity_date}: "
                "the bond is redeemed at maturity anyway"
            )
        record_time = start_ns(when - timedelta(days=security.record_days))
        if record_time <= ctx.time_ns:
            raise ErrCallTooLate(
                f"a call on {call_date} has its record date {security.record_days} day(s) "
                "before it, which has passed: announce a later call date"
            )
        payments = list(self.payments(ctx.store, isin))
        start = _date(security.issue_date)
        for payment in payments:
            if payment.status != SCHEDULED:  # paid, recorded or defaulted: its period is over
                start = max(start, _date(payment.pay_date))
        if when <= start:
            raise ErrCallBeforeStart(
                f"call date {call_date} is not after {start.isoformat()} (the issue date or "
                "the last payment date): a call accrues from that date, so it must come later"
            )
        for payment in payments:
            pay = _date(payment.pay_date)
            if pay >= when and payment.status == SCHEDULED:
                self._unschedule(ctx, isin, payment)
                PAYMENTS.set(ctx, (isin, payment.index), replace(payment, status=CANCELLED))
            elif pay < when:
                start = max(start, pay)
        index = security.payments
        self._schedule(
            ctx,
            isin,
            Payment(
                index=index,
                kind=CALL,
                period_start=start.isoformat(),
                period_end=when.isoformat(),
                pay_date=when.isoformat(),
                record_time=record_time,
                pay_time=start_ns(when),
                price=price,
                status=SCHEDULED,
            ),
        )
        SECURITIES.set(ctx, isin, replace(security, payments=index + 1, status=CALLED))
        ctx.emit(events.called(isin, call_date, price, index))

    # -- end_block ------------------------------------------------------------------------------

    def process_due(self, ctx: Context) -> None:
        """Everything due at or before this block's time, in (time, ISIN, step) order.

        Reads the due index from its front and stops at the first entry not yet due,
        so a block's work is proportional to what falls due in it.
        """
        due = []
        for time_ns, isin, step in self.due(ctx.store):
            if time_ns > ctx.time_ns:
                break
            due.append((time_ns, isin, step))
        for time_ns, isin, step in due:
            DUE.remove(ctx, (time_ns, (isin, step)))
            index, which = divmod(step, 2)
            if which == RECORD_STEP:
                self._take_record(ctx, isin, index)
            else:
                self._pay(ctx, isin, index)

    def _take_record(self, ctx: Context, isin: str, index: int) -> None:
        """Snapshot every holder's balance (frozen parts included) from the bank's index."""
        payment = self.payment(ctx.store, isin, index)
        outstanding = holders = 0
        for account, balance, _frozen in self._bank.holders(ctx.store, isin):
            RECORD.set(ctx, ((isin, index), account), balance)
            outstanding += balance
            holders += 1
        PAYMENTS.set(ctx, (isin, index), replace(payment, status=RECORDED, outstanding=outstanding))
        ctx.emit(events.recorded(isin, index, holders, outstanding))

    def _pay(self, ctx: Context, isin: str, index: int) -> None:
        """Pay the holders of record from the issuer, all or nothing; retire at the end.

        Shares that cannot be delivered (holder closed or unknown, or its cash balance
        would pass 2^127 - 1) stay with the issuer and are not part of what it must have.
        A frozen issuer may not pay: a payment that would move its cash is a default.
        """
        security = self.require(ctx.store, isin)
        payment = self.payment(ctx.store, isin, index)
        shares = [
            (a, owed(security, payment, q))
            for a, q in self.holders_of_record(ctx.store, isin, index)
        ]
        total = owed(security, payment, payment.outstanding)
        remainder = total - sum(amount for _, amount in shares)
        issuer, cash = security.issuer, security.cash_asset
        plan = self._plan(ctx.store, security, [*shares, (security.remainder_account, remainder)])
        needed = sum(amount for _, amount, why in plan if not why)
        available = self._bank.spendable(ctx.store, issuer, cash)
        reason = ""
        if total > MAX_AMOUNT:  # the ledger holds no larger amount
            reason = events.TOO_LARGE
        elif needed > 0 and self._accounts.status(ctx.store, issuer) is AccountStatus.FROZEN:
            reason = events.ISSUER_FROZEN
        elif needed > available:
            reason = events.SHORT_OF_CASH
        else:
            branch, write = ctx.cached()
            try:
                self._pay_all(branch, security, payment, plan, total, remainder)
            except FinchainError:  # a bank rule refused a transfer: a default, never a halt
                reason = events.REFUSED
            else:
                write()
                return
        shown = min(total, MAX_AMOUNT)
        PAYMENTS.set(ctx, (isin, index), replace(payment, status=DEFAULT, total=shown))
        SECURITIES.set(ctx, isin, replace(security, status=DEFAULTED))
        ctx.emit(events.defaulted(isin, index, payment.kind, needed, available, reason))

    def _plan(
        self, reader: KVReader, security: Security, shares: list[tuple[str, int]]
    ) -> list[tuple[str, int, str]]:
        """``(account, amount, why)`` for each share to move: ``why`` empty for a transfer
        from the issuer, else why it stays with the issuer. Shares of 0 and the issuer's
        own are left out (nothing to move)."""
        plan: list[tuple[str, int, str]] = []
        incoming: dict[str, int] = {}
        for account, amount in shares:
            if amount <= 0 or account == security.issuer:
                continue
            status = self._accounts.status(reader, account)
            if status is None or status is AccountStatus.CLOSED:
                plan.append((account, amount, events.HOLDER_CLOSED))
                continue
            after = incoming.get(account, 0) + amount
            if self._bank.balance(reader, account, security.cash_asset) + after > MAX_AMOUNT:
                plan.append((account, amount, events.HOLDER_OVERFLOW))
                continue
            incoming[account] = after
            plan.append((account, amount, ""))
        return plan

    def _pay_all(
        self,
        ctx: Context,
        security: Security,
        payment: Payment,
        plan: list[tuple[str, int, str]],
        total: int,
        remainder: int,
    ) -> None:
        """The transfers of one payment (in a branch), then the retirement of a final one."""
        isin, index = security.isin, payment.index
        for account, amount, why in plan:
            if why:
                ctx.emit(events.undelivered(isin, index, account, amount, why))
            else:
                self._bank.transfer(ctx, security.issuer, account, security.cash_asset, amount)
        final = payment.kind in (REDEMPTION, CALL)
        if final:
            self._retire(ctx, security)
        SECURITIES.set(ctx, isin, replace(security, status=REDEEMED if final else security.status))
        paid = total - remainder
        PAYMENTS.set(
            ctx,
            (isin, index),
            replace(payment, status=PAID, total=total, paid=paid, remainder=remainder),
        )
        ctx.emit(events.paid(isin, index, payment.kind, total, paid, remainder))

    def _retire(self, ctx: Context, security: Security) -> None:
        """Burn the bonds: every holder's spendable units go back to the issuer, which burns
        them. Units frozen by another module (an escrow, a pending settlement) and every
        unit of an account frozen by a regulator or court (it may not send) stay where
        they are; the event says how many remain."""
        isin, issuer = security.isin, security.issuer
        for account, balance, frozen in list(self._bank.holders(ctx.store, isin)):
            if account == issuer or balance <= frozen:
                continue
            if self._accounts.status(ctx.store, account) is AccountStatus.FROZEN:
                continue
            self._bank.transfer(ctx, account, issuer, isin, balance - frozen)
        burnable = self._bank.spendable(ctx.store, issuer, isin)
        if burnable:
            asset = self._bank.get_asset(ctx.store, isin)
            assert asset is not None
            self._bank.burn(ctx, issuer, asset, burnable)
        remaining = self._bank.supply(ctx.store, isin)
        ctx.emit(events.retired(isin, REDEEMED, burnable, remaining))

    # -- helpers --------------------------------------------------------------------------------

    def _schedule(self, ctx: Context, isin: str, payment: Payment) -> None:
        PAYMENTS.set(ctx, (isin, payment.index), payment)
        DUE.set(ctx, (payment.record_time, (isin, 2 * payment.index + RECORD_STEP)), b"")
        DUE.set(ctx, (payment.pay_time, (isin, 2 * payment.index + PAY_STEP)), b"")

    def _unschedule(self, ctx: Context, isin: str, payment: Payment) -> None:
        DUE.remove(ctx, (payment.record_time, (isin, 2 * payment.index + RECORD_STEP)))
        DUE.remove(ctx, (payment.pay_time, (isin, 2 * payment.index + PAY_STEP)))

    def _require_issuer(self, reader: KVReader, isin: str, signer: str) -> Security:
        security = self.require(reader, isin)
        if signer != security.issuer:
            raise ErrNotIssuer(f"only {isin}'s issuer {security.issuer} may do this")
        return security

    def _require_receiver(self, reader: KVReader, account: str, what: str) -> None:
        status = self._accounts.status(reader, account)
        if status is None or status is AccountStatus.CLOSED:
            raise ErrUnknownAccount(f"{what} {account} does not exist or is closed")

    # -- genesis --------------------------------------------------------------------------------

    def restore(
        self,
        ctx: Context,
        security: Security,
        payments: tuple[Payment, ...],
        records: tuple[tuple[int, str, int], ...],
    ) -> None:
        """Genesis import: write a security's state as exported, and its due entries."""
        SECURITIES.set(ctx, security.isin, security)
        for payment in payments:
            PAYMENTS.set(ctx, (security.isin, payment.index), payment)
            if payment.status == SCHEDULED:
                DUE.set(ctx, (payment.record_time, (security.isin, 2 * payment.index)), b"")
            if payment.status in (SCHEDULED, RECORDED):
                DUE.set(ctx, (payment.pay_time, (security.isin, 2 * payment.index + 1)), b"")
        for index, account, quantity in records:
            RECORD.set(ctx, ((security.isin, index), account), quantity)
