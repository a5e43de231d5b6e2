"""A chain with state in every module, run by several in-process nodes fed the same blocks.

``Network`` is what an engine does for a set of nodes: every block goes to every
node's application (finalize, then commit), and every node must reach the same
app hash. ``World`` builds a genesis with governance members, then ``populate``
puts state in every module through ordinary transactions and one governance
proposal: an account created, an asset minted and moved, DIDs (one bound to
its account), an accredited issuer with a schema and a status list, evidence
with a co-signature, a data asset with a grant and an access record; and in the
finance modules: a bond registered and issued (its coupons and redemption
scheduled), a settled DvP, a pending one (the buyer short of cash) and a
one-sided instruction waiting for its counterparty, open escrows (one
hash-locked, one half-approved with a time expiry), an invoice confirmed and
financed by a bank, a netting cycle open with obligations, an active loan
against bond collateral priced by an oracle that the same governance proposal
appointed, and a loan offered and not accepted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from finchain.app import FinalizeBlockRequest, FinalizeBlockResponse, Genesis, TxResult
from finchain.app.application import Application
from finchain.chain import AppFactory
from finchain.client import builders as b
from finchain.client import credentials_builders as cb
from finchain.client import datarights_builders as db
from finchain.client import escrow_builders as esb
from finchain.client import evidence_builders as eb
from finchain.client import identity_builders as ib
from finchain.client import lending_builders as lb
from finchain.client import netting_builders as nb
from finchain.client import receivables_builders as rb
from finchain.client import securities_builders as secb
from finchain.client import settlement_builders as sb
from finchain.client.builders import Signer
from finchain.codec import RawMsg
from finchain.crypto import PrivateKey, generate_private_key
from finchain.formats.did import make_did
from finchain.modules.accounts.types import account_id
from tests.harness import BLOCK_NS, CHAIN_ID, make_genesis

A = {n: account_id(n) for n in range(1, 7)}
ISIN = "CND100001239"  # a bond of account 1 (ISO 6166 check digit, as tests/modules use)
DAY_NS = 86_400 * 10**9
VOTING_PERIOD = 2
EXECUTION_DELAY = 1


class Network:
    """Applications over their own data directories, fed identical blocks."""

    def __init__(self, dirs: Sequence[Path], factory: AppFactory, genesis: Genesis) -> None:
        self.dirs = list(dirs)
        self.genesis = genesis
        self.apps: list[Application] = [factory(d) for d in self.dirs]
        for app in self.apps:
            app.init_chain(genesis)
        self.time_ns = genesis.time_ns
        #: every block fed to the nodes and the app hash they reached (for replay checks)
        self.history: list[tuple[FinalizeBlockRequest, bytes]] = []

    @property
    def app(self) -> Application:
        return self.apps[0]

    def reopen(self, factory: AppFactory) -> None:
        """Stop every node and start it again with ``factory`` (a new version)."""
        self.close()
        self.apps = [factory(d) for d in self.dirs]

    def close(self) -> None:
        for app in self.apps:
            app.close()

    def block(self, *txs: bytes) -> FinalizeBlockResponse:
        self.time_ns += BLOCK_NS
        request = FinalizeBlockRequest(self.app.height + 1, self.time_ns, list(txs))
        responses = []
        for app in self.apps:
            responses.append(app.finalize_block(request))
            app.commit()
        hashes = {r.app_hash for r in responses}
        assert len(hashes) == 1, f"nodes disagree at height {request.height}: {hashes}"
        self.history.append((request, responses[0].app_hash))
        return responses[0]


class World:
    """Six accounts (1..4 governance members), and the steps ``populate`` is written in."""

    def __init__(self, tmp_path: Path, factory: AppFactory, *, nodes: int = 1) -> None:
        self.keys: list[PrivateKey] = [generate_private_key("ed25519") for _ in range(6)]
        governance = {
            "members": [{"account": A[n], "name": f"bank-{n}", "weight": 1} for n in (1, 2, 3, 4)],
            "params": {
                "voting_period": VOTING_PERIOD,
                "execution_delay": EXECUTION_DELAY,
                "pass_threshold": "2/3",
                "quorum": "1/2",
                "min_validators": 1,
            },
        }
        self.genesis = make_genesis(
            self.keys, balances=[(n, "CNY", 1_000_000) for n in range(1, 7)], governance=governance
        )
        self.net = Network([tmp_path / f"node{i}" for i in range(nodes)], factory, self.genesis)
        self.dids: dict[int, str] = {}

    @property
    def app(self) -> Application:
        return self.net.app

    def tx(self, who: int, *msgs: RawMsg) -> bytes:
        """A tx by account ``who`` with its committed nonce (one tx per account per block)."""
        keeper = self.app.accounts  # type: ignore[attr-defined]
        signer = Signer(
            CHAIN_ID,
            A[who],
            [("k1", self.keys[who - 1])],
            nonce=keeper.nonce(self.app.state, A[who]),
        )
        return signer.sign(*msgs)

    def block(self, *txs: bytes) -> tuple[TxResult, ...]:
        results = self.net.block(*txs).tx_results
        assert all(r.ok for r in results), [(r.codespace, r.code, r.log) for r in results]
        return results

    def query(self, path: str, **params: Any) -> Any:
        return self.app.query(path, params).value

    def govern(self, *msgs: RawMsg) -> None:
        """Pass a proposal executing ``msgs`` (3 of 4 members vote yes) and run to execution."""
        next_id = self.query("gov/proposals")["proposals"]
        proposal_id = len(next_id) + 1
        self.block(self.tx(1, b.submit_proposal("govern", [b.exec_msg(m) for m in msgs])))
        self.block(*(self.tx(n, b.vote(proposal_id, "yes")) for n in (1, 2, 3)))
        while self.query("gov/proposal", proposal_id=proposal_id)["status"] not in (
            "executed",
            "failed",
        ):
            self.block()
        status = self.query("gov/proposal", proposal_id=proposal_id)
        assert status["status"] == "executed", status

    def populate(self) -> None:
        """State in every module, through transactions and one governance proposal."""
        doc = hashlib.sha256(b"contract 2026-001").digest()
        self.block(
            self.tx(1, b.create_account(b.policy([b.key_of("k1", generate_private_key("sm2"))]))),
            self.tx(2, b.create_asset("USD", "Dollar", 2, max_supply=10**12)),
            self.tx(3, b.transfer((A[4], "CNY", 250), (A[5], "CNY", 1))),
            self.tx(4, ib.create_did([ib.did_key("k1", self.keys[3])])),
            self.tx(
                5,
                ib.create_did(
                    [
                        ib.did_key("k1", self.keys[4]),
                        ib.did_key("ka", generate_private_key("sm2"), ["keyAgreement"]),
                    ]
                ),
            ),
            self.tx(6, eb.record("sha256", doc, kind="contract", cosigners=[A[5]])),
        )
        self.dids = {4: make_did(CHAIN_ID, 1), 5: make_did(CHAIN_ID, 2)}
        self.block(
            self.tx(2, b.mint("USD", A[3], 5_000)),
            self.tx(5, eb.cosign("sha256", doc)),
            self.tx(
                4,
                db.register_asset(
                    self.dids[4],
                    hashlib.sha256(b"data v1").digest(),
                    hashlib.sha256(b"key v1").digest(),
                    title="customer ledger",
                    purposes=["audit", "credit"],
                ),
            ),
        )
        self.govern(
            cb.accredit_issuer(self.dids[5], "Bank B", "bank", ["KycTierCredential"]),
            RawMsg("upgrade/schedule", {"name": "far-future", "height": 10**9}),
            lb.appoint_oracle(A[6], 10**7),
        )
        schema = {"type": "object", "properties": {"tier": {"type": "integer"}}}
        self.block(
            self.tx(5, cb.register_schema(self.dids[5], "kyc", 1, "KycTierCredential", schema)),
            self.tx(
                4,
                db.grant(
                    1,
                    self.dids[5],
                    purposes=["audit"],
                    not_before=self.net.time_ns,
                    not_after=self.net.time_ns + 10**15,
                    key_id="ka",
                    wrapped_key=bytes(range(48)),
                ),
            ),
        )
        self.block(self.tx(5, db.record_access(1, self.dids[5], purpose="audit", version=1)))
        self.populate_finance()

    def populate_finance(self) -> None:
        """State in the finance modules (after ``populate``'s first steps, whose proposal made
        account 6 the lending oracle). The loan's collateral is bond units, so that the USD
        and CNY holdings other tests move stay spendable."""
        now = self.net.time_ns
        bond = secb.register_bond(
            ISIN,
            "CGB 2027",
            cash_asset="CNY",
            face_value=1_000,
            coupon_bps=250,
            day_count="ACT/365F",
            issue_date="2026-01-01",
            maturity_date="2027-01-01",
            coupon_dates=["2026-07-01"],
            remainder_account=A[5],
        )
        invoice = hashlib.sha256(b"invoice INV-1").digest()
        self.block(
            self.tx(1, bond),
            self.tx(2, nb.open_cycle("CNY", [A[2], A[3], A[4]], close_height=10**6)),
            self.tx(
                4, rb.register(A[5], "CNY", 50_000, now + 90 * DAY_NS, "sha256", invoice, "INV-1")
            ),
        )
        self.block(
            self.tx(1, secb.issue(ISIN, A[2], 100)),
            self.tx(2, nb.submit(1, "CNY", [(A[3], 700), (A[4], 200)])),
            self.tx(3, nb.submit(1, "CNY", [(A[2], 500)])),
            self.tx(5, rb.confirm(1)),
            self.tx(
                6,
                esb.create(
                    A[5],
                    "CNY",
                    1_000,
                    hash_lock=esb.hash_lock("sha256", b"s1"),
                    expiry_height=10**6,
                    reference="E-1",
                ),
            ),
        )
        settled = sb.instruction(
            "DVP-1",
            "dvp",
            [sb.leg(A[2], A[3], ISIN, 10), sb.leg(A[3], A[2], "CNY", 10_100)],
            deadline_height=10**6,
        )
        short = sb.instruction(
            "DVP-2",
            "dvp",
            [sb.leg(A[2], A[4], ISIN, 5), sb.leg(A[4], A[2], "CNY", 5 * 10**6)],
            deadline_height=10**6,
        )
        self.block(
            self.tx(2, sb.settle(settled, [sb.endorse(CHAIN_ID, settled, self.signer(3))])),
            self.tx(4, rb.offer(1, A[6], 49_000)),
            self.tx(6, lb.post_price(ISIN, "CNY", 1_000, 1, self.net.time_ns)),
            self.tx(
                1,
                lb.offer(
                    A[2],
                    "CNY",
                    1_000,
                    rate_bps=300,
                    schedule="bullet",
                    due_times=[now + 180 * DAY_NS],
                    collateral_asset=ISIN,
                    collateral=10,
                    max_ltv_bps=6_000,
                    margin_ltv_bps=8_000,
                    margin_cure_s=86_400,
                    grace_s=86_400,
                ),
            ),
        )
        self.block(
            self.tx(2, sb.settle(short, [sb.endorse(CHAIN_ID, short, self.signer(4))])),
            self.tx(6, rb.accept(1, "CNY", 49_000)),
        )
        unmatched = sb.instruction(
            "DVP-3",
            "dvp",
            [sb.leg(A[3], A[5], ISIN, 1), sb.leg(A[5], A[3], "CNY", 1_010)],
            settle_height=10**5,
            deadline_height=10**6,
        )
        self.block(
            self.tx(2, lb.accept(1)),
            self.tx(3, sb.instruct(unmatched, A[5])),
            self.tx(
                5,
                esb.create(
                    A[4],
                    "CNY",
                    500,
                    approvers=[A[1], A[2]],
                    threshold=2,
                    expiry_time=now + 30 * DAY_NS,
                    reference="E-2",
                ),
            ),
            self.tx(
                1,
                lb.offer(
                    A[4],
                    "CNY",
                    2_000,
                    rate_bps=0,
                    schedule="equal_principal",
                    due_times=[now + 100 * DAY_NS, now + 200 * DAY_NS],
                    collateral_asset="USD",
                    collateral=5_000,
                    max_ltv_bps=6_000,
                    margin_ltv_bps=8_000,
                    margin_cure_s=0,
                    grace_s=0,
                ),
            ),
        )
        escrows = self.app.escrow.escrows(self.app.state)  # type: ignore[attr-defined]
        half = next(e.id for e in escrows if e.reference == "E-2")  # lending may hold escrows too
        self.block(self.tx(1, esb.approve(half)))

    def signer(self, who: int) -> Signer:
        """Account ``who``'s signer (for endorsements; ``tx`` signs transactions)."""
        return Signer(CHAIN_ID, A[who], [("k1", self.keys[who - 1])])
