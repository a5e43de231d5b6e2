"""Accounts: chain-assigned ids, M-of-N policies, rotation, reset with a lock window, closure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finchain.app import ChainParams, TxResult
from finchain.client import builders as b
from finchain.client.builders import Signer
from finchain.core.authority import AccountStatus
from finchain.core.context import ExecMode
from finchain.core.errors import (
    ErrAccountFrozen,
    ErrBadSignature,
    ErrInsufficientWeight,
    ErrResetLock,
    ErrUnknownKey,
)
from finchain.core.gas import GasMeter
from finchain.core.kv import Overlay
from finchain.crypto import generate_private_key
from finchain.errors import ErrorCode, FinchainError, lookup
from finchain.modules.accounts.errors import (
    ErrAccountNotActive,
    ErrInvalidAccountId,
    ErrKeyExists,
    ErrNoResetPending,
    ErrNotRecoveryAccount,
    ErrWouldLock,
)
from finchain.modules.accounts.types import account_id, is_account_id, parse_account_id
from finchain.modules.bank.errors import ErrHoldsAssets
from tests.harness import CHAIN_ID, Chain

A1, A2, A3 = account_id(1), account_id(2), account_id(3)
LOCK = 4


@pytest.fixture
def chain(tmp_path):
    return Chain(tmp_path / "db", recovery={3: 1}, params=ChainParams(reset_lock_blocks=LOCK))


def refused(result: TxResult, error: ErrorCode) -> bool:
    """``result`` failed with exactly ``error`` (its registered codespace and code)."""
    return not result.ok and lookup(result.codespace, result.code) is error


def created_id(result) -> str:
    (event,) = [e for e in result.events if e.type == "account_created"]
    return event.get("account")


def test_account_id_format():
    assert account_id(1) == "FC" + account_id(1)[2:4] + "0000000001"
    for n in (1, 42, 10**10 - 1):
        assert parse_account_id(account_id(n)) == n
    tampered = account_id(42)[:-1] + "3"
    for bad in (tampered, "FC00000000000000"):
        with pytest.raises(FinchainError) as err:
            parse_account_id(bad)
        assert ErrInvalidAccountId.matches(err.value)


def test_create_account_id_unrelated_to_key(chain):
    key = generate_private_key("ed25519")
    (result,) = chain.block(
        chain.signer(1).sign(b.create_account(b.policy([b.key_of("main", key)])))
    )
    assert result.ok, result.log
    new = created_id(result)
    assert new == account_id(4)
    assert key.public_key().data.hex() not in new
    # The same key can open a second account: ids come from the chain's counter, not the key.
    (again,) = chain.block(
        chain.signer(1).sign(b.create_account(b.policy([b.key_of("main", key)])))
    )
    assert created_id(again) == account_id(5)
    signer = Signer(CHAIN_ID, new, [("main", key)])
    assert chain.block(chain.signer(1).sign(b.transfer((new, "CNY", 10))))[0].ok
    assert chain.block(signer.sign(b.transfer((A1, "CNY", 3))))[0].ok
    assert chain.balance(new) == 7


def test_mixed_scheme_two_of_three(chain):
    keys = {
        "ed": generate_private_key("ed25519"),
        "sm": generate_private_key("sm2"),
        "k1": generate_private_key("secp256k1"),
    }
    pol = b.policy([b.key_of(k, v) for k, v in keys.items()], threshold=2)
    (result,) = chain.block(chain.signer(1).sign(b.create_account(pol), b.transfer((A2, "CNY", 1))))
    new = created_id(result)
    chain.block(chain.signer(1).sign(b.transfer((new, "CNY", 100))))
    one = Signer(CHAIN_ID, new, [("sm", keys["sm"])])
    assert refused(chain.block(one.sign(b.transfer((A1, "CNY", 1))))[0], ErrInsufficientWeight)
    two = Signer(CHAIN_ID, new, [("sm", keys["sm"]), ("k1", keys["k1"])])
    assert chain.block(two.sign(b.transfer((A1, "CNY", 1))))[0].ok


def test_add_rotate_remove_keys(chain):
    signer = chain.signer(1)
    k2 = generate_private_key("sm2")
    assert chain.block(signer.sign(b.add_key(b.key_of("k2", k2))))[0].ok
    assert refused(chain.block(signer.sign(b.add_key(b.key_of("k2", k2))))[0], ErrKeyExists)
    rotated = generate_private_key("ed25519")
    assert chain.block(signer.sign(b.rotate_key("k1", rotated)))[0].ok
    old_signer = signer
    assert refused(chain.block(old_signer.sign(b.transfer((A2, "CNY", 1))))[0], ErrBadSignature), (
        "old key material is dead"
    )
    new_signer = Signer(CHAIN_ID, A1, [("k1", rotated)], nonce=old_signer.nonce - 1)
    assert chain.block(new_signer.sign(b.remove_key("k2")))[0].ok
    (result,) = chain.block(new_signer.sign(b.remove_key("k1")))
    assert refused(result, ErrWouldLock), "removing the last key would lock the account"
    (result,) = chain.block(new_signer.sign(b.set_threshold(5)))
    assert refused(result, ErrWouldLock)


def test_key_reset_completes_after_lock_window(chain):
    owner, recovery = chain.signer(3), chain.signer(1)
    new_key = generate_private_key("sm2")
    start = chain.app.height + 1
    (result,) = chain.block(
        recovery.sign(b.initiate_reset(A3, b.policy([b.key_of("n1", new_key)])))
    )
    assert result.ok, result.log
    pending = chain.app.query("accounts/account", {"account": A3}).value["pending_reset"]
    assert pending["due"] == start + LOCK
    (other,) = chain.block(
        chain.signer(2).sign(b.initiate_reset(A3, b.policy([b.key_of("n1", new_key)])))
    )
    assert refused(other, ErrNotRecoveryAccount)
    # During the window the old keys still sign non-asset operations but cannot move assets.
    assert refused(chain.block(owner.sign(b.transfer((A1, "CNY", 1))))[0], ErrResetLock)
    while chain.app.height < start + LOCK:
        chain.block()
    account = chain.app.query("accounts/account", {"account": A3}).value
    assert account["pending_reset"] is None
    assert [k["id"] for k in account["account"]["policy"]["keys"]] == ["n1"]
    assert account["account"]["id"] == A3, "the account id survives the reset"
    assert refused(chain.block(owner.sign(b.transfer((A1, "CNY", 1))))[0], ErrUnknownKey)
    fresh = Signer(
        CHAIN_ID, A3, [("n1", new_key)], nonce=chain.app.accounts.nonce(chain.app.state, A3)
    )
    assert chain.block(fresh.sign(b.transfer((A1, "CNY", 1))))[0].ok
    assert chain.balance(3) == 999_999


def test_key_reset_cancelled_by_old_policy(chain):
    owner, recovery = chain.signer(3), chain.signer(1)
    attacker_key = generate_private_key("ed25519")
    chain.block(recovery.sign(b.initiate_reset(A3, b.policy([b.key_of("evil", attacker_key)]))))
    assert chain.block(owner.sign(b.cancel_reset()))[0].ok
    for _ in range(LOCK + 1):
        chain.block()
    keys = chain.app.query("accounts/account", {"account": A3}).value["account"]["policy"]["keys"]
    assert [k["id"] for k in keys] == ["k1"]
    assert chain.block(owner.sign(b.transfer((A1, "CNY", 1))))[0].ok
    assert refused(chain.block(owner.sign(b.cancel_reset()))[0], ErrNoResetPending)


def test_reset_without_recovery_account_refused(chain):
    (result,) = chain.block(
        chain.signer(1).sign(b.initiate_reset(A2, b.policy([b.key_of("x", chain.keys[0])])))
    )
    assert refused(result, ErrNotRecoveryAccount)


def test_close_account_requires_empty_and_id_never_reused(chain):
    signer = chain.signer(2)
    (result,) = chain.block(signer.sign(b.close_account()))
    assert refused(result, ErrHoldsAssets) and "transfer them out" in result.log
    assert chain.block(signer.sign(b.transfer((A1, "CNY", 1_000_000)), b.close_account()))[0].ok
    closed = chain.app.query("accounts/closed").value["closed"]
    assert [c["account"] for c in closed] == [A2]
    (created,) = chain.block(
        chain.signer(1).sign(b.create_account(b.policy([b.key_of("a", chain.keys[1])])))
    )
    assert created_id(created) == account_id(4)
    assert (
        chain.app.query("accounts/account", {"account": A2}).value["account"]["status"] == "closed"
    )


def test_frozen_account_can_receive_but_not_send(chain):
    from finchain.codec import RawMsg

    chain.block(
        chain.signer(2).sign(RawMsg("testonly/set_status", {"account": A1, "status": "frozen"}))
    )
    assert chain.block(chain.signer(2).sign(b.transfer((A1, "CNY", 5))))[0].ok
    assert refused(
        chain.block(chain.signer(1).sign(b.transfer((A2, "CNY", 5))))[0], ErrAccountFrozen
    )
    chain.block(
        chain.signer(2).sign(RawMsg("testonly/set_status", {"account": A1, "status": "active"}))
    )
    assert chain.block(chain.signer(1).sign(b.transfer((A2, "CNY", 5)), nonce=0))[0].ok


@given(st.integers(min_value=1, max_value=10**10 - 1))
def test_every_account_has_exactly_one_spelling(number: int) -> None:
    """Check digits 00/01/99 pass mod 97 as aliases of 97/98/02: only the canonical one is valid."""
    canonical = account_id(number)
    assert parse_account_id(canonical) == number
    for check in range(100):
        spelled = f"FC{check:02d}{number:010d}"
        assert is_account_id(spelled) == (spelled == canonical), spelled


def test_the_status_setter_takes_an_account_status(chain):
    """What other modules call to freeze and unfreeze: typed, and closing is not theirs."""
    chain.block(chain.signer(2).sign(b.transfer((A1, "CNY", 1_000_000)), b.close_account()))
    app = chain.app
    overlay = Overlay(app.state)
    ctx = app._context(overlay, GasMeter(10**9), ExecMode.FINALIZE, app.height + 1, 0)
    app.accounts.set_status(ctx, A1, AccountStatus.FROZEN, "court order")
    assert app.accounts.status(overlay, A1) is AccountStatus.FROZEN
    assert ctx.events[-1].attributes == (
        ("account", A1),
        ("status", "frozen"),
        ("reason", "court order"),
    )
    app.accounts.set_status(ctx, A1, AccountStatus.ACTIVE, "lifted")
    assert app.accounts.status(overlay, A1) is AccountStatus.ACTIVE
    with pytest.raises(ValueError):
        app.accounts.set_status(ctx, A1, AccountStatus.CLOSED, "not through here")
    with pytest.raises(FinchainError) as err:
        app.accounts.set_status(ctx, A2, AccountStatus.ACTIVE, "reopen")
    assert ErrAccountNotActive.matches(err.value)
    assert app.accounts.status(overlay, A2) is AccountStatus.CLOSED
