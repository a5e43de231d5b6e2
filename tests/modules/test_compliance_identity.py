"""Identity facts reach the rules: a KYC institution sets a profile; ``verified``,
``kyc_tier``, ``institution``, ``did`` and ``jurisdiction`` as the credentials and
identity modules hold them; a transfer to an unverified identity refused with its reason.

Chain (tests/modules/test_credentials_chain.py): the bank's DID is controlled by account 1
and accredited for KYC; accounts 2, 3, 4 are regulators; account 5 is bound to its DID and
gets a tier-2 claim from the bank.
"""

from __future__ import annotations

from pathlib import Path

from finchain.client import builders as b
from finchain.client import compliance_builders as cb
from finchain.client.escrow import build_escrow, encode_link
from finchain.modules.compliance.errors import ErrDenied, ErrNotKycInstitution
from tests.harness import BLOCK_NS, CHAIN_ID
from tests.modules.compliance_world import World as ComplianceWorld
from tests.modules.compliance_world import deny, flag
from tests.modules.test_credentials_chain import KYC, World
from tests.modules.test_governance import A, make_gov


def make(tmp_path: Path) -> tuple[World, ComplianceWorld]:
    creds = World(make_gov(tmp_path))
    creds.govern(
        ("accredit_issuer", {"did": creds.bank, "name": "Bank A", "kind": "bank", "types": [KYC]}),
        *[
            (
                "add_regulator",
                {"account": a, "name": f"r{a}", "encryption_key": {"scheme": s, "public_key": k}},
            )
            for a, s, k in creds.regulators()
        ],
    )
    link = encode_link(
        account=A[5], did=creds.customer, name="Zhang San", id_number="110101199001011234",
        issuer=creds.bank, kyc_ref="kyc-1",
    )  # fmt: skip
    escrow = build_escrow(link, creds.regulators(), 1, suite="intl", chain_id=CHAIN_ID)
    recorded = creds.send(
        1, "record_kyc", issuer=creds.bank, account=A[5], subject=creds.customer, tier=2,
        expires=creds.app.last_block_time_ns + 10_000 * BLOCK_NS,
        credential_hash=b"\x42" * 32, escrow=escrow,
    )  # fmt: skip
    assert recorded.ok, recorded.log
    return creds, ComplianceWorld(creds.gov)


def test_the_kyc_institution_sets_the_profile_and_identity_reaches_the_rules(
    tmp_path: Path,
) -> None:
    creds, world = make(tmp_path)
    # account 2 does not control the bank's DID
    world.refused(ErrNotKycInstitution, 2, cb.set_profile(creds.bank, A[5], "CN", True))
    # the bank holds no claim on account 3
    world.refused(ErrNotKycInstitution, 1, cb.set_profile(creds.bank, A[3], "CN", True))
    world.ok(1, cb.set_profile(creds.bank, A[5], "CN", True))
    assert world.query("profile", account=A[5])["profile"]["set_by"] == creds.bank

    party = world.app.compliance.party(world.app.state, A[5], world.app.last_block_time_ns)
    assert (party.did, party.kyc_tier, party.institution, party.verified) == (
        creds.customer,
        2,
        creds.bank,
        True,
    )
    assert (party.jurisdiction, party.natural_person) == ("CN", True)
    unknown = world.app.compliance.party(world.app.state, A[3], world.app.last_block_time_ns)
    assert (unknown.did, unknown.kyc_tier, unknown.verified) == ("", 0, False)

    world.install(
        deny(
            "verified-only",
            "move.kind == 'transfer' && !recipient.verified",
            "the recipient is not a verified identity: ask them to complete KYC",
        ),
        flag(
            "kyc-seen",
            f"recipient.kyc_tier == 2 && recipient.institution == '{creds.bank}'"
            " && recipient.jurisdiction == 'CN' && recipient.did != ''",
        ),
    )
    refused = world.refused(ErrDenied, 1, b.transfer((A[3], "CNY", 1)))
    assert "verified-only" in refused.log and "complete KYC" in refused.log
    result = world.ok(1, b.transfer((A[5], "CNY", 1)))
    (alert,) = [e for e in result.events if e.type == "compliance_alert"]
    assert alert.get("counterparty_institution") == creds.bank
    assert alert.get("institution") == ""
