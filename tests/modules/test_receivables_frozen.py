"""Receivables and account status: a frozen buyer is not debited (it may receive, not send,
JR/T 0184 13.5.4); an invoice whose supplier closed its account cannot be confirmed."""

from __future__ import annotations

import pytest

from finchain.client import builders as b
from finchain.client import receivables_builders as rb
from finchain.codec import RawMsg
from finchain.modules.receivables.errors import ErrBuyerFrozen, ErrHolderClosed
from tests.harness import Chain
from tests.modules.test_receivables import (
    BUYER,
    FACE,
    FUNDS,
    OUTSIDER,
    SUPPLIER,
    A,
    confirmed_invoice,
    invoice,
    ok,
    refused,
    register,
)


@pytest.fixture
def chain(tmp_path):
    return Chain(tmp_path / "db", n_accounts=5, funds=FUNDS)


def set_status(chain: Chain, account: str, status: str) -> None:
    ok(chain, OUTSIDER, RawMsg("testonly/set_status", {"account": account, "status": status}))


def test_a_frozen_buyer_is_not_debited_at_maturity_the_invoice_goes_overdue(chain):
    confirmed_invoice(chain, blocks=4)
    set_status(chain, A[BUYER], "frozen")
    response = chain.finalize()  # the maturity block
    overdue = [e for e in response.events if e.type == "invoice_overdue"]
    assert len(overdue) == 1 and "frozen" in (overdue[0].get("reason") or "")
    assert invoice(chain)["status"] == "overdue"
    assert chain.balance(BUYER) == FUNDS and chain.balance(SUPPLIER) == FUNDS
    # the holder's retry is refused while the freeze lasts, and changes nothing
    refused(chain, SUPPLIER, rb.collect(1), ErrBuyerFrozen)
    set_status(chain, A[BUYER], "active")
    ok(chain, SUPPLIER, rb.collect(1))
    assert invoice(chain)["status"] == "paid"
    assert chain.balance(BUYER) == FUNDS - FACE and chain.balance(SUPPLIER) == FUNDS + FACE


def test_a_supplier_that_closed_its_account_cannot_have_its_invoice_confirmed(chain):
    assert register(chain).ok  # invoice 1, registered: the supplier may still close
    ok(chain, SUPPLIER, b.transfer((A[OUTSIDER], "CNY", FUNDS)), b.close_account())
    refused(chain, BUYER, rb.confirm(1), ErrHolderClosed)
    assert invoice(chain)["status"] == "registered"
    assert list(chain.app.receivables.due(chain.app.state)) == []
