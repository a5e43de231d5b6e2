"""Receipts from a real solo node verify offline, with the node stopped.

Steps:
1. start a ``finchain node`` (solo, ``intl``) and record one document's hash;
2. anchor a batch of 20 document hashes in one transaction (the batcher);
3. fetch both receipts through the API (``GET /v1/receipts/{tx_id}``) and
   assemble them (the batched one with the document's anchor proof); an unknown
   tx id is a 404, a malformed one a 400;
4. stop the node, then ``finchain evidence verify RECEIPT FILE --trust genesis.json``
   in a subprocess, with no URL: both are VALID, and the wrong file fails with
   ``receipts:4``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from finchain.client import Client
from finchain.client import evidence_builders as eb
from finchain.crypto import Keystore
from finchain.offchain.anchoring import anchor_hashes
from finchain.offchain.anchoring.proofs import proof_of
from finchain.offchain.receipts import dumps
from finchain.offchain.receipts.fetch import fetch_receipt
from tests.functional.conftest import PASSPHRASE
from tests.functional.framework import FINCHAIN

pytestmark = pytest.mark.functional
log = logging.getLogger(__name__)


def test_solo_receipts_verify_offline(node_factory, tmp_path):
    node, ids = node_factory(accounts=1)
    node.start()
    documents = [os.urandom(1000 + i) for i in range(20)]
    with Client(node.url, timeout=30) as client:
        key = Keystore(node.home / "keystore").load("operator", PASSPHRASE)
        signer = client.signer(ids["operator"], [("k1", key)])
        single_tx = record_one_document(client, signer, documents[0])
        anchor = anchor_a_batch(client, signer, documents)
    single = fetch_receipt(node.url, single_tx)
    batched = fetch_receipt(node.url, anchor["anchor"]["tx_id"], anchor=anchor)
    assert batched["batch"]["leaf_count"] == 20 and single["batch"] is None
    unknown = httpx.get(f"{node.url}/v1/receipts/{'00' * 32}", timeout=10)
    assert unknown.status_code == 404 and unknown.json()["codespace"] == "api"
    assert httpx.get(f"{node.url}/v1/receipts/xyz", timeout=10).status_code == 400
    node.stop()
    log.info("step 4: verify offline with the node stopped")
    genesis = node.home / "genesis.json"
    ok = verify_cli(tmp_path, single, documents[0], genesis)
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert (
        report["valid"] and {s["step"]: s["status"] for s in report["steps"]}["batch"] == "skipped"
    )
    ok = verify_cli(tmp_path, batched, documents[7], genesis)
    assert ok.returncode == 0, ok.stderr
    wrong = verify_cli(tmp_path, batched, documents[8], genesis)
    assert wrong.returncode == 1 and "[receipts:4]" in wrong.stderr


def record_one_document(client: Client, signer, document: bytes) -> str:
    log.info("step 1: record one document's hash")
    raw = signer.sign(eb.record("sha256", hashlib.sha256(document).digest(), kind="contract"))
    receipt = client.submit_tx(raw, mode="commit", timeout=20)
    assert receipt.committed and receipt.ok, receipt
    return receipt.tx_id


def anchor_a_batch(client: Client, signer, documents: list[bytes]) -> dict:
    log.info("step 2: anchor 20 document hashes in one transaction")
    hashes = [hashlib.sha256(d).digest() for d in documents]
    result = anchor_hashes(client, signer, hashes, hash_alg="sha256")
    return proof_of(result.tree, 7, hashes[7], result.anchor).to_json()


def verify_cli(
    tmp: Path, receipt: dict, document: bytes, trust: Path
) -> subprocess.CompletedProcess[str]:
    (tmp / "receipt.json").write_bytes(dumps(receipt))
    (tmp / "document.bin").write_bytes(document)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCHAIN_")}
    return subprocess.run(
        [FINCHAIN, "evidence", "verify", str(tmp / "receipt.json"), str(tmp / "document.bin"),
         "--trust", str(trust), "--json"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
