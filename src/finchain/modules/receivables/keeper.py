"""The only code that reads or writes the receivables module's state (``keys.py``).

Every change to an invoice goes through ``_save``, which also keeps the
maturity schedule (``DUE``) in step with the status: an invoice is scheduled
exactly while it is confirmed and unpaid. Money moves only through the bank
keeper's ``transfer``, so it carries the bank's events and rules (spendable
balance only: a frozen amount is never taken).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.crypto import get_suite
from finchain.errors import FinchainError
from finchain.modules.receivables import events
from finchain.modules.receivables.deps import AccountStatusView, CashMover
from finchain.modules.receivables.errors import (
    ErrAlreadyConfirmed,
    ErrAlreadyFinanced,
    ErrAlreadyPaid,
    ErrBuyerFrozen,
    ErrDocumentRegistered,
    ErrHolderClosed,
    ErrInvalidParty,
    ErrInvoiceNotFound,
    ErrMatured,
    ErrMaturityPassed,
    ErrNoOffer,
    ErrNotBuyer,
    ErrNotConfirmed,
    ErrNotHolder,
    ErrNotOverdue,
    ErrOpenInvoices,
    ErrPriceAboveFace,
    ErrReferenceUsed,
    ErrTermsMismatch,
    ErrWrongHashAlg,
)
from finchain.modules.receivables.keys import DUE, INVOICES, NEXT_ID
from finchain.modules.receivables.types import CONFIRMED, OVERDUE, PAID, REGISTERED, Invoice

#: How a payment came about (the ``how`` attribute of ``invoice_paid``).
BY_BUYER = "buyer"
AT_MATURITY = "maturity"
BY_COLLECTION = "collection"


class ReceivablesView:
    """Read-only access on any reader."""

    def get(self, reader: KVReader, invoice_id: int) -> Invoice | None:
        return INVOICES.get(reader, invoice_id)

    def require(self, reader: KVReader, invoice_id: int) -> Invoice:
        found = INVOICES.get(reader, invoice_id)
        if found is None:
            raise ErrInvoiceNotFound(
                f"no invoice has id {invoice_id}: find it with receivables/by_hash or by_holder"
            )
        return found

    def by_document(self, reader: KVReader, hash_alg: str, digest: bytes) -> Invoice | None:
        """The invoice of a document hash (one point read on the unique index)."""
        found = INVOICES.get_by("document", reader, (hash_alg, digest))
        return None if found is None else INVOICES.get(reader, found)

    def ids_by_holder(self, reader: KVReader, holder: str) -> Iterator[int]:
        return INVOICES.by("holder", reader, holder)

    def ids_by_buyer(self, reader: KVReader, buyer: str) -> Iterator[int]:
        return INVOICES.by("buyer", reader, buyer)

    def invoices(self, reader: KVReader) -> Iterator[Invoice]:
        """Every invoice in id order (genesis export, invariants)."""
        return INVOICES.values(reader)

    def next_id(self, reader: KVReader) -> int:
        return NEXT_ID.peek(reader)

    def due(self, reader: KVReader) -> Iterator[tuple[int, int]]:
        """``(maturity_ns, id)`` of each scheduled invoice, earliest first."""
        return DUE.keys(reader)


class ReceivablesKeeper(ReceivablesView):
    """Registers, confirms, transfers, finances and settles invoices.

    Parameters:
        accounts: account status, so a claim never goes to an account that cannot act.
        bank: moves the price and the payment.
    """

    def __init__(self, accounts: AccountStatusView, bank: CashMover) -> None:
        self._accounts = accounts
        self._bank = bank

    # -- registration and confirmation ---------------------------------------------------------

    def register(
        self,
        ctx: Context,
        supplier: str,
        buyer: str,
        asset: str,
        amount: int,
        maturity_ns: int,
        hash_alg: str,
        digest: bytes,
        reference: str,
    ) -> Invoice:
        """A new invoice of ``supplier`` on ``buyer``, awaiting the buyer's confirmation."""
        suite_hash = get_suite(ctx.suite).hash_name
        if hash_alg != suite_hash:
            raise ErrWrongHashAlg(
                f"this chain identifies documents by their {suite_hash} hash: hash the invoice "
                f"with {suite_hash}, not {hash_alg}"
            )
        existing = self.by_document(ctx.store, hash_alg, digest)
        if existing is not None:
            raise ErrDocumentRegistered(
                f"document {hash_alg} {digest.hex()} is already invoice {existing.id} of "
                f"{existing.supplier}, registered at height {existing.registered_height}: "
                "one document is one invoice",
                invoice=existing.id,
                supplier=existing.supplier,
            )
        reused = INVOICES.get_by("reference", ctx.store, (supplier, reference))
        if reused is not None:
            raise ErrReferenceUsed(
                f"{supplier} already registered reference {reference!r} as invoice {reused}"
            )
        self._require_party(ctx, supplier, buyer, "buyer")
        self._bank.require_asset(ctx.store, asset)
        if maturity_ns <= ctx.time_ns:
            raise ErrMaturityPassed(
                f"maturity {maturity_ns} is not after the block time {ctx.time_ns}: "
                "give a later maturity (ns since the epoch)"
            )
        invoice = Invoice(
            id=NEXT_ID.next(ctx),
            supplier=supplier,
            buyer=buyer,
            holder=supplier,
            asset=asset,
            amount=amount,
            maturity_ns=maturity_ns,
            hash_alg=hash_alg,
            hash=digest,
            reference=reference,
            status=REGISTERED,
            registered_height=ctx.height,
            confirmed_height=0,
            offer_bank="",
            offer_price=0,
            financier="",
            financed_price=0,
            financed_height=0,
            paid_to="",
            paid_height=0,
        )
        self._save(ctx, None, invoice)
        ctx.emit(events.registered(invoice.id, supplier, buyer, asset, amount, hash_alg, digest))
        return invoice

    def confirm(self, ctx: Context, signer: str, invoice_id: int) -> None:
        """The buyer's own transaction acknowledges the debt; the claim is scheduled."""
        invoice = self.require(ctx.store, invoice_id)
        if signer != invoice.buyer:
            raise ErrNotBuyer(
                f"invoice {invoice_id} is on {invoice.buyer}: only that buyer can confirm it"
            )
        if invoice.status != REGISTERED:
            raise ErrAlreadyConfirmed(
                f"invoice {invoice_id} was confirmed at height {invoice.confirmed_height}"
            )
        holder = self._accounts.status(ctx.store, invoice.holder)
        if holder is None or holder is AccountStatus.CLOSED:
            raise ErrHolderClosed(
                f"invoice {invoice_id}'s holder {invoice.holder} has closed its account: a "
                "confirmed claim could never be paid to it, so it cannot be confirmed"
            )
        self._save(ctx, invoice, replace(invoice, status=CONFIRMED, confirmed_height=ctx.height))
        ctx.emit(events.confirmed(invoice_id, signer))

    # -- the claim changes hands ---------------------------------------------------------------

    def transfer(self, ctx: Context, signer: str, invoice_id: int, recipient: str) -> None:
        """The holder assigns the whole claim; an open offer lapses with the old holder."""
        invoice = self._held_by(ctx, signer, invoice_id)
        self._require_claim(invoice)
        self._require_party(ctx, signer, recipient, "recipient")
        self._not_the_buyer(invoice, recipient)
        if invoice.offer_bank:
            ctx.emit(events.offer_withdrawn(invoice_id, signer, invoice.offer_bank))
        self._save(ctx, invoice, replace(invoice.without_offer(), holder=recipient))
        ctx.emit(events.transferred(invoice_id, signer, recipient))

    def offer(self, ctx: Context, signer: str, invoice_id: int, bank: str, price: int) -> None:
        """The holder offers the claim to ``bank`` at ``price`` (replacing any open offer)."""
        invoice = self._financeable(ctx, self._held_by(ctx, signer, invoice_id))
        if price > invoice.amount:
            raise ErrPriceAboveFace(
                f"price {price} exceeds the face amount {invoice.amount} {invoice.asset} "
                f"of invoice {invoice_id}: a discount price is at most the face amount"
            )
        self._require_party(ctx, signer, bank, "bank")
        self._not_the_buyer(invoice, bank)
        self._save(ctx, invoice, replace(invoice, offer_bank=bank, offer_price=price))
        ctx.emit(events.offered(invoice_id, signer, bank, invoice.asset, price))

    def withdraw_offer(self, ctx: Context, signer: str, invoice_id: int) -> None:
        invoice = self._held_by(ctx, signer, invoice_id)
        if not invoice.offer_bank:
            raise ErrNoOffer(f"invoice {invoice_id} has no open offer to withdraw")
        self._save(ctx, invoice, invoice.without_offer())
        ctx.emit(events.offer_withdrawn(invoice_id, signer, invoice.offer_bank))

    def accept(self, ctx: Context, bank: str, invoice_id: int, asset: str, price: int) -> None:
        """The named bank buys the claim: the price and the claim move in one transition.

        The bank's transfer runs first: if the bank cannot pay, it raises and the
        transaction leaves the invoice untouched (delivery versus payment).
        """
        invoice = self.require(ctx.store, invoice_id)
        if invoice.offer_bank != bank:
            raise ErrNoOffer(
                f"invoice {invoice_id} has no open offer to {bank}: the holder "
                f"{invoice.holder} must offer it to you first"
            )
        invoice = self._financeable(ctx, invoice)
        if (asset, price) != (invoice.asset, invoice.offer_price):
            raise ErrTermsMismatch(
                f"invoice {invoice_id} is offered at {invoice.offer_price} {invoice.asset}, "
                f"not {price} {asset}: accept the offer's terms"
            )
        seller = invoice.holder
        self._bank.transfer(ctx, bank, seller, asset, price)
        bought = replace(
            invoice.without_offer(),
            holder=bank,
            financier=bank,
            financed_price=price,
            financed_height=ctx.height,
        )
        self._save(ctx, invoice, bought)
        ctx.emit(events.financed(invoice_id, seller, bank, asset, price, invoice.amount))

    # -- payment -------------------------------------------------------------------------------

    def pay(self, ctx: Context, signer: str, invoice_id: int, asset: str, amount: int) -> None:
        """The buyer pays the face amount to the current holder (early, or once overdue)."""
        invoice = self.require(ctx.store, invoice_id)
        if signer != invoice.buyer:
            raise ErrNotBuyer(f"invoice {invoice_id} is owed by {invoice.buyer}, not {signer}")
        self._require_claim(invoice)
        if (asset, amount) != (invoice.asset, invoice.amount):
            raise ErrTermsMismatch(
                f"invoice {invoice_id} is for {invoice.amount} {invoice.asset}, "
                f"not {amount} {asset}: pay the face amount in full"
            )
        self._settle(ctx, invoice, BY_BUYER)

    def collect(self, ctx: Context, signer: str, invoice_id: int) -> None:
        """The holder of an overdue invoice retries the debit of the buyer's spendable cash."""
        invoice = self._held_by(ctx, signer, invoice_id)
        if invoice.status == PAID:
            raise ErrAlreadyPaid(f"invoice {invoice_id} was paid at height {invoice.paid_height}")
        if invoice.status != OVERDUE:
            raise ErrNotOverdue(
                f"invoice {invoice_id} is {invoice.status}: the chain collects it at maturity "
                f"({invoice.maturity_ns})"
            )
        self._settle(ctx, invoice, BY_COLLECTION)

    def collect_due(self, ctx: Context) -> None:
        """End of block: debit each buyer whose invoice has matured by the block time.

        Reads the schedule from the front and stops at the first later maturity,
        so the work is what falls due. Each debit runs in its own branch: a buyer
        short of spendable cash (or any other refusal) leaves its invoice unpaid,
        marks it overdue with the reason, and takes it off the schedule; the
        buyer then pays with ``pay``, or the holder retries with ``collect``.
        """
        due: list[int] = []
        for maturity_ns, invoice_id in DUE.keys(ctx.store):
            if maturity_ns > ctx.time_ns:
                break
            due.append(invoice_id)
        for invoice_id in due:
            invoice = self.require(ctx.store, invoice_id)
            branch, write = ctx.cached()
            try:
                self._settle(branch, invoice, AT_MATURITY)
            except FinchainError as exc:
                self._save(ctx, invoice, replace(invoice.without_offer(), status=OVERDUE))
                ctx.emit(events.overdue(invoice_id, invoice.buyer, invoice.holder, exc.message))
            else:
                write()

    def assert_can_close(self, ctx: Context, account: str) -> None:
        """A close guard for the accounts module: an account that holds an unpaid claim, or
        owes a confirmed one, cannot close (the payment would have nowhere to go, or no one
        to come from)."""
        state = ctx.store
        mine = {*self.ids_by_holder(state, account), *self.ids_by_buyer(state, account)}
        open_ids = sorted(i for i in mine if self.require(state, i).status in (CONFIRMED, OVERDUE))
        if open_ids:
            listing = ", ".join(str(i) for i in open_ids)
            raise ErrOpenInvoices(
                f"account {account} holds or owes unpaid invoices ({listing}): transfer the "
                "claims or settle the debts first"
            )

    # -- genesis -------------------------------------------------------------------------------

    def import_invoice(self, ctx: Context, invoice: Invoice) -> None:
        """Genesis: store an exported invoice (the genesis check put ids in order, once each)."""
        if invoice.id != NEXT_ID.next(ctx):
            raise RuntimeError(f"invoice {invoice.id} is not the next id")
        self._save(ctx, None, invoice)

    # -- helpers -------------------------------------------------------------------------------

    def _settle(self, ctx: Context, invoice: Invoice, how: str) -> None:
        """Face amount from the buyer to the holder of the moment; the invoice is paid.

        A buyer frozen by a regulator or court may receive but not send (JR/T 0184
        13.5.4): it is not debited, at maturity the invoice goes overdue with this
        reason, and it is paid once the freeze is lifted."""
        if self._accounts.status(ctx.store, invoice.buyer) is AccountStatus.FROZEN:
            raise ErrBuyerFrozen(
                f"buyer {invoice.buyer} of invoice {invoice.id} is frozen and may not pay: "
                "collect again once the freeze is lifted"
            )
        self._bank.transfer(ctx, invoice.buyer, invoice.holder, invoice.asset, invoice.amount)
        paid = replace(
            invoice.without_offer(), status=PAID, paid_to=invoice.holder, paid_height=ctx.height
        )
        self._save(ctx, invoice, paid)
        ctx.emit(
            events.paid(
                invoice.id, invoice.buyer, invoice.holder, invoice.asset, invoice.amount, how
            )
        )

    def _save(self, ctx: Context, old: Invoice | None, new: Invoice) -> None:
        """Write ``new``; keep it on the maturity schedule exactly while it is confirmed."""
        if old is not None and old.status == CONFIRMED and new.status != CONFIRMED:
            DUE.remove(ctx, (old.maturity_ns, old.id))
        if new.status == CONFIRMED and (old is None or old.status != CONFIRMED):
            DUE.set(ctx, (new.maturity_ns, new.id), b"")
        INVOICES.set(ctx, new.id, new)

    def _held_by(self, ctx: Context, signer: str, invoice_id: int) -> Invoice:
        invoice = self.require(ctx.store, invoice_id)
        if signer != invoice.holder:
            raise ErrNotHolder(
                f"invoice {invoice_id} is held by {invoice.holder}: only the holder can do this"
            )
        return invoice

    def _require_claim(self, invoice: Invoice) -> None:
        """Confirmed (or overdue) and unpaid: a claim that exists and is still open."""
        if invoice.status == REGISTERED:
            raise ErrNotConfirmed(
                f"invoice {invoice.id} awaits confirmation by its buyer {invoice.buyer}"
            )
        if invoice.status == PAID:
            raise ErrAlreadyPaid(
                f"invoice {invoice.id} was paid to {invoice.paid_to} at height "
                f"{invoice.paid_height}"
            )

    def _financeable(self, ctx: Context, invoice: Invoice) -> Invoice:
        """Confirmed, never financed, before maturity."""
        self._require_claim(invoice)
        if invoice.financed:
            raise ErrAlreadyFinanced(
                f"invoice {invoice.id} (document {invoice.hash.hex()}) was financed by "
                f"{invoice.financier} at height {invoice.financed_height}: it cannot be "
                "financed again",
                financier=invoice.financier,
            )
        if invoice.status != CONFIRMED or ctx.time_ns >= invoice.maturity_ns:
            raise ErrMatured(
                f"invoice {invoice.id} matured at {invoice.maturity_ns}: it can be paid or "
                "transferred, no longer financed"
            )
        return invoice

    def _not_the_buyer(self, invoice: Invoice, account: str) -> None:
        """A buyer never holds its own debt (creditor and debtor in one person would
        extinguish it): it settles with ``pay`` instead."""
        if account == invoice.buyer:
            raise ErrInvalidParty(
                f"{account} is the buyer of invoice {invoice.id}: a debtor cannot hold its own "
                "debt; the buyer settles it with pay"
            )

    def _require_party(self, ctx: Context, signer: str, account: str, role: str) -> None:
        if account == signer:
            raise ErrInvalidParty(f"the {role} must be another account than the signer")
        status = self._accounts.status(ctx.store, account)
        if status is not AccountStatus.ACTIVE:
            state = "does not exist" if status is None else f"is {status}"
            raise ErrInvalidParty(f"{role} {account} {state}: name an active account")
