"""Receipts from a 4-validator CometBFT testnet verify offline against the genesis validators.

Steps (one network start):
1. start 4 validators and record a document's hash through one node's API;
2. fetch the receipt from another node (``GET /v1/receipts/{tx_id}``): its commit
   holds the validators' precommits for the block;
3. offline, against the genesis file: the receipt verifies (``finchain evidence
   verify`` in a subprocess with no URL, and the SDK verifier);
4. with only 2 of the 4 signatures left in the commit, it fails below 2/3
   (``receipts:13``); against another validator set it fails as untrusted
   (``receipts:11``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import subprocess

import pytest

from finchain.client import evidence_builders as eb
from finchain.client.receipt_verify import verify_receipt
from finchain.crypto import generate_private_key
from finchain.offchain.receipts import ErrBelowQuorum, ErrUntrustedValidators, dumps
from finchain.offchain.receipts.fetch import fetch_receipt
from tests.functional.framework import FINCHAIN

pytestmark = pytest.mark.functional
log = logging.getLogger(__name__)


def test_cometbft_receipt_verifies_offline(network, tmp_path):
    net = network(4)
    net.start()
    net.wait_apis()
    writer, reader = net.nodes[0], net.nodes[2]
    document = os.urandom(4096)
    log.info("step 1: record the document's hash through %s", writer)
    raw = net.accounts.signer(1).sign(
        eb.record("sha256", hashlib.sha256(document).digest(), kind="contract")
    )
    submitted = writer.api.submit_tx(raw, mode="commit", timeout=30)
    assert submitted.committed and submitted.ok, submitted
    assert submitted.height is not None
    net.wait_height(submitted.height, nodes=[reader])
    log.info("step 2: fetch the receipt from %s", reader)
    receipt = fetch_receipt(reader.spec.api_url, submitted.tx_id, timeout=30)
    assert receipt["chain"]["engine"] == "cometbft" and len(receipt["validators"]) == 4
    genesis = json.loads(reader.home.genesis.read_text())
    net.cleanup()  # offline from here on: no node is running

    log.info("step 3: verify offline, CLI and SDK")
    (tmp_path / "receipt.json").write_bytes(dumps(receipt))
    (tmp_path / "document.bin").write_bytes(document)
    (tmp_path / "genesis.json").write_text(json.dumps(genesis))
    cli = subprocess.run(
        [FINCHAIN, "evidence", "verify", str(tmp_path / "receipt.json"),
         str(tmp_path / "document.bin"), "--trust", str(tmp_path / "genesis.json")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "VALID" in cli.stdout
    assert verify_receipt(dumps(receipt), genesis, file=document).ok

    log.info("step 4: 2 of 4 signatures, and an untrusted validator set")
    signed = [s for s in receipt["block"]["commit"]["signatures"] if s["block_id_flag"] == 2]
    assert len(signed) >= 3
    weak = copy.deepcopy(receipt)
    weak["block"]["commit"]["signatures"] = signed[:2]
    result = verify_receipt(dumps(weak), genesis, file=document)
    assert result.failure is not None and result.failure.name == "quorum"
    assert ErrBelowQuorum.matches(result.error)
    other = copy.deepcopy(genesis)
    other["validators"][0]["pub_key"]["value"] = _b64(generate_private_key("ed25519"))
    result = verify_receipt(dumps(receipt), other, file=document)
    assert result.failure is not None and result.failure.name == "validators"
    assert ErrUntrustedValidators.matches(result.error)


def _b64(key) -> str:
    import base64

    return base64.b64encode(key.public_key().data).decode()
