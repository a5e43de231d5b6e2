"""Verifying credentials against a live chain: DIDs, accreditation, schemas, status anchors.

Steps: a bank account registers its DID; governance accredits it for
KycTierCredential; the bank registers a schema and anchors a revocation and a
suspension list; a credential it issues verifies through ``ChainTrust``. Then
revoke, suspend and unsuspend: each status change is seen only once the new
list's digest is anchored (before that the copy does not match the chain and
the status cannot be verified).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from finchain.client import builders as b
from finchain.client import credentials_builders as cb
from finchain.client import identity_builders as ib
from finchain.client.client import Client
from finchain.client.trust import ChainTrust
from finchain.crypto import Keystore, PrivateKey, generate_private_key
from finchain.devchain.setup import DemoAsset, HomeSpec, init_home
from finchain.node.api import create_app
from finchain.node.home import Home
from finchain.node.solo import open_solo_node
from finchain.offchain.vc.credentials import build_credential, issue, status_entry
from finchain.offchain.vc.schemas import schema_id
from finchain.offchain.vc.statuslist import (
    StatusList,
    anchor_digest,
    build_status_list_credential,
    issue_status_list_credential,
)
from finchain.offchain.vc.verifier import verify_credential
from tests.client.live import serve

PASSPHRASE = "trust-test-passphrase"
KYC = "KycTierCredential"
REVOCATION = "https://bank.example/status/revocation/1"
SUSPENSION = "https://bank.example/status/suspension/1"
INDEX = 4242
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["credentialSubject"],
    "properties": {
        "credentialSubject": {
            "type": "object",
            "required": ["id", "kycTier"],
            "properties": {"kycTier": {"type": "integer", "minimum": 0, "maximum": 2}},
        }
    },
}


class Bank:
    """The chain seen by a bank that issues credentials, and the lists it publishes."""

    def __init__(self, client: Client, home: Path, ids: dict[str, str]) -> None:
        self.client = client
        keystore = Keystore(home / "keystore")
        self.operator = client.signer(
            ids["operator"], [("k1", keystore.load("operator", PASSPHRASE))]
        )
        self.account = client.signer(ids["bank"], [("k1", keystore.load("bank", PASSPHRASE))])
        self.did_key: PrivateKey = generate_private_key("ed25519")
        self.did = ""
        self.lists = {REVOCATION: StatusList(), SUSPENSION: StatusList()}
        self.versions = {REVOCATION: 0, SUSPENSION: 0}
        self.published: dict[str, dict[str, Any]] = {}

    def commit(self, signer: Any, *msgs: Any) -> Any:
        return self.client.submit_tx(signer.sign(*msgs), mode="commit")

    def register_did(self) -> None:
        receipt = self.commit(self.account, ib.create_did([ib.did_key("k1", self.did_key)]))
        (created,) = [e for e in receipt.deliver.events if e.type == "did_created"]
        self.did = dict(created.attributes)["did"]

    def get_accredited(self) -> None:
        """The operator is the only member: submit, vote, and the proposal runs 2 blocks on."""
        action = b.exec_msg(cb.accredit_issuer(self.did, "Test Bank", "bank", [KYC]))
        receipt = self.commit(self.operator, b.submit_proposal("accredit the bank", [action]))
        (submitted,) = [e for e in receipt.deliver.events if e.type == "proposal_submitted"]
        proposal_id = int(dict(submitted.attributes)["proposal_id"])
        self.commit(self.operator, b.vote(proposal_id, "yes"))
        for _ in range(3):  # instant blocks: each transaction makes one
            self.commit(self.operator, b.transfer((self.account.account, "CNY", 1)))
        status = self.client.query("gov/proposal", {"proposal_id": str(proposal_id)}).value
        assert status["status"] == "executed", status

    def method(self) -> str:
        return f"{self.did}#k1"

    def publish(self, url: str, *, anchor: bool = True) -> dict[str, Any]:
        """Sign the list's current bits; anchor its digest as the next version."""
        purpose = "revocation" if url == REVOCATION else "suspension"
        unsigned = build_status_list_credential(
            list_id=url,
            issuer=self.did,
            purpose=purpose,
            status=self.lists[url],
            valid_from=datetime.now(UTC),
        )
        signed = issue_status_list_credential(
            unsigned, self.did_key, self.method(), created=datetime.now(UTC)
        )
        self.published[url] = signed
        if anchor:
            self.versions[url] += 1
            digest = anchor_digest(signed, "sha256")
            self.commit(
                self.account,
                cb.anchor_status_list(
                    self.did, url, version=self.versions[url], digest=digest, purpose=purpose
                ),
            )
        return signed


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bank]:
    path = tmp_path_factory.mktemp("trust")
    home = Home(path / "home")
    ids = init_home(
        home,
        HomeSpec(
            chain_id="trust-test",
            suite="intl",
            passphrase=PASSPHRASE,
            account_names=("operator", "bank", "alice"),
            assets=(DemoAsset("CNY", "Yuan", 2, 1_000),),
            scrypt_n=2**4,
            governance_params={"min_validators": 1, "voting_period": 1, "execution_delay": 1},
        ),
    )
    (path / "passphrase").write_text(PASSPHRASE)
    (path / "passphrase").chmod(0o600)
    node = open_solo_node(
        home, instant=True, block_interval=0.2, passphrase_file=path / "passphrase"
    )
    node.start()
    try:
        with serve(create_app(node)) as url, Client(url, timeout=10) as client:
            chain_bank = Bank(client, home.path, ids)
            chain_bank.register_did()
            chain_bank.get_accredited()
            yield chain_bank
    finally:
        node.stop()


