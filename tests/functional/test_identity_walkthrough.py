"""Digital identity end to end through the ``finchain`` CLI against a real node process.

Steps (every one a ``finchain`` subprocess, except governance, which has no CLI):
1. the bank (account a1) creates a DID; governance (the operator, sole member)
   accredits it for ``KycTierCredential`` and registers regulator a3, by an ``exec`` proposal;
2. the bank creates and anchors a revocation and a suspension status list;
3. the customer (a2) creates a DID and binds it to its account;
4. the bank issues a KYC credential (``vc issue``); a verifier written here from the
   specs alone (JCS, Ed25519, base58btc, SHA-256) checks its eddsa-jcs-2022 proof;
5. the bank records the KYC claim with the identity escrowed to the regulators;
6. the customer presents the credential; the verifier checks the presentation;
7. tampered, expired and non-accredited credentials fail ``vc verify``, each with its reason;
8. suspend, unsuspend and revoke: the verifier sees each change after its anchoring block;
9. the regulator asks for and opens the escrowed identity (m = 1), leaving an audit record.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import base58
import httpx
import nacl.signing
import pytest
import rfc8785

from finchain.client import Client
from finchain.client import builders as b
from finchain.client import credentials_builders as cb
from finchain.crypto import Keystore
from finchain.crypto.sealing import encryption_public_key
from tests.functional.conftest import PASSPHRASE
from tests.functional.framework import FINCHAIN, TestNode
from tests.support import TIMEOUT_FACTOR, wait_until

pytestmark = pytest.mark.functional
KYC = "KycTierCredential"
REVOCATION_URL = "https://bank.example/status/revocation-1"
SUSPENSION_URL = "https://bank.example/status/suspension-1"
CHALLENGE, DOMAIN = "c-8f2e1d", "verifier.example"


class Cli:
    """``finchain …`` as a subprocess with the node's home and URL; ``ok`` parses --json."""

    def __init__(self, node: TestNode) -> None:
        self.env = {
            **os.environ,
            "FINCHAIN_HOME": str(node.home),
            "FINCHAIN_URL": node.url,
            "FINCHAIN_PASSPHRASE": PASSPHRASE,
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [FINCHAIN, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60 * TIMEOUT_FACTOR,
            check=False,
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def ok(self, *args: str) -> Any:
        done = self.run(*args, "--json")
        assert done.returncode == 0, f"finchain {' '.join(args)}: {done.stderr}{done.stdout}"
        return json.loads(done.stdout)

    def fails(self, *args: str) -> dict[str, Any]:
        done = self.run(*args, "--json")
        assert done.returncode == 1, f"finchain {' '.join(args)} should fail: {done.stdout}"
        return dict(json.loads(done.stdout))


# -- the independent verifier: W3C vc-di-eddsa (eddsa-jcs-2022) from the spec, no finchain --


def independent_verify(credential: dict[str, Any], resolver_url: str) -> bool:
    proof = dict(credential["proof"])
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    signature_text = proof.pop("proofValue")
    assert signature_text.startswith("z")
    signature = base58.b58decode(signature_text[1:])
    document = {k: v for k, v in credential.items() if k != "proof"}
    proof_config = {**proof, "@context": document["@context"]}
    hash_data = (
        hashlib.sha256(rfc8785.dumps(proof_config)).digest()
        + hashlib.sha256(rfc8785.dumps(document)).digest()
    )
    method_id = proof["verificationMethod"]
    did = method_id.split("#", 1)[0]
    assert did == credential["issuer"]
    resolved = httpx.get(f"{resolver_url}/1.0/identifiers/{did}", timeout=10).json()
    doc = resolved["didDocument"]
    assert method_id in doc["assertionMethod"]
    (method,) = [m for m in doc["verificationMethod"] if m["id"] == method_id]
    assert method["type"] == "Multikey" and method["publicKeyMultibase"].startswith("z")
    raw = base58.b58decode(method["publicKeyMultibase"][1:])
    assert raw[:2] == b"\xed\x01" and len(raw) == 34
    try:
        nacl.signing.VerifyKey(raw[2:]).verify(hash_data, signature)
    except nacl.exceptions.BadSignatureError:
        return False
    return True


# -- steps ------------------------------------------------------------------------------


def configure_governance(home: Path) -> None:
    """One member (the operator); a proposal passes with its vote and runs at once."""
    path = home / "genesis.json"
    genesis = json.loads(path.read_text())
    genesis["app_state"]["governance"]["params"].update(voting_period=2, execution_delay=0)
    path.write_text(json.dumps(genesis, indent=2))


def govern(node: TestNode, ids: dict[str, str], bank_did: str) -> None:
    keys = Keystore(node.home / "keystore")
    scheme, public = encryption_public_key(keys.info("a3").public_key)
    actions = [
        b.exec_msg(cb.accredit_issuer(bank_did, "Bank A", "bank", [KYC])),
        b.exec_msg(cb.add_regulator(ids["a3"], "regulator", scheme, public)),
        b.exec_msg(cb.set_credentials_params(1, 100)),
    ]
    with Client(node.url) as client:
        operator = client.signer(ids["operator"], [("k1", keys.load("operator", PASSPHRASE))])
        submitted = client.submit_tx(
            operator.sign(b.submit_proposal("accredit Bank A", actions)), mode="commit"
        )
        assert submitted.deliver is not None and submitted.ok, submitted
        (event,) = [e for e in submitted.deliver.events if e.type == "proposal_submitted"]
        pid = int(event.get("proposal_id") or 0)
        client.submit_tx(operator.sign(b.vote(pid, "yes")), mode="commit")

        def executed() -> bool:
            found = client.query("gov/proposal", {"proposal_id": str(pid)}).value
            assert found["status"] not in ("rejected", "failed"), found
            return bool(found["status"] == "executed")

        wait_until(executed, timeout=30, what="the accreditation proposal to execute")


def reasons(result: dict[str, Any]) -> list[str]:
    return list(result["reasons"])


def test_identity_walkthrough(node_factory: Any, tmp_path: Path) -> None:
    node, ids = node_factory(accounts=3)
    configure_governance(node.home)
    node.start()
    cli = Cli(node)
    files = tmp_path / "files"
    files.mkdir()

    # 1. the bank's DID, accredited by governance
    bank = cli.ok("did", "create", "--from", "a1")["did"]
    assert bank.startswith("did:finchain:functional:")
    govern(node, ids, bank)

    # 2. status lists, anchored at version 1
    rev, susp = files / "revocation.json", files / "suspension.json"
    for path, url, purpose in (
        (rev, REVOCATION_URL, "revocation"),
        (susp, SUSPENSION_URL, "suspension"),
    ):
        cli.ok(
            "vc",
            "status-list",
            "create",
            "--issuer",
            bank,
            "--key",
            "a1",
            "--id",
            url,
            "--purpose",
            purpose,
            "--out",
            str(path),
        )
        assert cli.ok("vc", "status-list", "publish", str(path), "--from", "a1")["version"] == 1

    # 3. the customer's DID, bound to its account
    customer = cli.ok("did", "create", "--from", "a2")["did"]
    bound = cli.ok("did", "bind", customer, "--from", "a2", "--did-key", "a2")
    assert bound["code"] == 0 and bound["account"] == ids["a2"]
    shown = cli.ok("did", "show", customer)
    assert shown["didDocument"]["id"] == customer

    # 4. the KYC credential, checked by the independent verifier
    credential = files / "kyc.json"
    issued = cli.ok(
        "vc",
        "issue",
        "--issuer",
        bank,
        "--key",
        "a1",
        "--subject",
        customer,
        "--type",
        KYC,
        "--claims",
        '{"kycTier": 2}',
        "--status-list",
        REVOCATION_URL,
        "--status-list",
        SUSPENSION_URL,
        "--purpose",
        "revocation",
        "--purpose",
        "suspension",
        "--status-index",
        "42",
        "--out",
        str(credential),
    )
    assert issued["cryptosuite"] == "eddsa-jcs-2022"
    document = json.loads(credential.read_text())
    assert independent_verify(document, node.url)
    tampered_doc = json.loads(credential.read_text())
    tampered_doc["credentialSubject"]["kycTier"] = 3
    assert not independent_verify(tampered_doc, node.url)
    lists = ("--status-list", str(rev), "--status-list", str(susp))
    assert cli.ok("vc", "verify", str(credential), *lists)["verified"] is True

    # 5. the KYC claim, identity escrowed
    expires = (datetime.now(UTC) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    identity = '{"name": "Zhang San", "id_number": "110101199001011234", "kyc_ref": "kyc-1"}'
    recorded = cli.ok(
        "kyc",
        "record",
        "--issuer",
        bank,
        "--account",
        "a2",
        "--subject",
        customer,
        "--tier",
        "2",
        "--expires",
        expires,
        "--credential",
        str(credential),
        "--identity",
        identity,
        "--from",
        "a1",
    )
    assert recorded["code"] == 0 and Path(recorded["salt_file"]).is_file()
    assert cli.ok("kyc", "show", "a2")["tier"] == 2

    # 6. presentation to a verifier
    vp = files / "vp.json"
    cli.ok(
        "vc",
        "present",
        "--holder",
        customer,
        "--key",
        "a2",
        "--challenge",
        CHALLENGE,
        "--domain",
        DOMAIN,
        str(credential),
        "--out",
        str(vp),
    )
    checked = cli.ok(
        "vc", "verify-presentation", str(vp), "--challenge", CHALLENGE, "--domain", DOMAIN, *lists
    )
    assert checked["verified"] is True and len(checked["credentials"]) == 1
    wrong = cli.fails(
        "vc", "verify-presentation", str(vp), "--challenge", "other", "--domain", DOMAIN, *lists
    )
    assert reasons(wrong) == ["challenge_mismatch"]

    # 7. tampered, expired, non-accredited: each fails with its own reason
    tampered = files / "tampered.json"
    tampered.write_text(json.dumps(tampered_doc))
    assert reasons(cli.fails("vc", "verify", str(tampered), *lists)) == ["proof_invalid"]

    short = files / "short.json"
    until = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cli.ok(
        "vc",
        "issue",
        "--issuer",
        bank,
        "--key",
        "a1",
        "--subject",
        customer,
        "--type",
        KYC,
        "--valid-until",
        until,
        "--out",
        str(short),
    )
    assert cli.ok("vc", "verify", str(short))["verified"] is True
    assert reasons(cli.fails("vc", "verify", str(short), "--at", later)) == ["expired"]

    rogue = files / "rogue.json"
    cli.ok(
        "vc",
        "issue",
        "--issuer",
        customer,
        "--key",
        "a2",
        "--subject",
        customer,
        "--type",
        KYC,
        "--out",
        str(rogue),
    )
    assert reasons(cli.fails("vc", "verify", str(rogue))) == ["issuer_not_accredited"]

    # 8. suspend, unsuspend, revoke: each seen once anchored
    stale = files / "suspension-v1.json"
    stale.write_text(susp.read_text())
    change = ("--key", "a1", "--from", "a1")
    assert cli.ok("vc", "suspend", str(credential), "--list", str(susp), *change)["version"] == 2
    assert reasons(cli.fails("vc", "verify", str(credential), *lists)) == ["suspended"]
    old = ("--status-list", str(rev), "--status-list", str(stale))
    assert reasons(cli.fails("vc", "verify", str(credential), *old)) == ["status_unverifiable"]
    assert cli.ok("vc", "unsuspend", str(credential), "--list", str(susp), *change)["version"] == 3
    assert cli.ok("vc", "verify", str(credential), *lists)["verified"] is True
    assert cli.ok("vc", "revoke", str(credential), "--list", str(rev), *change)["version"] == 2
    assert reasons(cli.fails("vc", "verify", str(credential), *lists)) == ["revoked"]
    revoked_vp = cli.fails(
        "vc", "verify-presentation", str(vp), "--challenge", CHALLENGE, "--domain", DOMAIN, *lists
    )
    assert reasons(revoked_vp) == ["credential_invalid", "revoked"]

    # 9. de-anonymisation by the regulator (threshold 1: granted at once), audited
    requested = cli.ok(
        "kyc",
        "disclose",
        "request",
        "--issuer",
        bank,
        "--account",
        "a2",
        "--reason",
        "AML case 7",
        "--from",
        "a3",
    )
    opened = cli.ok(
        "kyc", "disclose", "open", str(requested["request_id"]), "--enc-key", "a3", "--as", "a3"
    )
    assert opened["name"] == "Zhang San" and opened["account"] == ids["a2"]
    with Client(node.url) as client:
        audit = client.query("credentials/audit", {"issuer": bank}).value["audit"]
    assert [a["requester"] for a in audit] == [ids["a3"]]
