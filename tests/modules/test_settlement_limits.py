"""Settlement under attack: running out of budget is not a bad endorsement."""

from __future__ import annotations

from typing import Any

from finchain.app import ChainParams
from finchain.client import settlement_builders as sb
from finchain.client.builders import Signer
from finchain.core import gas
from finchain.core.errors import ErrOutOfBudget
from finchain.modules.accounts.types import account_id
from finchain.modules.settlement.errors import ErrBadEndorsement
from tests.harness import CHAIN_ID, Chain
from tests.modules.test_settlement import refused

A1, A2 = (account_id(n) for n in (1, 2))


# -- out of budget while checking an endorsement ------------------------------------------------


def test_running_out_of_budget_in_an_endorsement_check_is_not_a_bad_endorsement(tmp_path):
    deal = sb.instruction("G-1", "fop", [sb.leg(A2, A1, "CNY", 500)], deadline_height=100)

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
