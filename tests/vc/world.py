"""A small credential world for the vc tests: a bank issuer, a holder, a trust source."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from finchain.crypto import PrivateKey, private_key_from_bytes
from finchain.formats.did import make_did
from finchain.formats.keyformats import verification_method
from finchain.offchain.vc.credentials import build_credential, issue, status_entry
from finchain.offchain.vc.statuslist import (
    StatusList,
    build_status_list_credential,
    issue_status_list_credential,
)
from finchain.offchain.vc.trust import InMemoryTrust

T0 = datetime(2025, 1, 1, tzinfo=UTC)
ISSUED = datetime(2025, 2, 1, tzinfo=UTC)
NOW = datetime(2025, 6, 1, tzinfo=UTC)
LATER = datetime(2026, 6, 1, tzinfo=UTC)
REVOCATION_URL = "https://bank.example/status/1"
SUSPENSION_URL = "https://bank.example/status/2"
KYC_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["credentialSubject"],
    "properties": {
        "credentialSubject": {
            "type": "object",
            "required": ["id", "kycTier"],
            "properties": {"kycTier": {"type": "integer", "minimum": 1, "maximum": 3}},
        }
    },
}


def did_document(
    did: str, methods: list[dict[str, Any]], **relationships: list[str]
) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did,
        "verificationMethod": methods,
        **relationships,
    }


def key(scheme: str, seed: int) -> PrivateKey:
    return private_key_from_bytes(scheme, seed.to_bytes(32, "big"))


@dataclass
class World:
    scheme: str = "ed25519"
    hash_name: str = "sha256"
    bank_did: str = make_did("testnet", 1)
    alice_did: str = make_did("testnet", 2)
    trust: InMemoryTrust = field(default_factory=InMemoryTrust)
    lists: dict[str, StatusList] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.bank_key = key(self.scheme, 11)
        self.alice_key = key(self.scheme, 12)
        self.bank_method = verification_method(
            self.bank_did, "k1", self.scheme, self.bank_key.public_key().data
        )
        alice_method = verification_method(
            self.alice_did, "k1", self.scheme, self.alice_key.public_key().data
        )
        self.trust.add_did_document(
            did_document(self.bank_did, [self.bank_method], assertionMethod=["#k1"]), since=T0
        )
        self.trust.add_did_document(
            did_document(self.alice_did, [alice_method], authentication=[f"{self.alice_did}#k1"]),
            since=T0,
        )
        self.trust.accredit(self.bank_did, "KycCredential", since=T0)
        self.schema_id = self.trust.add_schema(KYC_SCHEMA, hash_name=self.hash_name)
        for url, purpose in ((REVOCATION_URL, "revocation"), (SUSPENSION_URL, "suspension")):
            self.lists[url] = StatusList()
            self.publish(url, purpose)

    def publish(
        self, url: str, purpose: str | None = None, *, anchored: bool = True
    ) -> dict[str, Any]:
        purpose = purpose or ("revocation" if url == REVOCATION_URL else "suspension")
        unsigned = build_status_list_credential(
            list_id=url,
            issuer=self.bank_did,
            purpose=purpose,
            status=self.lists[url],
            valid_from=T0,
        )
        signed = issue_status_list_credential(
            unsigned, self.bank_key, self.bank_method, created=ISSUED
        )
        self.trust.add_status_list(
            url, signed, hash_name=self.hash_name, height=7, anchored=anchored
        )
        return signed

    def unsigned(self, **overrides: Any) -> dict[str, Any]:
        options: dict[str, Any] = {
            "issuer": self.bank_did,
            "subject": {"id": self.alice_did, "kycTier": 2},
            "types": ["KycCredential"],
            "valid_from": T0,
            "valid_until": LATER,
            "schema_id": self.schema_id,
            "status": [
                status_entry(purpose="revocation", list_url=REVOCATION_URL, index=94567),
                status_entry(purpose="suspension", list_url=SUSPENSION_URL, index=94567),
            ],
        }
        options.update(overrides)
        return build_credential(**options)

    def credential(self, **overrides: Any) -> dict[str, Any]:
        return issue(self.unsigned(**overrides), self.bank_key, self.bank_method, created=ISSUED)
