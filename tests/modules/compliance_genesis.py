"""A chain whose genesis already holds an active rule set (no governance steps: fast)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from finchain.app import FinalizeBlockRequest
from finchain.chain import FinchainApp
from finchain.client.builders import Signer
from finchain.crypto import generate_private_key
from finchain.modules.accounts.types import account_id
from finchain.modules.compliance.types import ACTIVE, Rule, RuleSet
from tests.harness import BLOCK_NS, CHAIN_ID, make_genesis


class RuledChain:
    """Accounts 1..n funded with CNY; rule set 1 (``rules``) active from genesis."""

    def __init__(
        self,
        path: Path,
        rules: Sequence[dict[str, Any]],
        *,
        n_accounts: int = 4,
        funds: int = 1_000_000,
        compliance: dict[str, Any] | None = None,
    ) -> None:
        keys = [generate_private_key("ed25519") for _ in range(n_accounts)]
        genesis = make_genesis(keys, balances=[(i, "CNY", funds) for i in range(1, n_accounts + 1)])
        section: dict[str, Any] = dict(compliance or {})
        if rules:
            ruleset = RuleSet(1, account_id(1), tuple(Rule.from_json(r) for r in rules), ACTIVE, 0)
            section |= {"rulesets": [ruleset.to_json()], "active": 1}
        genesis.app_state["compliance"] = section
        self.app = FinchainApp(path)
        self.app.init_chain(genesis)
        self.time_ns = genesis.time_ns
        self.signers = [
            Signer(CHAIN_ID, account_id(i), [("k1", k)]) for i, k in enumerate(keys, start=1)
        ]

    def tx(self, who: int, *msgs: Any) -> bytes:
        signer = self.signers[who - 1]
        signer.nonce = self.app.accounts.nonce(self.app.state, account_id(who))
        return signer.sign(*msgs)

    def block(self, *txs: bytes, time_ns: int | None = None) -> list[Any]:
        """Finalize and commit one block (at ``time_ns``, else 1 s after the last)."""
        self.time_ns = time_ns if time_ns is not None else self.time_ns + BLOCK_NS
        response = self.app.finalize_block(
            FinalizeBlockRequest(self.app.height + 1, self.time_ns, list(txs))
        )
        self.app.commit()
        return list(response.tx_results)
