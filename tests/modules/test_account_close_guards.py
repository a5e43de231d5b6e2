"""Closing an account that other modules still depend on, through real blocks.

A closed account never signs again. So the identity module refuses to let the
controller account of an active DID close (nobody could rotate, deactivate or
revoke for that DID any more), and the credentials module refuses to let a
regulator's account close (it would stay in the set every escrow is sealed to,
bypassing the threshold check of ``remove_regulator``); governance refuses a
member's (tests/modules/test_governance.py). Each refusal leaves
the account open and its balance where it was; doing what the message says
makes the same close pass.
"""

from __future__ import annotations

from finchain.app import TxResult
from finchain.client import builders as b
from finchain.codec import RawMsg
from finchain.core.authority import AccountStatus
from finchain.crypto import generate_private_key
from finchain.errors import ErrorCode, lookup
from finchain.modules.credentials.errors import ErrRegulatorCloses
from finchain.modules.identity.errors import ErrControllerCloses
from tests.harness import Chain
from tests.modules.test_credentials_chain import World, world  # noqa: F401 - fixture
from tests.modules.test_identity import A, Registry, deactivate, method, update_did


def status(app, account: str) -> AccountStatus:
    return AccountStatus(
        app.query("accounts/account", {"account": account}).value["account"]["status"]
    )


def refused(result: TxResult, error: ErrorCode) -> bool:
    """Refused with exactly ``error``, and nothing happened (no events)."""
    return lookup(result.codespace, result.code) is error and result.events == ()


def test_the_controller_account_of_an_active_did_cannot_close(tmp_path):
    reg = Registry(Chain(tmp_path / "db", funds=0))
    kept = reg.create(2, method("auth", generate_private_key("ed25519")))
    handed = reg.create(2, method("auth", generate_private_key("ed25519")))

    result = reg.send(2, b.close_account())
    assert refused(result, ErrControllerCloses), result.log
    assert kept in result.log and "identity/deactivate_did" in result.log
    assert status(reg.app, A[2]) is AccountStatus.ACTIVE

    # Deactivating one DID and handing the other over, in the same transaction, frees it.
    result = reg.send(
        2, deactivate(kept), update_did(handed, controller_account=A[3]), b.close_account()
    )
    assert result.ok, result.log
    assert status(reg.app, A[2]) is AccountStatus.CLOSED
    assert reg.app.identity.controls(reg.app.state, handed, A[3])


def test_a_regulator_account_cannot_close_until_governance_removes_it(world: World):  # noqa: F811
    app = world.app
    held = app.bank.balance(app.state, A[2], "CNY")
    close = (b.transfer((A[1], "CNY", held)), b.close_account())

    result = world.reg.send(2, *close)
    assert refused(result, ErrRegulatorCloses), result.log
    assert "credentials/remove_regulator" in result.log
    assert status(app, A[2]) is AccountStatus.ACTIVE
    assert app.bank.balance(app.state, A[2], "CNY") == held

    # Account 2 is also a governance member, which has its own guard (gov:21).
    world.gov.pass_proposal(
        b.exec_msg(RawMsg("credentials/remove_regulator", {"account": A[2]})),
        b.remove_member(A[2]),
    )
    closed = world.reg.send(2, *close)
    assert closed.ok, closed.log
    assert status(app, A[2]) is AccountStatus.CLOSED
    assert app.check_invariants() == []
