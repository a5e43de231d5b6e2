"""The only code that reads or writes the lending module's state (``keys.py``).

Every write of a loan goes through ``_save``, which keeps the wake-up index in
step, so ``end_block`` finds exactly the loans with something due. Cash moves
through the bank keeper (``deps.Bank``). Collateral is pledged in escrow
(``deps.CollateralEscrow``): each pledge (the acceptance, each top-up) is an
escrow from the borrower to the lender that only this module settles
(``controller="lending"``, no condition, no expiry). The amount stays in the
borrower's account, frozen by the escrow, until the loan is repaid (every
escrow refunded) or defaults (every escrow released to the lender).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from itertools import pairwise

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.errors import FinchainError
from finchain.modules.escrow.types import NO_CONDITIONS, Escrow
from finchain.modules.lending import events
from finchain.modules.lending.deps import Bank, CollateralEscrow
from finchain.modules.lending.errors import (
    ErrBadPrice,
    ErrBadSchedule,
    ErrBadTerms,
    ErrInsufficientCollateral,
    ErrLoanState,
    ErrLtvAboveLimit,
    ErrNoPrice,
    ErrNotBorrower,
    ErrNotLender,
    ErrNotOracle,
    ErrOpenLoans,
    ErrRateOutOfRange,
    ErrRepayTooMuch,
    ErrStalePrice,
    ErrTooManyPledges,
    ErrUnknownLoan,
)
from finchain.modules.lending.keys import LOANS, NEXT_ID, ORACLE, PRICES, WAKE
from finchain.modules.lending.types import (
    ACTIVE,
    BPS,
    CANCELLED,
    DEFAULTED,
    INTEREST_DENOM,
    LAPSED,
    MAX_COLLATERAL_ESCROWS,
    MAX_PERIOD_NS,
    MAX_RATE_BPS,
    OFFERED,
    REPAID,
    Instalment,
    Loan,
    OracleConfig,
    Price,
    ltv_above,
    pair_of,
    round_half_up,
    scheduled_principal,
)

_SECOND_NS = 10**9
CONTROLLER = "lending"
"""The ``controller`` of the collateral escrows: transactions cannot settle them."""


class LendingView:
    """Read-only access on any reader."""

    _escrow: CollateralEscrow

    def get(self, reader: KVReader, loan_id: int) -> Loan | None:
        return LOANS.get(reader, loan_id)

    def require(self, reader: KVReader, loan_id: int) -> Loan:
        found = LOANS.get(reader, loan_id)
        if found is None:
            raise ErrUnknownLoan(f"no loan has id {loan_id}: check the id (lending/loans lists)")
        return found

    def loan_ids_of(self, reader: KVReader, account: str) -> list[int]:
        """Ids of the loans where ``account`` is lender or borrower, in order (index reads)."""
        ids = set(LOANS.by("lender", reader, account)) | set(LOANS.by("borrower", reader, account))
        return sorted(ids)

    def loans_of(self, reader: KVReader, account: str) -> list[Loan]:
        """Loans where ``account`` is lender or borrower, by id."""
        return [self.require(reader, loan_id) for loan_id in self.loan_ids_of(reader, account)]

    def loans(self, reader: KVReader) -> Iterator[Loan]:
        return LOANS.values(reader)

    def price(self, reader: KVReader, asset: str, quote: str) -> Price | None:
        return PRICES.get(reader, pair_of(asset, quote))

    def oracle(self, reader: KVReader) -> OracleConfig | None:
        return ORACLE.get(reader)

    def prices(self, reader: KVReader) -> Iterator[Price]:
        return PRICES.values(reader)

    def next_id(self, reader: KVReader) -> int:
        return NEXT_ID.peek(reader)

    def wake_entries(self, reader: KVReader) -> Iterator[tuple[int, int]]:
        """``(time, loan id)`` of the wake-up index, in order (for invariants)."""
        return WAKE.keys(reader)

    def collateral_escrow(self, reader: KVReader, escrow_id: int) -> Escrow | None:
        """One of a loan's collateral escrows (for invariants and queries)."""
        return self._escrow.get(reader, escrow_id)

    def escrow_locked(self, reader: KVReader, account: str, asset: str) -> int:
        """How much of the holding open escrows (lending's and others') hold."""
        return self._escrow.locked(reader, account, asset)


