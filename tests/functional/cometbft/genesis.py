"""Genesis material shared by the CometBFT tests: funded accounts and validator keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from finchain.app import Genesis
from finchain.client.builders import Signer
from finchain.crypto import PrivateKey, generate_private_key
from finchain.engines.cometbft.validators import validator_entry
from finchain.modules.accounts.types import account_id
from tests.harness import CHAIN_ID, make_genesis

FUNDS = 1_000_000


@dataclass
class Accounts:
    """Genesis accounts 1..n, each funded with ``FUNDS`` CNY, and one signer for each.

    A signer tracks its account's next nonce, so the same object must sign all of
    that account's transactions.
    """

    keys: list[PrivateKey]
    suite: str
    signers: list[Signer] = field(init=False)

    def __post_init__(self) -> None:
        self.signers = [
            Signer(CHAIN_ID, account_id(i), [("k1", key)]) for i, key in enumerate(self.keys, 1)
        ]

    @classmethod
    def create(cls, n: int, suite: str = "intl") -> Accounts:
        scheme = "sm2" if suite == "gm" else "ed25519"
        return cls([generate_private_key(scheme) for _ in range(n)], suite)

    def app_state(self) -> dict[str, object]:
        balances = [(i, "CNY", FUNDS) for i in range(1, len(self.keys) + 1)]
        return make_genesis(self.keys, suite=self.suite, balances=balances).app_state

    def signer(self, number: int) -> Signer:
        return self.signers[number - 1]


def genesis_with_validators(
    accounts: Accounts, validator_keys: Sequence[bytes], *, power: int = 10
) -> Genesis:
    base = make_genesis(
        accounts.keys,
        suite=accounts.suite,
        balances=[(i, "CNY", FUNDS) for i in range(1, len(accounts.keys) + 1)],
    )
    return replace(
        base,
        validators=[validator_entry(f"v{i}", key, power) for i, key in enumerate(validator_keys)],
    )
