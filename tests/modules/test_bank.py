"""Bank: assets under an issuer policy, mint/burn, multi-asset transfers, held amounts."""

from __future__ import annotations

import pytest

from finchain.app import TxResult
from finchain.client import builders as b
from finchain.codec import MAX_AMOUNT
from finchain.errors import ErrorCode, FinchainError, lookup
from finchain.modules.accounts.types import account_id
from finchain.modules.bank.errors import (
    ErrAssetExists,
    ErrFrozenAmount,
    ErrInsufficientFunds,
    ErrMaxSupply,
    ErrNotBurner,
    ErrNotMinter,
    ErrOverflow,
    ErrRecipientClosed,
    ErrUnknownAsset,
    ErrUnknownRecipient,
)
from tests.harness import Chain

A1, A2, A3 = account_id(1), account_id(2), account_id(3)


@pytest.fixture
def chain(tmp_path):
    return Chain(tmp_path / "db")


def refused(result: TxResult, error: ErrorCode) -> bool:
    """``result`` failed with exactly ``error`` (its registered codespace and code)."""
    return not result.ok and lookup(result.codespace, result.code) is error


def test_create_mint_burn(chain):
    issuer = chain.signer(2)
    (result,) = chain.block(issuer.sign(b.create_asset("BOND-26", "Bond 2026", 0, max_supply=1000)))
    assert result.ok, result.log
    assert refused(
        chain.block(issuer.sign(b.create_asset("BOND-26", "again", 0)))[0], ErrAssetExists
    )
    assert chain.block(issuer.sign(b.mint("BOND-26", A3, 600)))[0].ok
    (over,) = chain.block(issuer.sign(b.mint("BOND-26", A3, 401)))
    assert refused(over, ErrMaxSupply)
    assert refused(chain.block(chain.signer(3).sign(b.mint("BOND-26", A3, 1)))[0], ErrNotMinter)
    assert chain.block(chain.signer(3).sign(b.transfer((A2, "BOND-26", 100))))[0].ok
    assert chain.block(issuer.sign(b.burn("BOND-26", 100)))[0].ok
    assert refused(chain.block(chain.signer(3).sign(b.burn("BOND-26", 1)))[0], ErrNotBurner)
    asset = chain.app.query("bank/asset", {"asset": "BOND-26"}).value
    assert asset["supply"] == "500"
    assert chain.app.check_invariants() == []


def test_multi_asset_multi_recipient_transfer_is_atomic(chain):
    chain.block(
        chain.signer(1).sign(b.create_asset("USD", "Dollar", 2)),
        chain.signer(1).sign(b.mint("USD", A1, 50)),
    )
    ok = chain.signer(1).sign(b.transfer((A2, "CNY", 10), (A3, "USD", 20), (A3, "CNY", 5)))
    assert chain.block(ok)[0].ok
    assert (
        chain.balance(2),
        chain.balance(3),
        chain.balance(3, "USD"),
        chain.balance(1, "USD"),
    ) == (1_000_010, 1_000_005, 20, 30)
    failing = chain.signer(1).sign(b.transfer((A2, "CNY", 10), (A3, "USD", 31)))
    (result,) = chain.block(failing)
    assert refused(result, ErrInsufficientFunds)
    assert chain.balance(2) == 1_000_010, "no output of a failed transfer happened"


def test_transfer_to_unknown_account(chain):
    (result,) = chain.block(chain.signer(1).sign(b.transfer((account_id(77), "CNY", 1))))
    assert refused(result, ErrUnknownRecipient)
    (result,) = chain.block(chain.signer(1).sign(b.transfer((A2, "XYZ", 1))))
    assert refused(result, ErrUnknownAsset)


def test_transfer_to_a_closed_account(chain):
    chain.block(chain.signer(2).sign(b.transfer((A1, "CNY", 1_000_000)), b.close_account()))
    (result,) = chain.block(chain.signer(1).sign(b.transfer((A2, "CNY", 1))))
    assert refused(result, ErrRecipientClosed)


def test_balance_overflow_refused(chain):
    chain.block(chain.signer(1).sign(b.create_asset("BIG", "Big", 0)))
    assert chain.block(chain.signer(1).sign(b.mint("BIG", A2, MAX_AMOUNT)))[0].ok
    (result,) = chain.block(chain.signer(1).sign(b.mint("BIG", A2, 1)))
    assert refused(result, ErrOverflow)
    assert chain.app.check_invariants() == []


def test_zero_balance_is_deleted(chain):
    chain.block(chain.signer(2).sign(b.transfer((A1, "CNY", 1_000_000))))
    assert chain.app.query("bank/balances", {"account": A2}).value["balances"] == []


def test_frozen_amount_is_not_spendable(chain):
    from finchain.core.context import ExecMode
    from finchain.core.gas import GasMeter
    from finchain.core.kv import Overlay

    app = chain.app
    overlay = Overlay(app.state)
    ctx = app._context(overlay, GasMeter(10**9), ExecMode.FINALIZE, 1, 0)
    app.bank.freeze_amount(ctx, A1, "CNY", 999_990, "court order")
    assert app.bank.spendable(overlay, A1, "CNY") == 10
    with pytest.raises(FinchainError) as err:
        app.bank.freeze_amount(ctx, A1, "CNY", 11, "too much")
    assert ErrFrozenAmount.matches(err.value)
    with pytest.raises(FinchainError) as err:
        app.bank._subtract(ctx, A1, "CNY", 11)
    assert ErrInsufficientFunds.matches(err.value)
