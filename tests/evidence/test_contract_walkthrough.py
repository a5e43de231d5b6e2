"""The walk-through of docs/evidence.md, command for command, with real processes.

Steps: a company records a contract PDF's hash (``finchain evidence record``),
saves its receipt (``finchain evidence receipt``), and anchors a folder of
annexes in one transaction (``anchor``, then ``receipt --anchor-proof``).
Years later a court holds only the PDF, the receipt and the chain's genesis:
``finchain evidence verify`` with no node reachable says VALID; one changed
byte of the PDF, of the receipt's header, or a genesis with other validators
each fail with their own code.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from finchain.crypto import generate_private_key
from finchain.node.home import Home
from finchain.offchain.receipts import dumps
from tests.cli.test_cli_node_process import finchain
from tests.cli.test_cli_node_process import node as node
from tests.functional.framework import FINCHAIN

pytestmark = pytest.mark.functional

Node = tuple[Home, str, dict[str, str]]


def ok_json(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert done.returncode == 0, done.stderr + done.stdout
    return dict(json.loads(done.stdout))


def court_verifies(receipt: Path, document: Path, trust: Path) -> subprocess.CompletedProcess[str]:
    """No URL, no home, no passphrase: and the only node address given is a dead one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCHAIN_")}
    env["FINCHAIN_URL"] = "http://127.0.0.1:9"
    return subprocess.run(
        [FINCHAIN, "evidence", "verify", str(receipt), str(document), "--trust", str(trust)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_notarise_a_contract_and_verify_it_years_later(node: Node, tmp_path: Path) -> None:
    home, url, _ = node
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(b"%PDF-1.7\n loan agreement between A and B, 2026-11-25 \n%%EOF\n")
    recorded = ok_json(
        finchain(
            "evidence", "record", str(contract), "--kind", "contract", "--from", "alice",
            "--json", home=home, url=url,
        )
    )  # fmt: skip
    receipt = tmp_path / "contract.receipt.json"
    saved = ok_json(
        finchain(
            "evidence", "receipt", str(recorded["tx_id"]), "--out", str(receipt), "--json",
            home=home, url=url,
        )
    )  # fmt: skip
    assert saved["height"] == recorded["height"] and receipt.exists()

    annexes = tmp_path / "annexes"
    annexes.mkdir()
    for i in range(5):
        (annexes / f"annex-{i}.pdf").write_bytes(f"%PDF annex {i}".encode())
    proofs = tmp_path / "annexes.jsonl"
    ok_json(
        finchain(
            "evidence", "anchor", str(annexes), "--out", str(proofs), "--from", "bob", "--json",
            home=home, url=url,
        )
    )  # fmt: skip
    annex_receipt = tmp_path / "annex-3.receipt.json"
    ok_json(
        finchain(
            "evidence", "receipt", "--anchor-proof", str(proofs), "--document",
            str(annexes / "annex-3.pdf"), "--out", str(annex_receipt), "--json",
            home=home, url=url,
        )
    )  # fmt: skip

    genesis = tmp_path / "genesis.json"
    genesis.write_bytes(home.genesis_path.read_bytes())
    valid = court_verifies(receipt, contract, genesis)
    assert valid.returncode == 0 and "VALID" in valid.stdout, valid.stderr + valid.stdout
    assert court_verifies(annex_receipt, annexes / "annex-3.pdf", genesis).returncode == 0

    forged = tmp_path / "forged.pdf"
    forged.write_bytes(contract.read_bytes().replace(b"A and B", b"A and C"))
    wrong_file = court_verifies(receipt, forged, genesis)
    assert wrong_file.returncode == 1 and "[receipts:4]" in wrong_file.stderr

    wrong_annex = court_verifies(annex_receipt, annexes / "annex-2.pdf", genesis)
    assert wrong_annex.returncode == 1 and "[receipts:4]" in wrong_annex.stderr

    tampered = json.loads(receipt.read_bytes())
    tampered["block"]["header"]["time_ns"] += 1  # the block "was later"
    altered = tmp_path / "altered.receipt.json"
    altered.write_bytes(dumps(tampered))
    refused = court_verifies(altered, contract, genesis)
    assert refused.returncode == 1 and "[receipts:9]" in refused.stderr

    other = json.loads(genesis.read_text())
    stranger = generate_private_key(other["validators"][0]["pub_key"]["type"]).public_key()
    other["validators"][0]["pub_key"]["value"] = base64.b64encode(stranger.data).decode()
    untrusted = tmp_path / "other-genesis.json"
    untrusted.write_text(json.dumps(other))
    refused = court_verifies(receipt, contract, untrusted)
    assert refused.returncode == 1 and "[receipts:11]" in refused.stderr