def kyc_credential(
    bank: Bank, *, tier: int = 2, valid_for: timedelta = timedelta(days=365)
) -> dict[str, Any]:
    now = datetime.now(UTC)
    unsigned = build_credential(
        issuer=bank.did,
        subject={"id": "did:finchain:trust-test:000000000195", "kycTier": tier},
        types=[KYC],
        valid_from=now - timedelta(seconds=1),
        valid_until=now + valid_for,
        schema_id=schema_id(SCHEMA, "sha256"),
        status=[
            status_entry(purpose="revocation", list_url=REVOCATION, index=INDEX),
            status_entry(purpose="suspension", list_url=SUSPENSION, index=INDEX),
        ],
    )
    return issue(unsigned, bank.did_key, bank.method(), created=now)


def verify(bank: Bank, credential: dict[str, Any]) -> tuple[str, ...]:
    trust = ChainTrust(bank.client, status_lists=bank.published, fetch_status_lists=False)
    return verify_credential(credential, trust, now=datetime.now(UTC)).reasons


@pytest.fixture(scope="module")
def credential(bank: Bank) -> dict[str, Any]:
    bank.commit(bank.account, cb.register_schema(bank.did, "kyc-tier", 1, KYC, SCHEMA))
    bank.publish(REVOCATION)
    bank.publish(SUSPENSION)
    return kyc_credential(bank)


def test_a_credential_verifies_against_the_chain(bank: Bank, credential: dict[str, Any]) -> None:
    assert verify(bank, credential) == ()


def test_schema_violation_and_unaccredited_type_fail(bank: Bank) -> None:
    assert "schema_invalid" in verify(bank, kyc_credential(bank, tier=3))
    other = build_credential(
        issuer=bank.did,
        subject={"id": "did:finchain:trust-test:000000000195"},
        types=["DiplomaCredential"],
        valid_from=datetime.now(UTC) - timedelta(seconds=1),
    )
    signed = issue(other, bank.did_key, bank.method(), created=datetime.now(UTC))
    assert verify(bank, signed) == ("issuer_not_accredited",)


def test_revoke_suspend_unsuspend_take_effect_at_the_anchoring_block(
    bank: Bank, credential: dict[str, Any]
) -> None:
    bank.lists[REVOCATION].set(INDEX + 1)  # someone else is revoked: not this credential
    bank.publish(REVOCATION)
    assert verify(bank, credential) == ()

    bank.lists[SUSPENSION].set(INDEX)
    bank.publish(SUSPENSION, anchor=False)
    assert verify(bank, credential) == ("status_unverifiable",), "unanchored copy accepted"
    bank.publish(SUSPENSION)
    assert verify(bank, credential) == ("suspended",)

    bank.lists[SUSPENSION].clear(INDEX)
    bank.publish(SUSPENSION)
    assert verify(bank, credential) == ()

    bank.lists[REVOCATION].set(INDEX)
    bank.publish(REVOCATION)
    assert verify(bank, credential) == ("revoked",)
    anchors = bank.client.query("credentials/status_list", {"list_id": REVOCATION}).value
    assert anchors["latest"]["version"] == bank.versions[REVOCATION] == 3
