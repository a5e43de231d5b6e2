"""A made-up chain in the API's block JSON, for indexer tests that need what main cannot make
yet (``compliance.alert`` events) or exact control (KYC changes mid-chain, amounts past
int64, failed txs, block-level events).

Every block is what ``GET /v1/blocks/{h}`` returns, reduced to the fields the indexer reads.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from finchain.indexer.source import ChainTip

BANKS = ("did:fc:bank-a", "did:fc:bank-b", "did:fc:bank-c")
ACCOUNTS = tuple(f"fc1acct{i}" for i in range(1, 9))  # 7 and 8 never get KYC
T0 = 1_800_000_000_000_000_000
REPORT_TYPES = ("large_value", "structuring")
HUGE = 10**25  # past int64 and past a double's exact integers


def ev(event_type: str, /, **attrs: Any) -> dict[str, Any]:
    return {"type": event_type, "attributes": [[k, str(v)] for k, v in attrs.items()]}


def block(height: int, txs: list[tuple[int, list[dict[str, Any]]]], events=()) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        "height": height,
        "time_ns": T0 + height * 1_000_000_000,
        "block_hash": f"{height:064x}",
        "tx_ids": [f"{height:032x}{i:032x}" for i in range(len(txs))],
        "results": [
            {
                "code": code,
                "codespace": "" if code == 0 else "bank",
                "log": "",
                "info": "ruleset=3",
                "events": evs,
                "cost": 1,
            }
            for code, evs in txs
        ],
        "events": list(events),
    }


def transfer(sender: str, recipient: str, amount: int, asset: str = "CNY") -> list[dict[str, Any]]:
    return [
        ev("coin_spent", account=sender, asset=asset, amount=amount),
        ev("coin_received", account=recipient, asset=asset, amount=amount),
        ev("transfer", sender=sender, recipient=recipient, asset=asset, amount=amount),
    ]


def alert(rule: str, report_type: str, sender: str, recipient: str, amount: int) -> dict[str, Any]:
    return ev(
        "compliance.alert",
        rule=rule,
        report_type=report_type,
        ruleset=3,
        tx="",
        account=sender,
        counterparty=recipient,
        asset="CNY",
        amount=amount,
        institution="",
        counterparty_institution="",
        height=0,
    )


def make_chain(seed: int, blocks: int = 40) -> list[dict[str, Any]]:
    """``blocks`` blocks: KYC at 1, KYC changes at blocks/2, random transfers, mints,
    burns, alerts, interventions and failed txs in between."""
    rng = random.Random(seed)
    chain = [
        block(
            1,
            [
                (0, [ev("kyc_recorded", account=a, issuer=BANKS[i % 3], tier=2, expires=0)])
                for i, a in enumerate(ACCOUNTS[:6])
            ],
        )
    ]
    for height in range(2, blocks + 1):
        txs: list[tuple[int, list[dict[str, Any]]]] = []
        if height == blocks // 2:
            txs.append(
                (0, [ev("kyc_recorded", account=ACCOUNTS[0], issuer=BANKS[2], tier=3, expires=0)])
            )
            txs.append((0, [ev("kyc_revoked", account=ACCOUNTS[1], issuer=BANKS[1])]))
        for _ in range(rng.randrange(0, 6)):
            sender, recipient = rng.sample(ACCOUNTS, 2)
            amount = HUGE if rng.random() < 0.05 else rng.randrange(1, 10**9)
            roll = rng.random()
            if roll < 0.1:
                txs.append((5, []))  # a failed tx: a result and no events
            elif roll < 0.15:
                txs.append(
                    (
                        0,
                        [
                            ev("coin_received", account=recipient, asset="CNY", amount=amount),
                            ev(
                                "mint",
                                minter=sender,
                                recipient=recipient,
                                asset="CNY",
                                amount=amount,
                            ),
                        ],
                    )
                )
            elif roll < 0.2:
                txs.append(
                    (
                        0,
                        [
                            ev("coin_spent", account=sender, asset="CNY", amount=amount),
                            ev("burn", burner=sender, asset="CNY", amount=amount),
                        ],
                    )
                )
            else:
                evs = transfer(sender, recipient, amount, rng.choice(("CNY", "USD")))
                if rng.random() < 0.3:
                    report_type = rng.choice(REPORT_TYPES)
                    rule = f"{report_type}-{rng.randrange(1, 3)}"
                    evs.append(alert(rule, report_type, sender, recipient, amount))
                txs.append((0, evs))
        block_events = []
        if height % 7 == 0:
            acct = rng.choice(ACCOUNTS)
            txs.append(
                (
                    0,
                    [
                        ev(
                            "intervention_proposed",
                            intervention_id=height,
                            kind="freeze",
                            account=acct,
                            proposer=ACCOUNTS[7],
                            asset="CNY",
                            amount=5,
                            order_hash="ab" * 32,
                            threshold=2,
                        )
                    ],
                )
            )
            block_events.append(
                ev("intervention_lapsed", intervention_id=height - 7, kind="freeze", account=acct)
            )
        chain.append(block(height, txs, block_events))
    return chain


@dataclass
class FakeSource:
    """A BlockSource over a list of blocks; ``tip_height`` limits what it admits to have."""

    blocks: list[dict[str, Any]]
    chain_id: str = "synthetic"
    tip_height: int | None = None
    reads: list[int] = field(default_factory=list)

    def tip(self) -> ChainTip:
        top = len(self.blocks) if self.tip_height is None else self.tip_height
        return ChainTip(self.chain_id, "cd" * 32, top)

    def block(self, height: int) -> dict[str, Any]:
        self.reads.append(height)
        return self.blocks[height - 1]

    def close(self) -> None:
        pass
