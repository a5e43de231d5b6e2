"""Receivables: register, buyer confirmation, transfer, discount financing, payment at maturity.

Every scenario runs through the real application (RocksDB in a tmp dir), block
by block; refusals are checked for their code and for leaving state untouched.
"""

from __future__ import annotations

import hashlib
from decimal import ROUND_CEILING, Decimal, localcontext
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finchain.app import TxResult
from finchain.client import builders as b
from finchain.client import receivables_builders as rb
from finchain.codec import RawMsg
from finchain.core.errors import ErrBadQuery, ErrInvalidMsg
from finchain.core.msgs import TRANSFER, Operation
from finchain.errors import ErrorCode, FinchainError
from finchain.modules.accounts.types import account_id
from finchain.modules.bank.errors import ErrUnknownAsset
from finchain.modules.receivables.errors import (
    ErrAlreadyConfirmed,
    ErrAlreadyFinanced,
    ErrAlreadyPaid,
    ErrBadGenesis,
    ErrDocumentRegistered,
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
    ErrZeroAmount,
)
from finchain.modules.receivables.messages import ALL_MSGS, MsgAccept, MsgPay, MsgRegister
from finchain.modules.receivables.module import ReceivablesModule
from tests.harness import BLOCK_NS, Chain
from tests.testmodule import with_test_module

SUPPLIER, BUYER, BANK, OTHER, OUTSIDER = 1, 2, 3, 4, 5
A = {n: account_id(n) for n in range(1, 6)}
FUNDS = 1_000_000
FACE = 100_000


