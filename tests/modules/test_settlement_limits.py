"""Settlement under attack: an endorsement names its submitter; a payer in a key-reset lock
window is held; running out of budget is not a bad endorsement."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from finchain.app import ChainParams
from finchain.client import builders as b
from finchain.client import settlement_builders as sb
from finchain.client.builders import Signer
from finchain.core import gas
from finchain.core.errors import ErrOutOfBudget
from finchain.crypto import generate_private_key
from finchain.modules.accounts.types import account_id
from finchain.modules.settlement.errors import ErrBadEndorsement, ErrWrongSubmitter
from tests.harness import CHAIN_ID, Chain
from tests.modules.test_settlement import dvp, query, refused

A1, A2, A3 = (account_id(n) for n in (1, 2, 3))


@pytest.fixture
def chain(tmp_path) -> Chain:
    """Four banks with 1,000,000 CNY each; bank 1 holds 1,000 BOND."""
    chain = Chain(tmp_path / "db", n_accounts=4)
    results = chain.block(
        chain.signer(1).sign(b.create_asset("BOND", "A bond", 0), b.mint("BOND", A1, 1_000))
    )
    assert all(r.ok for r in results), results
    return chain


# -- an endorsement authorises one submitter ----------------------------------------------------


def test_a_front_runner_cannot_submit_someone_elses_endorsed_instruction(chain):
    deal = sb.instruction(
        "T-1", "fop", [sb.leg(A2, A1, "CNY", 500)], submitter=A1, settle_height=50,
        deadline_height=100,
    )  # fmt: skip
    endorsement = sb.endorse(CHAIN_ID, deal, chain.signer(2))
    front = chain.signer(3).sign(sb.settle(deal, [endorsement]))
    intended = chain.signer(1).sign(sb.settle(deal, [endorsement]))
    r_front, r_intended = chain.block(front, intended)
    refused(r_front, ErrWrongSubmitter)
    assert A1 in r_front.log and A3 in r_front.log
    assert r_intended.ok, r_intended.log
    assert query(chain, "settlement/instruction", id=1)["signers"] == sorted([A1, A2])
    # Naming itself instead breaks bank 2's signature.
    stolen = chain.signer(3).sign(sb.settle(replace(deal, submitter=A3), [endorsement]))
    refused(chain.block(stolen)[0], ErrBadEndorsement)


def test_the_builder_names_the_first_legs_sender_by_default():
    assert dvp().submitter == A1
    assert dvp(submitter=A3).submitter == A3
    assert dvp(submitter=A3).sign_bytes(CHAIN_ID) != dvp().sign_bytes(CHAIN_ID)


# -- a key-reset lock window holds the payer's legs ---------------------------------------------


def test_a_payer_in_a_key_reset_lock_window_is_held_pending(tmp_path):
    chain = Chain(
        tmp_path / "db", n_accounts=3, recovery={3: 1}, params=ChainParams(reset_lock_blocks=20)
    )
    deal = sb.instruction(
        "X-1", "fop", [sb.leg(A3, A2, "CNY", 900_000)], settle_height=5, deadline_height=500
    )
    sides = chain.block(
        chain.signer(3).sign(sb.instruct(deal, A2)), chain.signer(2).sign(sb.instruct(deal, A3))
    )  # height 1: matched, due at 5
    assert all(r.ok for r in sides), sides
    policy = b.policy([b.key_of("n1", generate_private_key("ed25519"))])
    (reset,) = chain.block(chain.signer(1).sign(b.initiate_reset(A3, policy)))  # 2: due 22
    assert reset.ok, reset.log
    chain.block()  # 3
    chain.block()  # 4
    response = chain.finalize()  # 5: due, but the payer is in its lock window
    pending = [e for e in response.events if e.type == "settlement_pending"]
    assert pending and "key-reset" in dict(pending[0].attributes)["reason"]
    assert chain.balance(3) == 1_000_000 and chain.balance(2) == 1_000_000
    found = query(chain, "settlement/instruction", id=1)
    assert found["status"] == "pending" and "key-reset" in found["reason"]


# -- out of budget while checking an endorsement ------------------------------------------------


def test_running_out_of_budget_in_an_endorsement_check_is_not_a_bad_endorsement(tmp_path):
    deal = sb.instruction(
        "G-1", "fop", [sb.leg(A2, A1, "CNY", 500)], submitter=A1, deadline_height=100
    )

    def send(chain: Chain, key_id: str) -> Any:
        endorser = Signer(CHAIN_ID, A2, [(key_id, chain.keys[1])])
        endorsement = sb.endorse(CHAIN_ID, deal, endorser)
        (result,) = chain.block(chain.signer(1).sign(sb.settle(deal, [endorsement])))
        return result

    # An endorsement by a key bank 2 does not hold is refused before its signature is
    # charged: that refusal's cost is what the transaction has spent up to the charge.
    probe = Chain(tmp_path / "probe", n_accounts=2)
    unknown_key = send(probe, "k9")
    refused(unknown_key, ErrBadEndorsement)
    # The same transaction, validly endorsed, with a budget that ends inside that charge.
    limit = unknown_key.cost + gas.SIG_VERIFY["ed25519"] // 2
    chain = Chain(tmp_path / "db", n_accounts=2, params=ChainParams(max_tx_cost=limit))
    result = send(chain, "k1")
    assert (result.codespace, result.code) == (ErrOutOfBudget.codespace, ErrOutOfBudget.code)
    assert "verifying signatures" in result.log
    assert send(probe, "k1").ok  # and with the default budget it settles
