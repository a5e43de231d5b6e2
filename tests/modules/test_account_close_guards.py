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

from finchain.client import builders as b
from finchain.codec import RawMsg
from finchain.crypto import generate_private_key
from tests.harness import Chain
from tests.modules.test_credentials_chain import World, world  # noqa: F401 - fixture
from tests.modules.test_identity import A, Registry, assert_refused, deactivate, method, update_did


def status(app, account: str) -> str:
    return str(app.query("accounts/account", {"account": account}).value["account"]["status"])


def test_the_controller_account_of_an_active_did_cannot_close(tmp_path):
    reg = Registry(Chain(tmp_path / "db", funds=0))
    kept = reg.create(2, method("auth", generate_private_key("ed25519")))
    handed = reg.create(2, method("auth", generate_private_key("ed25519")))

    refused = reg.send(2, b.close_account())
    assert_refused(refused, 21)
    assert kept in refused.log and "identity/deactivate_did" in refused.log
    assert status(reg.app, A[2]) == "active"

    # Deactivating one DID and handing the other over, in the same transaction, frees it.
    result = reg.send(
        2, deactivate(kept), update_did(handed, controller_account=A[3]), b.close_account()
    )
    assert result.ok, result.log
    assert status(reg.app, A[2]) == "closed"
    assert reg.app.identity.controls(reg.app.state, handed, A[3])


def test_a_regulator_account_cannot_close_until_governance_removes_it(world: World):  # noqa: F811
    app = world.app
    held = app.bank.balance(app.state, A[2], "CNY")
    close = (b.transfer((A[1], "CNY", held)), b.close_account())

    refused = world.reg.send(2, *close)
    assert (refused.codespace, refused.code) == ("credentials", 31), refused.log
    assert "credentials/remove_regulator" in refused.log and refused.events == ()
    assert status(app, A[2]) == "active" and app.bank.balance(app.state, A[2], "CNY") == held

    # Account 2 is also a governance member, which has its own guard (gov:21).
    world.gov.pass_proposal(
        b.exec_msg(RawMsg("credentials/remove_regulator", {"account": A[2]})),
        b.remove_member(A[2]),
    )
    closed = world.reg.send(2, *close)
    assert closed.ok, closed.log
    assert status(app, A[2]) == "closed"
    assert app.check_invariants() == []