def doc(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest()


@pytest.fixture
def chain(tmp_path):
    return Chain(tmp_path / "db", n_accounts=5, funds=FUNDS)


def send(chain: Chain, who: int, *msgs: RawMsg) -> TxResult:
    (result,) = chain.block(chain.signer(who).sign(*msgs))
    # a message refused before execution (a malformed field) consumes no nonce
    signer = chain.signer(who)
    signer.nonce = chain.app.accounts.nonce(chain.app.state, signer.account)
    return result


def ok(chain: Chain, who: int, *msgs: RawMsg) -> TxResult:
    result = send(chain, who, *msgs)
    assert result.ok, result.log
    return result


def query(chain: Chain, path: str, **params: Any) -> Any:
    return chain.app.query(path, params).value


def invoice(chain: Chain, invoice_id: int = 1) -> dict[str, Any]:
    return dict(query(chain, "receivables/invoice", id=invoice_id))


def maturity_in(chain: Chain, blocks: int) -> int:
    """The time of the block ``blocks`` after the last one (each block is 1 s later)."""
    return chain.time_ns + blocks * BLOCK_NS


def register(
    chain: Chain,
    name: str = "invoice-1",
    *,
    supplier: int = SUPPLIER,
    amount: int = FACE,
    blocks: int = 100,
    reference: str | None = None,
) -> TxResult:
    return send(
        chain,
        supplier,
        rb.register(
            A[BUYER],
            "CNY",
            amount,
            maturity_in(chain, blocks),
            "sha256",
            doc(name),
            reference or name.upper(),
        ),
    )


def confirmed_invoice(chain: Chain, name: str = "invoice-1", *, blocks: int = 100) -> int:
    result = register(chain, name, blocks=blocks)
    assert result.ok, result.log
    invoice_id = int(result.events[0].get("id") or 0)
    ok(chain, BUYER, rb.confirm(invoice_id))
    return invoice_id


def snapshot(chain: Chain) -> tuple[Any, dict[int, int]]:
    return (
        chain.app.export_genesis()["receivables"],
        {n: chain.balance(n) for n in A},
    )


def refused(chain: Chain, who: int, msg: RawMsg, error: ErrorCode) -> TxResult:
    """``msg`` from ``who`` fails with ``error``, emits nothing and changes nothing."""
    before = snapshot(chain)
    result = send(chain, who, msg)
    assert (result.codespace, result.code) == (error.codespace, error.code), result.log
    assert result.events == ()
    assert snapshot(chain) == before
    assert chain.app.check_invariants() == []
    return result


# -- the lifecycle ---------------------------------------------------------------------------


def test_invoice_is_financed_at_a_discount_and_paid_to_the_bank_at_maturity(chain):
    registered = register(chain, blocks=6)
    assert registered.ok, registered.log
    assert [e.type for e in registered.events] == ["invoice_registered"]
    assert invoice(chain)["status"] == "registered" and invoice(chain)["holder"] == A[SUPPLIER]

    confirmed = ok(chain, BUYER, rb.confirm(1))
    assert [e.type for e in confirmed.events] == ["invoice_confirmed"]
    assert invoice(chain)["confirmed_height"] == chain.app.height

    price = rb.discount_price(FACE, 450, 90)
    ok(chain, SUPPLIER, rb.offer(1, A[BANK], price))
    assert (invoice(chain)["offer_bank"], invoice(chain)["offer_price"]) == (A[BANK], str(price))

    financed = ok(chain, BANK, rb.accept(1, "CNY", price))
    types = [e.type for e in financed.events]
    assert types[-1] == "invoice_financed" and "transfer" in types
    assert financed.events[-1].get("discount") == str(FACE - price)
    after_sale = invoice(chain)
    assert after_sale["holder"] == A[BANK] and after_sale["financier"] == A[BANK]
    assert after_sale["financed"] is True and after_sale["offer_bank"] == ""
    assert chain.balance(SUPPLIER) == FUNDS + price
    assert chain.balance(BANK) == FUNDS - price

    # maturity is 6 blocks after registration: blocks 5 and 6 are empty
    assert chain.block() == [] and invoice(chain)["status"] == "confirmed"
    response = chain.finalize()
    paid = [e for e in response.events if e.type == "invoice_paid"]
    assert len(paid) == 1 and paid[0].get("holder") == A[BANK]
    assert paid[0].get("how") == "maturity"
    final = invoice(chain)
    assert (final["status"], final["paid_to"], final["paid_height"]) == (
        "paid",
        A[BANK],
        chain.app.height,
    )
    assert chain.balance(BUYER) == FUNDS - FACE
    assert chain.balance(BANK) == FUNDS - price + FACE
    assert list(chain.app.receivables.due(chain.app.state)) == []
    assert chain.app.check_invariants() == []


def test_queries_find_an_invoice_by_id_hash_holder_and_buyer(chain):
    confirmed_invoice(chain, "a")
    confirmed_invoice(chain, "b")
    ok(chain, SUPPLIER, rb.transfer(2, A[OTHER]))
    by_hash = query(chain, "receivables/by_hash", hash_alg="sha256", hash=doc("b").hex())
    assert by_hash["id"] == 2 and by_hash["reference"] == "B"
    assert [
        i["id"] for i in query(chain, "receivables/by_holder", holder=A[SUPPLIER])["invoices"]
    ] == [1]
    assert [
        i["id"] for i in query(chain, "receivables/by_holder", holder=A[OTHER])["invoices"]
    ] == [2]
    page = query(chain, "receivables/by_buyer", buyer=A[BUYER], limit="1")
    assert [i["id"] for i in page["invoices"]] == [1] and page["next_cursor"] == "1"
    rest = query(chain, "receivables/by_buyer", buyer=A[BUYER], cursor=page["next_cursor"])
    assert [i["id"] for i in rest["invoices"]] == [2] and rest["next_cursor"] is None
    with pytest.raises(FinchainError) as missing:
        query(chain, "receivables/invoice", id="9")
    assert ErrInvoiceNotFound.matches(missing.value)
    with pytest.raises(FinchainError) as bad:
        query(chain, "receivables/by_hash", hash_alg="md5", hash=doc("b").hex())
    assert ErrBadQuery.matches(bad.value)


def test_the_buyer_pays_whoever_holds_the_claim_when_it_pays(chain):
    confirmed_invoice(chain, blocks=50)
    ok(chain, SUPPLIER, rb.transfer(1, A[OTHER]))
    transferred = invoice(chain)
    assert transferred["holder"] == A[OTHER] and transferred["financed"] is False
    paid = ok(chain, BUYER, rb.pay(1, "CNY", FACE))
    assert paid.events[-1].type == "invoice_paid" and paid.events[-1].get("how") == "buyer"
    assert invoice(chain)["paid_to"] == A[OTHER]
    assert chain.balance(OTHER) == FUNDS + FACE and chain.balance(SUPPLIER) == FUNDS
    # nothing is collected again at maturity: the schedule no longer holds it
    assert list(chain.app.receivables.due(chain.app.state)) == []


def test_a_transfer_lets_the_open_offer_lapse(chain):
    confirmed_invoice(chain)
    ok(chain, SUPPLIER, rb.offer(1, A[BANK], 90_000))
    moved = ok(chain, SUPPLIER, rb.transfer(1, A[OTHER]))
    assert [e.type for e in moved.events] == ["invoice_offer_withdrawn", "invoice_transferred"]
    refused(chain, BANK, rb.accept(1, "CNY", 90_000), ErrNoOffer)


def test_a_withdrawn_offer_cannot_be_accepted(chain):
    confirmed_invoice(chain)
    ok(chain, SUPPLIER, rb.offer(1, A[BANK], 90_000))
    ok(chain, SUPPLIER, rb.withdraw_offer(1))
    refused(chain, BANK, rb.accept(1, "CNY", 90_000), ErrNoOffer)
    refused(chain, SUPPLIER, rb.withdraw_offer(1), ErrNoOffer)


# -- double financing --------------------------------------------------------------------------


def test_the_same_document_cannot_be_registered_twice_by_anyone(chain):
    assert register(chain, "shared").ok
    for supplier in (SUPPLIER, OTHER):
        before = snapshot(chain)
        again = register(chain, "shared", supplier=supplier, reference=f"R{supplier}")
        assert (again.codespace, again.code) == (
            ErrDocumentRegistered.codespace,
            ErrDocumentRegistered.code,
        )
        assert "invoice 1" in again.log and A[SUPPLIER] in again.log
        assert snapshot(chain) == before


def test_a_financed_invoice_is_never_financed_again_even_after_changing_hands(chain):
    confirmed_invoice(chain)
    ok(chain, SUPPLIER, rb.offer(1, A[BANK], 95_000))
    ok(chain, BANK, rb.accept(1, "CNY", 95_000))
    # the bank itself cannot sell it on as a new financing
    refused(chain, BANK, rb.offer(1, A[OTHER], 96_000), ErrAlreadyFinanced)
    # an accomplice holding it cannot either
    ok(chain, BANK, rb.transfer(1, A[OTHER]))
    refused(chain, OTHER, rb.offer(1, A[OUTSIDER], 96_000), ErrAlreadyFinanced)
    # and the same document under a new invoice, by another supplier, is refused at the door
    before = snapshot(chain)
    again = register(chain, "invoice-1", supplier=OUTSIDER, reference="OTHER-NUMBER")
    assert (again.codespace, again.code) == (
        ErrDocumentRegistered.codespace,
        ErrDocumentRegistered.code,
    )
    assert snapshot(chain) == before


def test_the_document_must_be_hashed_with_the_chain_suites_hash(chain):
    """A fraudster cannot re-register a document under the other algorithm's digest."""
    assert register(chain, "doc").ok
    other = (
        hashlib.new("sm3", b"doc").digest()
        if "sm3" in hashlib.algorithms_available
        else doc("sm3-of-doc")
    )
    msg = rb.register(A[BUYER], "CNY", FACE, maturity_in(chain, 10), "sm3", other, "SM3-COPY")
    refused(chain, SUPPLIER, msg, ErrWrongHashAlg)


def test_an_invoice_number_is_used_once_per_supplier(chain):
    assert register(chain, "first", reference="INV-1").ok
    msg = rb.register(A[BUYER], "CNY", FACE, maturity_in(chain, 10), "sha256", doc("x"), "INV-1")
    refused(chain, SUPPLIER, msg, ErrReferenceUsed)
    # another supplier may use the same number for its own invoice
    assert register(chain, "second", supplier=OTHER, reference="INV-1").ok


# -- maturity: overdue and later payment ---------------------------------------------------------


def test_a_buyer_short_of_cash_at_maturity_is_overdue_until_it_pays(chain):
    confirmed_invoice(chain, blocks=4)
    ok(chain, BUYER, b.transfer((A[OUTSIDER], "CNY", FUNDS - FACE + 1)))  # leaves FACE - 1
    response = chain.finalize()  # the maturity block
    overdue = [e for e in response.events if e.type == "invoice_overdue"]
    assert len(overdue) == 1 and "can spend" in (overdue[0].get("reason") or "")
    assert invoice(chain)["status"] == "overdue"
    assert chain.balance(BUYER) == FACE - 1 and chain.balance(SUPPLIER) == FUNDS
    # not retried by the chain: funds arriving later are not taken by themselves
    ok(chain, OUTSIDER, b.transfer((A[BUYER], "CNY", 10)))
    assert chain.block() == [] and invoice(chain)["status"] == "overdue"
    # an overdue claim can still be transferred, not financed
    refused(chain, SUPPLIER, rb.offer(1, A[BANK], 50_000), ErrMatured)
    collected = ok(chain, SUPPLIER, rb.collect(1))
    assert collected.events[-1].get("how") == "collection"
    assert invoice(chain)["paid_to"] == A[SUPPLIER]
    assert chain.balance(BUYER) == 9 and chain.balance(SUPPLIER) == FUNDS + FACE
    refused(chain, SUPPLIER, rb.collect(1), ErrAlreadyPaid)
    refused(chain, BUYER, rb.pay(1, "CNY", FACE), ErrAlreadyPaid)


def test_the_buyer_pays_an_overdue_invoice_itself(chain):
    confirmed_invoice(chain, blocks=3)
    ok(chain, BUYER, b.transfer((A[OUTSIDER], "CNY", FUNDS)))
    assert invoice(chain)["status"] == "overdue"
    ok(chain, OUTSIDER, b.transfer((A[BUYER], "CNY", FACE)))
    ok(chain, BUYER, rb.pay(1, "CNY", FACE))
    assert invoice(chain)["status"] == "paid" and chain.balance(BUYER) == 0


def test_a_confirmation_after_maturity_is_collected_in_the_same_block(chain):
    assert register(chain, blocks=2).ok
    chain.block()
    chain.block()  # matured, unconfirmed: nothing happens
    assert invoice(chain)["status"] == "registered"
    confirmed = ok(chain, BUYER, rb.confirm(1))
    assert confirmed.ok and invoice(chain)["status"] == "paid"
    assert chain.balance(SUPPLIER) == FUNDS + FACE


# -- bad input: a stable code, nothing changed --------------------------------------------------


def test_refusals_have_stable_codes_and_change_nothing(chain):
    assert register(chain, "pending").ok  # invoice 1: registered, unconfirmed
    confirmed_invoice(chain, "claim")  # invoice 2
    far = maturity_in(chain, 100)
    cases: list[tuple[int, RawMsg, ErrorCode]] = [
        (OTHER, rb.confirm(1), ErrNotBuyer),
        (SUPPLIER, rb.confirm(1), ErrNotBuyer),
        (BUYER, rb.confirm(2), ErrAlreadyConfirmed),
        (SUPPLIER, rb.offer(1, A[BANK], 10), ErrNotConfirmed),
        (SUPPLIER, rb.transfer(1, A[OTHER]), ErrNotConfirmed),
        (OTHER, rb.transfer(2, A[OUTSIDER]), ErrNotHolder),
        (OTHER, rb.offer(2, A[BANK], 10), ErrNotHolder),
        (SUPPLIER, rb.offer(2, A[BANK], FACE + 1), ErrPriceAboveFace),
        (SUPPLIER, rb.offer(2, A[SUPPLIER], 10), ErrInvalidParty),
        (SUPPLIER, rb.offer(2, account_id(9), 10), ErrInvalidParty),
        (SUPPLIER, rb.transfer(2, A[SUPPLIER]), ErrInvalidParty),
        (SUPPLIER, rb.transfer(2, A[BUYER]), ErrInvalidParty),
        (SUPPLIER, rb.offer(2, A[BUYER], 10), ErrInvalidParty),
        (BANK, rb.accept(2, "CNY", 10), ErrNoOffer),
        (BUYER, rb.pay(1, "CNY", FACE), ErrNotConfirmed),
        (OTHER, rb.pay(2, "CNY", FACE), ErrNotBuyer),
        (BUYER, rb.pay(2, "CNY", FACE - 1), ErrTermsMismatch),
        (SUPPLIER, rb.collect(2), ErrNotOverdue),
        (BUYER, rb.confirm(99), ErrInvoiceNotFound),
        (SUPPLIER, rb.transfer(99, A[OTHER]), ErrInvoiceNotFound),
        (BUYER, rb.pay(99, "CNY", FACE), ErrInvoiceNotFound),
        (SUPPLIER, rb.register(A[BUYER], "CNY", 0, far, "sha256", doc("z"), "Z"), ErrZeroAmount),
        (SUPPLIER, rb.offer(2, A[BANK], 0), ErrZeroAmount),
        (
            SUPPLIER,
            rb.register(A[BUYER], "CNY", FACE, chain.time_ns, "sha256", doc("p"), "P"),
            ErrMaturityPassed,
        ),
        (
            SUPPLIER,
            rb.register(A[SUPPLIER], "CNY", FACE, far, "sha256", doc("s"), "S"),
            ErrInvalidParty,
        ),
        (
            SUPPLIER,
            rb.register(A[BUYER], "XYZ", FACE, far, "sha256", doc("u"), "U"),
            ErrUnknownAsset,
        ),
    ]
    for who, msg, error in cases:
        refused(chain, who, msg, error)
    ok(chain, SUPPLIER, rb.offer(2, A[BANK], 90_000))
    refused(chain, OTHER, rb.accept(2, "CNY", 90_000), ErrNoOffer)
    refused(chain, BANK, rb.accept(2, "CNY", 89_000), ErrTermsMismatch)
    ok(chain, BANK, rb.accept(2, "CNY", 90_000))
    refused(chain, BANK, rb.accept(2, "CNY", 90_000), ErrNoOffer)
    ok(chain, BUYER, rb.pay(2, "CNY", FACE))
    refused(chain, BUYER, rb.pay(2, "CNY", FACE), ErrAlreadyPaid)
    refused(chain, BANK, rb.transfer(2, A[OTHER]), ErrAlreadyPaid)


def test_a_bank_that_cannot_pay_the_price_leaves_the_offer_open(chain):
    confirmed_invoice(chain)
    ok(chain, SUPPLIER, rb.offer(1, A[BANK], 90_000))
    ok(chain, BANK, b.transfer((A[OUTSIDER], "CNY", FUNDS - 1)))
    before = snapshot(chain)
    result = send(chain, BANK, rb.accept(1, "CNY", 90_000))
    assert result.codespace == "bank" and not result.ok
    assert snapshot(chain) == before and invoice(chain)["offer_bank"] == A[BANK]


def test_an_offer_at_or_after_maturity_is_refused(chain):
    confirmed_invoice(chain, blocks=5)
    chain.block()
    chain.block()
    # the next block is at maturity: an offer in it is refused, and the chain collects at its end
    result = send(chain, SUPPLIER, rb.offer(1, A[BANK], 50_000))
    assert (result.codespace, result.code) == (ErrMatured.codespace, ErrMatured.code)
    final = invoice(chain)
    assert (final["status"], final["offer_bank"], final["financed"]) == ("paid", "", False)


# -- genesis and rounding ----------------------------------------------------------------------


def test_genesis_export_imports_into_the_same_invoices(chain, tmp_path):
    confirmed_invoice(chain, "x")
    assert register(chain, "y").ok
    ok(chain, SUPPLIER, rb.offer(1, A[BANK], 1_000))
    section = chain.app.export_genesis()["receivables"]
    assert [i["status"] for i in section["invoices"]] == ["confirmed", "registered"]
    exported = chain.app.export()
    fresh = with_test_module(tmp_path / "fresh")
    fresh.init_chain(exported)
    assert fresh.export_genesis()["receivables"] == section
    assert fresh.check_invariants() == []
    due = list(fresh.receivables.due(fresh.state))
    assert due == [(section["invoices"][0]["maturity_ns"], 1)]
    fresh.close()


def test_a_genesis_with_ids_out_of_order_or_a_document_twice_is_refused(chain):
    module = ReceivablesModule(chain.app.receivables)
    good = chain.app.export_genesis()["receivables"]
    confirmed_invoice(chain, "x")
    entry = chain.app.export_genesis()["receivables"]["invoices"][0]
    for bad in (
        {"invoices": [dict(entry, id=2)]},
        {"invoices": [entry, dict(entry, id=2, reference="OTHER")]},
        {"invoices": [dict(entry, status="paid")]},
    ):
        with pytest.raises(FinchainError) as refusal:
            module.validate_genesis(bad)
        assert ErrBadGenesis.matches(refusal.value)
    module.validate_genesis(good)
    assert good == module.default_genesis() == {}


@given(
    face=st.integers(0, 10**24),
    rate_bps=st.integers(0, 20_000),
    days=st.integers(0, 3_650),
)
def test_discount_price_rounds_the_discount_up_exactly_as_decimal_does(face, rate_bps, days):
    with localcontext() as exact_context:
        exact_context.prec = 100  # more digits than any product here: the division is exact
        exact = Decimal(face) * rate_bps * days / (Decimal(10_000) * 360)
        discount = int(exact.to_integral_value(rounding=ROUND_CEILING))
    assert rb.discount_price(face, rate_bps, days) == max(face - discount, 0)


def test_discount_price_examples():
    assert rb.discount_price(1_000_000, 450, 90) == 988_750  # 11,250 exactly
    assert rb.discount_price(1_000, 1, 1) == 999  # 0.0000277… rounds up to 1
    assert rb.discount_price(100, 100_000, 360) == 0  # never below zero


def test_an_account_holding_or_owing_an_open_claim_cannot_close(chain):
    confirmed_invoice(chain)
    ok(chain, SUPPLIER, rb.transfer(1, A[OTHER]))
    for who in (OTHER, BUYER):
        ok(chain, who, b.transfer((A[OUTSIDER], "CNY", chain.balance(who))))
        refused(chain, who, b.close_account(), ErrOpenInvoices)
    ok(chain, OUTSIDER, b.transfer((A[BUYER], "CNY", FACE)))
    ok(chain, BUYER, rb.pay(1, "CNY", FACE))
    ok(chain, OTHER, b.transfer((A[OUTSIDER], "CNY", FACE)))
    ok(chain, OTHER, b.close_account())  # paid: nothing is left open


def test_messages_have_stable_wire_maps_and_are_read_strictly():
    digest = doc("w")
    cases = [
        (
            rb.register(A[BUYER], "CNY", 5, 7, "sha256", digest, "R-1"),
            {
                "buyer": A[BUYER],
                "asset": "CNY",
                "amount": "5",
                "maturity_ns": 7,
                "hash_alg": "sha256",
                "hash": digest,
                "reference": "R-1",
            },
        ),
        (rb.confirm(3), {"id": 3}),
        (rb.transfer(3, A[OTHER]), {"id": 3, "to": A[OTHER]}),
        (rb.offer(3, A[BANK], 9), {"id": 3, "bank": A[BANK], "price": "9"}),
        (rb.withdraw_offer(3), {"id": 3}),
        (rb.accept(3, "CNY", 9), {"id": 3, "asset": "CNY", "price": "9"}),
        (rb.pay(3, "CNY", 5), {"id": 3, "asset": "CNY", "amount": "5"}),
        (rb.collect(3), {"id": 3}),
    ]
    routes = {cls.TYPE: cls for cls in ALL_MSGS}
    assert len(routes) == len(cases)
    for raw, wire in cases:
        assert raw.value == wire
        cls = routes[raw.type]
        assert cls.from_value(dict(wire)).to_raw() == raw
        with pytest.raises(FinchainError) as extra:
            cls.from_value({**wire, "memo": "x"})
        assert ErrInvalidMsg.matches(extra.value)
    with pytest.raises(FinchainError) as bad_ref:
        MsgRegister.from_value({**cases[0][1], "reference": "has space"})
    assert ErrInvalidMsg.matches(bad_ref.value)
    # what leaves the signer's account is declared, for its multi-factor rules
    assert MsgAccept(3, "CNY", 9).sensitive_operations() == (Operation(TRANSFER, "CNY", 9),)
    assert MsgPay(3, "CNY", 5).sensitive_operations() == (Operation(TRANSFER, "CNY", 5),)