class LendingKeeper(LendingView):
    """Offers, originates, collects, revalues and closes loans.

    Parameters:
        bank: moves cash.
        escrow: locks, refunds and releases the collateral.
    """

    def __init__(self, bank: Bank, escrow: CollateralEscrow) -> None:
        self._bank = bank
        self._escrow = escrow

    def import_state(
        self,
        ctx: Context,
        next_id: int,
        oracle: OracleConfig | None,
        prices: tuple[Price, ...],
        loans: tuple[Loan, ...],
    ) -> None:
        """Genesis: state exported by another chain (``LendingGenesis``); writes nothing
        for the default."""
        if next_id != NEXT_ID.peek(ctx.store):
            NEXT_ID.set(ctx, next_id)
        if oracle is not None:
            ORACLE.set(ctx, oracle)
        for price in prices:
            PRICES.set(ctx, pair_of(price.asset, price.quote), price)
        for loan in loans:
            self._save(ctx, loan)

    # -- origination ---------------------------------------------------------------------------

    def offer(
        self,
        ctx: Context,
        lender: str,
        borrower: str,
        asset: str,
        principal: int,
        rate_bps: int,
        schedule: str,
        due_times: tuple[int, ...],
        collateral_asset: str,
        collateral: int,
        max_ltv_bps: int,
        margin_ltv_bps: int,
        margin_cure_s: int,
        grace_s: int,
    ) -> Loan:
        """Record the lender's offer (nothing moves until the borrower accepts)."""
        if not 0 <= rate_bps <= MAX_RATE_BPS:
            raise ErrRateOutOfRange(
                f"rate {rate_bps} bps is out of range: use 0 to {MAX_RATE_BPS} bps a year"
            )
        if not due_times:
            raise ErrBadSchedule("the schedule needs at least one due time")
        if due_times[0] <= ctx.time_ns:
            raise ErrBadSchedule(
                f"the first due time {due_times[0]} is not after the block time {ctx.time_ns}"
            )
        for earlier, later in pairwise(due_times):
            if later <= earlier:
                raise ErrBadSchedule(f"due times must strictly increase: {later} follows {earlier}")
        if lender == borrower:
            raise ErrBadTerms("lender and borrower must be different accounts")
        if asset == collateral_asset:
            raise ErrBadTerms("the collateral must be another asset than the loan's cash asset")
        for symbol in (asset, collateral_asset):
            if self._bank.get_asset(ctx.store, symbol) is None:
                raise ErrBadTerms(f"asset {symbol} does not exist: check the symbol")
        if not 0 < max_ltv_bps < margin_ltv_bps <= BPS:
            raise ErrBadTerms(
                "loan-to-value limits must satisfy 0 < max_ltv_bps < margin_ltv_bps <= 10000 "
                f"(got {max_ltv_bps} and {margin_ltv_bps})"
            )
        for name, seconds in (("margin_cure_s", margin_cure_s), ("grace_s", grace_s)):
            if seconds * _SECOND_NS > MAX_PERIOD_NS:
                raise ErrBadTerms(f"{name} is longer than 10 years")
        loan = Loan(
            id=NEXT_ID.next(ctx),
            lender=lender,
            borrower=borrower,
            asset=asset,
            principal=principal,
            rate_bps=rate_bps,
            schedule=schedule,
            collateral_asset=collateral_asset,
            collateral=collateral,
            max_ltv_bps=max_ltv_bps,
            margin_ltv_bps=margin_ltv_bps,
            margin_cure_ns=margin_cure_s * _SECOND_NS,
            grace_ns=grace_s * _SECOND_NS,
            status=OFFERED,
            offered_height=ctx.height,
            instalments=tuple(Instalment(t) for t in due_times),
        )
        self._save(ctx, loan)
        ctx.emit(
            events.loan(
                events.LOAN_OFFERED,
                loan.id,
                ("lender", lender),
                ("borrower", borrower),
                ("asset", asset),
                ("principal", str(principal)),
                ("collateral_asset", collateral_asset),
                ("collateral", str(collateral)),
            )
        )
        return loan

    def cancel(self, ctx: Context, lender: str, loan_id: int) -> None:
        """The lender withdraws an offer not yet accepted."""
        loan = self.require(ctx.store, loan_id)
        if loan.lender != lender:
            raise ErrNotLender(f"only the lender {loan.lender} may withdraw loan {loan_id}")
        self._require_status(loan, OFFERED, "withdraw")
        self._save(ctx, replace(loan, status=CANCELLED, closed_height=ctx.height))
        ctx.emit(events.loan(events.LOAN_CANCELLED, loan_id))

    def accept(self, ctx: Context, borrower: str, loan_id: int) -> Loan:
        """Pledge the collateral in escrow and pay the principal to the borrower, both or
        neither (the transaction is all or nothing)."""
        loan = self.require(ctx.store, loan_id)
        if loan.borrower != borrower:
            raise ErrNotBorrower(f"loan {loan_id} was offered to {loan.borrower}, not {borrower}")
        self._require_status(loan, OFFERED, "accept")
        price = self._fresh_price(ctx, loan)
        if ltv_above(loan.principal, loan.collateral, price, loan.max_ltv_bps):
            raise ErrLtvAboveLimit(
                f"loan {loan_id}: principal {loan.principal} against {loan.collateral} "
                f"{loan.collateral_asset} at {price.numerator}/{price.denominator} is above the "
                f"initial limit of {loan.max_ltv_bps} bps: the lender must offer more "
                "collateral or less principal"
            )
        held = self._bank.spendable(ctx.store, borrower, loan.collateral_asset)
        if held < loan.collateral:
            raise ErrInsufficientCollateral(
                f"loan {loan_id} needs {loan.collateral} {loan.collateral_asset} of collateral; "
                f"{borrower} can lock {held}"
            )
        pledge = self._pledge(ctx, loan, loan.collateral)
        self._bank.transfer(ctx, loan.lender, borrower, loan.asset, loan.principal)
        active = replace(
            loan,
            collateral_escrows=(pledge.id,),
            status=ACTIVE,
            start_time=ctx.time_ns,
            outstanding=loan.principal,
            accrued_to=ctx.time_ns,
        )
        self._save(ctx, active)
        ctx.emit(events.loan(events.LOAN_ORIGINATED, loan_id, ("start_time", str(ctx.time_ns))))
        return active

    # -- the borrower's actions ----------------------------------------------------------------

    def repay(self, ctx: Context, borrower: str, loan_id: int, asset: str, amount: int) -> None:
        """Pay ``amount`` now: arrears (oldest first, interest before principal), then
        interest accrued to this block (settled, rounded half up), then principal.
        Prepaid principal shortens the schedule from its end."""
        loan = self._borrowers_active(ctx, borrower, loan_id, "repay")
        if asset != loan.asset:
            raise ErrBadTerms(f"loan {loan_id} is repaid in {loan.asset}, not {asset}")
        loan = self._settle_interest(loan.accrue(ctx.time_ns))
        owed = loan.owed_at(ctx.time_ns)
        if amount > owed:
            raise ErrRepayTooMuch(
                f"loan {loan_id} owes {owed} {loan.asset} now; repay at most that amount"
            )
        self._bank.transfer(ctx, borrower, loan.lender, loan.asset, amount)
        loan = _apply_payment(loan, amount)
        ctx.emit(
            events.loan(
                events.REPAYMENT, loan_id, ("amount", str(amount)), ("owed", str(owed - amount))
            )
        )
        loan = self._after_payment(ctx, loan)
        self._save(ctx, self._check_cure(ctx, loan))

    def add_collateral(self, ctx: Context, borrower: str, loan_id: int, amount: int) -> None:
        """Pledge ``amount`` more collateral in a new escrow (to cure a margin call, or
        ahead of one); the loan-to-value counts the total of its escrows."""
        loan = self._borrowers_active(ctx, borrower, loan_id, "add collateral to")
        if len(loan.collateral_escrows) >= MAX_COLLATERAL_ESCROWS:
            raise ErrTooManyPledges(
                f"loan {loan_id} already holds {MAX_COLLATERAL_ESCROWS} collateral escrows, "
                "the most a loan may: cure by repaying part of the loan instead"
            )
        held = self._bank.spendable(ctx.store, borrower, loan.collateral_asset)
        if held < amount:
            raise ErrInsufficientCollateral(
                f"{borrower} can lock {held} {loan.collateral_asset}, not {amount}"
            )
        pledge = self._pledge(ctx, loan, amount)
        loan = replace(
            loan,
            collateral=loan.collateral + amount,
            collateral_escrows=(*loan.collateral_escrows, pledge.id),
        )
        ctx.emit(
            events.loan(
                events.COLLATERAL_ADDED,
                loan_id,
                ("amount", str(amount)),
                ("total", str(loan.collateral)),
                ("escrow_id", str(pledge.id)),
            )
        )
        self._save(ctx, self._check_cure(ctx, loan))

    # -- the oracle ----------------------------------------------------------------------------

    def appoint_oracle(self, ctx: Context, oracle: str, max_age_s: int) -> None:
        """Governance names the account whose prices count (replacing any earlier one)."""
        max_age_ns = max_age_s * _SECOND_NS
        if not 0 < max_age_ns <= MAX_PERIOD_NS:
            raise ErrBadTerms("max_age_s must be 1 second to 10 years")
        ORACLE.set(ctx, OracleConfig(oracle, max_age_ns))
        ctx.emit(events.oracle_appointed(oracle, max_age_ns))

    def post_price(
        self,
        ctx: Context,
        poster: str,
        asset: str,
        quote: str,
        numerator: int,
        denominator: int,
        observed_at: int,
    ) -> None:
        """Record a price and revalue every active loan on that pair: a loan whose
        loan-to-value goes above its margin-call threshold gets a margin call; one in a
        margin call whose loan-to-value is back within its initial limit is cured."""
        config = ORACLE.get(ctx.store)
        if config is None or config.oracle != poster:
            shown = "no oracle is appointed" if config is None else f"the oracle is {config.oracle}"
            raise ErrNotOracle(f"{poster} may not post prices: {shown}")
        if numerator == 0 or denominator == 0:
            raise ErrBadPrice("numerator and denominator must both be positive")
        if asset == quote:
            raise ErrBadPrice("a price is of one asset in another")
        if observed_at > ctx.time_ns:
            raise ErrBadPrice(f"observed_at {observed_at} is after the block time {ctx.time_ns}")
        if observed_at < ctx.time_ns - config.max_age_ns:
            raise ErrStalePrice(
                f"observed_at {observed_at} is more than {config.max_age_ns} ns before the "
                f"block time {ctx.time_ns}: post a fresh observation"
            )
        pair = pair_of(asset, quote)
        previous = PRICES.get(ctx.store, pair)
        if previous is not None and observed_at < previous.observed_at:
            raise ErrStalePrice(
                f"observed_at {observed_at} is older than the current price's "
                f"{previous.observed_at}"
            )
        PRICES.set(ctx, pair, Price(asset, quote, numerator, denominator, observed_at, ctx.height))
        ctx.emit(events.price_posted(asset, quote, numerator, denominator, observed_at))
        for loan_id in list(LOANS.by("pair", ctx.store, pair)):
            loan = self.require(ctx.store, loan_id)
            self._save(ctx, self._revalue(ctx, loan))

    # -- due work ------------------------------------------------------------------------------

    def end_block(self, ctx: Context) -> None:
        """Act on every loan whose wake-up time has come (reads the index up to now only)."""
        due: list[int] = []
        for (when, loan_id), _ in WAKE.iterate(ctx.store):
            if when > ctx.time_ns:
                break
            due.append(loan_id)
        for loan_id in due:
            self._save(ctx, self._wake(ctx, self.require(ctx.store, loan_id)))

    def assert_can_close(self, ctx: Context, account: str) -> None:
        """A close guard for the accounts module: a party to an open loan, or to a defaulted
        one whose collateral still waits to be released to the lender, cannot close."""
        for loan in self.loans_of(ctx.store, account):
            if loan.is_open:
                raise ErrOpenLoans(
                    f"account {account} is a party to loan {loan.id} ({loan.status}): "
                    "repay, withdraw or wait for it to close first"
                )
            if loan.release_pending:
                raise ErrOpenLoans(
                    f"loan {loan.id} defaulted and its collateral is still to be released to "
                    f"{loan.lender}: wait until the borrower's account is no longer frozen"
                )

    # -- helpers -------------------------------------------------------------------------------

    def _wake(self, ctx: Context, loan: Loan) -> Loan:
        """Everything due by the block time, in time order; at one instant an instalment
        comes first, then the grace deadline, then the margin-call deadline."""
        if loan.release_pending:
            return self._release_collateral(ctx, loan)
        if loan.status == OFFERED:
            ctx.emit(events.loan(events.LOAN_LAPSED, loan.id))
            return replace(loan, status=LAPSED, closed_height=ctx.height)
        while loan.status == ACTIVE:
            when = loan.wake()
            if when is None or when > ctx.time_ns:
                break
            if when == loan.next_due():
                loan = self._fall_due(ctx, loan, when)
            elif when == loan.grace_deadline:
                loan = self._collect(ctx, loan, when, final=True)
            else:
                ctx.emit(events.loan(events.LOAN_DEFAULTED, loan.id, ("reason", "margin_call")))
                loan = self._default(ctx, loan)
        return loan

    def _fall_due(self, ctx: Context, loan: Loan, due_time: int) -> Loan:
        """Fix instalment ``fixed``'s amounts at its due time, then collect what is owed."""
        loan = loan.accrue(due_time)
        index = loan.fixed
        count = len(loan.instalments)
        remaining = loan.unfixed_principal()
        planned = scheduled_principal(loan.schedule, loan.principal, count, index)
        principal_due = remaining if index == count - 1 else min(planned, remaining)
        interest = loan.interest_carried + round_half_up(loan.accrued_num, INTEREST_DENOM)
        fixed = replace(loan.instalments[index], principal_due=principal_due, interest_due=interest)
        loan = replace(
            loan,
            instalments=(*loan.instalments[:index], fixed, *loan.instalments[index + 1 :]),
            fixed=index + 1,
            accrued_num=0,
            interest_carried=0,
        )
        return self._collect(ctx, loan, due_time, final=False)

    def _collect(self, ctx: Context, loan: Loan, when: int, *, final: bool) -> Loan:
        """Take all arrears from the borrower's spendable cash, or none of them.

        Not enough cash: at a due date the grace period starts (if not running);
        at the grace deadline (``final``) the loan defaults.
        """
        owed = loan.arrears()
        if owed:
            branch, write = ctx.cached()
            try:
                self._bank.transfer(branch, loan.borrower, loan.lender, loan.asset, owed)
            except FinchainError:
                if final:
                    ctx.emit(events.loan(events.LOAN_DEFAULTED, loan.id, ("reason", "arrears")))
                    return self._default(ctx, loan)
                ctx.emit(events.loan(events.INSTALMENT_MISSED, loan.id, ("amount", str(owed))))
                if not loan.grace_deadline:
                    return replace(loan, grace_deadline=when + loan.grace_ns)
                return loan
            write()
            loan = _apply_payment(loan, owed)
            ctx.emit(events.loan(events.INSTALMENT_PAID, loan.id, ("amount", str(owed))))
        return self._after_payment(ctx, loan)

    def _after_payment(self, ctx: Context, loan: Loan) -> Loan:
        """Arrears cleared: the grace period ends. Nothing owed: repaid, every collateral
        escrow refunded to the borrower."""
        if loan.grace_deadline and not loan.arrears():
            loan = replace(loan, grace_deadline=0)
            ctx.emit(events.loan(events.ARREARS_CURED, loan.id))
        if loan.owed_at(loan.accrued_to) == 0:
            for escrow_id in loan.collateral_escrows:
                self._escrow.refund_controlled(ctx, escrow_id, CONTROLLER)
            ctx.emit(events.loan(events.LOAN_REPAID, loan.id))
            return replace(
                loan, status=REPAID, grace_deadline=0, margin_deadline=0, closed_height=ctx.height
            )
        return loan

    def _default(self, ctx: Context, loan: Loan) -> Loan:
        """The loan closes as defaulted and its collateral escrows are released to the
        lender (or as soon as the borrower's account is no longer frozen)."""
        defaulted = replace(
            loan, status=DEFAULTED, grace_deadline=0, margin_deadline=0, closed_height=ctx.height
        )
        return self._release_collateral(ctx, defaulted)

    def _release_collateral(self, ctx: Context, loan: Loan) -> Loan:
        """Release every still-open collateral escrow of a defaulted loan to the lender,
        each all or nothing. One the escrow refuses (the borrower's account is frozen:
        ``escrow:22``) stays locked for the lender and is retried in the next block;
        ``collateral_release_blocked`` is emitted when that first happens."""
        blocked = ""
        for escrow_id in loan.collateral_escrows:
            escrow = self._escrow.get(ctx.store, escrow_id)
            if escrow is None or not escrow.is_open:
                continue
            branch, write = ctx.cached()
            try:
                self._escrow.release_controlled(branch, escrow_id, CONTROLLER)
            except FinchainError as exc:
                blocked = blocked or exc.message
                continue
            write()
        if blocked and not loan.release_pending:
            ctx.emit(events.loan(events.RELEASE_BLOCKED, loan.id, ("reason", blocked)))
        elif not blocked and loan.release_pending:
            ctx.emit(events.loan(events.COLLATERAL_RELEASED, loan.id))
        return replace(loan, release_pending=bool(blocked))

    def _pledge(self, ctx: Context, loan: Loan, amount: int) -> Escrow:
        """Lock ``amount`` of the borrower's collateral in an escrow for the lender."""
        return self._escrow.create(
            ctx,
            loan.borrower,
            loan.lender,
            loan.collateral_asset,
            amount,
            NO_CONDITIONS,
            reference=f"loan {loan.id}",
            controller=CONTROLLER,
        )

    def _revalue(self, ctx: Context, loan: Loan) -> Loan:
        """A new price: open a margin call above the threshold, or cure one."""
        if loan.margin_deadline:
            return self._check_cure(ctx, loan)
        price = self.price(ctx.store, loan.collateral_asset, loan.asset)
        if price is None:
            return loan
        owed = loan.owed_at(ctx.time_ns)
        if not ltv_above(owed, loan.collateral, price, loan.margin_ltv_bps):
            return loan
        deadline = ctx.time_ns + loan.margin_cure_ns
        ctx.emit(
            events.loan(
                events.MARGIN_CALL,
                loan.id,
                ("owed", str(owed)),
                ("collateral", str(loan.collateral)),
                ("deadline", str(deadline)),
            )
        )
        return replace(loan, margin_deadline=deadline)

    def _check_cure(self, ctx: Context, loan: Loan) -> Loan:
        """An open margin call ends once loan-to-value is back within the initial limit."""
        if loan.status != ACTIVE or not loan.margin_deadline:
            return loan
        price = self.price(ctx.store, loan.collateral_asset, loan.asset)
        if price is None:
            return loan
        if ltv_above(loan.owed_at(ctx.time_ns), loan.collateral, price, loan.max_ltv_bps):
            return loan
        ctx.emit(events.loan(events.MARGIN_CALL_CURED, loan.id))
        return replace(loan, margin_deadline=0)

    def _settle_interest(self, loan: Loan) -> Loan:
        """Round the interest accrued so far into ``interest_carried`` (an early repayment)."""
        settled = round_half_up(loan.accrued_num, INTEREST_DENOM)
        return replace(loan, accrued_num=0, interest_carried=loan.interest_carried + settled)

    def _fresh_price(self, ctx: Context, loan: Loan) -> Price:
        price = self.price(ctx.store, loan.collateral_asset, loan.asset)
        if price is None:
            raise ErrNoPrice(
                f"no price of {loan.collateral_asset} in {loan.asset} is posted: the oracle "
                "must post one before the loan can be accepted"
            )
        config = ORACLE.get(ctx.store)
        max_age = 0 if config is None else config.max_age_ns
        if price.observed_at < ctx.time_ns - max_age:
            raise ErrStalePrice(
                f"the price of {loan.collateral_asset} in {loan.asset} was observed at "
                f"{price.observed_at}, more than {max_age} ns ago: wait for a fresh one"
            )
        return price

    def _borrowers_active(self, ctx: Context, borrower: str, loan_id: int, what: str) -> Loan:
        loan = self.require(ctx.store, loan_id)
        if loan.borrower != borrower:
            raise ErrNotBorrower(f"only the borrower {loan.borrower} may {what} loan {loan_id}")
        self._require_status(loan, ACTIVE, what)
        return loan

    @staticmethod
    def _require_status(loan: Loan, status: str, what: str) -> None:
        if loan.status != status:
            raise ErrLoanState(f"cannot {what} loan {loan.id}: it is {loan.status}, not {status}")

    def _save(self, ctx: Context, loan: Loan) -> None:
        """Write the loan and keep its wake-up entry in step."""
        old = LOANS.get(ctx.store, loan.id)
        before = None if old is None else old.wake()
        after = loan.wake()
        if before != after:
            if before is not None:
                WAKE.remove(ctx, (before, loan.id))
            if after is not None:
                WAKE.set(ctx, (after, loan.id), b"")
        LOANS.set(ctx, loan.id, loan)


def _apply_payment(loan: Loan, amount: int) -> Loan:
    """Allocate ``amount`` (at most what is owed): fallen-due instalments oldest first,
    interest before principal; then carried interest; then principal not yet due."""
    left = amount
    paid_principal = 0
    instalments = list(loan.instalments)
    for index in range(loan.fixed):
        item = instalments[index]
        interest = min(left, item.interest_due - item.interest_paid)
        left -= interest
        principal = min(left, item.principal_due - item.principal_paid)
        left -= principal
        paid_principal += principal
        instalments[index] = replace(
            item,
            interest_paid=item.interest_paid + interest,
            principal_paid=item.principal_paid + principal,
        )
    carried = min(left, loan.interest_carried)
    left -= carried
    paid_principal += left
    return replace(
        loan,
        instalments=tuple(instalments),
        interest_carried=loan.interest_carried - carried,
        outstanding=loan.outstanding - paid_principal,
    )
