"""A chain driven in-process, block by block, the way an engine drives it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from finchain.app import ChainParams, FinalizeBlockRequest, FinalizeBlockResponse, Genesis, TxResult
from finchain.app.abci import Misbehavior
from finchain.chain import FinchainApp
from finchain.client.builders import Signer, key_of, policy
from finchain.core.ante import AnteDecorator
from finchain.crypto import PrivateKey, generate_private_key
from finchain.modules.accounts.module import genesis_account
from finchain.modules.accounts.types import account_id
from tests.testmodule import with_test_module

CHAIN_ID = "test-chain"
GENESIS_TIME = "2026-01-01T00:00:00Z"
BLOCK_NS = 1_000_000_000


def make_genesis(
    keys: Sequence[PrivateKey],
    *,
    suite: str = "intl",
    balances: Sequence[tuple[int, str, int]] = (),
    params: ChainParams | None = None,
    recovery: dict[int, int] | None = None,
    validators: Sequence[dict[str, Any]] = (),
    governance: dict[str, Any] | None = None,
) -> Genesis:
    """Genesis with one account per key (numbers 1..n) and asset CNY issued by account 1.

    ``validators`` are top-level genesis entries (``genesis_validator``);
    ``governance`` the ``app_state["governance"]`` section (members, params).
    """
    recovery = recovery or {}
    accounts = [
        genesis_account(
            i, policy([key_of("k1", k)]), account_id(recovery[i]) if i in recovery else ""
        )
        for i, k in enumerate(keys, start=1)
    ]
    app_state: dict[str, Any] = {
        "accounts": {"accounts": accounts},
        "bank": {
            "assets": [
                {
                    "symbol": "CNY",
                    "name": "Yuan",
                    "decimals": 2,
                    "max_supply": "0",
                    "issuer": account_id(1),
                    "minters": [],
                    "burners": [],
                }
            ],
            "balances": [
                {"account": account_id(n), "asset": asset, "amount": str(amount)}
                for n, asset, amount in balances
            ],
        },
    }
    if governance is not None:
        app_state["governance"] = governance
    return Genesis(
        chain_id=CHAIN_ID,
        suite=suite,
        genesis_time=GENESIS_TIME,
        params=params or ChainParams(),
        app_state=app_state,
        validators=list(validators),
    )


class Chain:
    """A FinchainApp (with the test module) plus signers for its genesis accounts."""

    def __init__(
        self,
        path: Path,
        *,
        n_accounts: int = 3,
        scheme: str = "ed25519",
        suite: str = "intl",
        funds: int = 1_000_000,
        params: ChainParams | None = None,
        recovery: dict[int, int] | None = None,
        validators: Sequence[dict[str, Any]] = (),
        governance: dict[str, Any] | None = None,
        extra_ante: Sequence[AnteDecorator] = (),
    ) -> None:
        self.path = path
        self.extra_ante = tuple(extra_ante)
        self.keys = [generate_private_key(scheme) for _ in range(n_accounts)]
        self.genesis = make_genesis(
            self.keys,
            suite=suite,
            balances=[(i, "CNY", funds) for i in range(1, n_accounts + 1)] if funds else [],
            params=params,
            recovery=recovery,
            validators=validators,
            governance=governance,
        )
        self.app = self._open()
        self.init_response = self.app.init_chain(self.genesis)
        self.time_ns = self.genesis.time_ns
        self.signers = [
            Signer(CHAIN_ID, account_id(i), [("k1", k)]) for i, k in enumerate(self.keys, start=1)
        ]

    def signer(self, number: int) -> Signer:
        return self.signers[number - 1]

    def block(self, *txs: bytes) -> list[TxResult]:
        """Finalize and commit one block holding ``txs``; return the per-tx results."""
        return list(self.finalize(*txs).tx_results)

    def finalize(
        self, *txs: bytes, misbehavior: Sequence[Misbehavior] = ()
    ) -> FinalizeBlockResponse:
        """Finalize and commit one block; return the whole response (events, validator updates)."""
        self.time_ns += BLOCK_NS
        response = self.app.finalize_block(
            FinalizeBlockRequest(
                self.app.height + 1, self.time_ns, list(txs), misbehavior=tuple(misbehavior)
            )
        )
        self.app.commit()
        return response

    def app_hash(self) -> bytes:
        return self.app.info().last_app_hash

    def balance(self, number_or_id: int | str, asset: str = "CNY") -> int:
        account = account_id(number_or_id) if isinstance(number_or_id, int) else number_or_id
        return self.app.bank.balance(self.app.state, account, asset)

    def _open(self) -> FinchainApp:
        app = with_test_module(self.path, extra_ante=self.extra_ante)
        return app

    def reopen(self) -> None:
        self.app.close()
        self.app = self._open()
