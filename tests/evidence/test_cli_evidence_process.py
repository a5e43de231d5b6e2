"""Scenario with real processes: a ``finchain node`` and the ``finchain evidence`` commands.

Steps: start a node from a fresh home → anchor a directory of documents in one
transaction (JSON lines, then a directory of proofs with the progress bar) →
every document's proof leads to the anchored root → record a contract naming
a co-signer → it is pending until the co-signer signs → list by submitter.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from finchain.node.home import Home
from finchain.offchain.anchoring import parse_anchor_proof, read_jsonl
from tests.cli.test_cli_node_process import finchain
from tests.cli.test_cli_node_process import node as node

pytestmark = pytest.mark.functional

Node = tuple[Home, str, dict[str, str]]


def run_json(*args: str, home: Home, url: str) -> dict[str, object]:
    done = finchain(*args, "--json", home=home, url=url)
    assert done.returncode == 0, done.stderr + done.stdout
    return dict(json.loads(done.stdout))


def test_anchor_record_cosign_show(node: Node, tmp_path: Path) -> None:
    home, url, ids = node
    docs = tmp_path / "docs"
    for i in range(40):
        (docs / f"part{i % 3}").mkdir(parents=True, exist_ok=True)
        (docs / f"part{i % 3}" / f"doc{i}.txt").write_text(f"document {i}\n" * (i + 1))

    out = tmp_path / "proofs.jsonl"
    summary = run_json(
        "evidence", "anchor", str(docs), "--out", str(out), "--from", "alice", home=home, url=url
    )
    assert summary["documents"] == 40 and summary["hash_alg"] == "sm3"
    proofs = list(read_jsonl(out))
    expected = {hashlib.new("sm3", p.read_bytes()).digest() for p in docs.rglob("*.txt")}
    assert {p.document_hash for p in proofs} == expected
    assert all(p.verify_path() and p.root.hex() == summary["root"] for p in proofs)
    assert {p.anchor.height for p in proofs} == {summary["height"]}

    shown = run_json(
        "evidence", "show", "--hash", str(summary["root"]), "--prove", home=home, url=url
    )
    assert shown["kind"] == "batch_root" and shown["proof"] == "verified"
    assert shown["submitter"] == ids["alice"] and shown["tx_id"] == summary["tx_id"]

    proof_dir = tmp_path / "per-file"
    bar = finchain(
        "evidence", "anchor", str(docs / "part0"), "--alg", "sha256", "--out", str(proof_dir),
        "--from", "bob", home=home, url=url,
    )  # fmt: skip
    assert bar.returncode == 0, bar.stderr
    assert "writing proofs" in bar.stderr and "anchored" in bar.stdout
    files = sorted(proof_dir.glob("*.anchor.json"))
    assert len(files) == len(list((docs / "part0").iterdir()))
    assert all(parse_anchor_proof(json.loads(f.read_text())).verify_path() for f in files)

    contract = tmp_path / "contract.pdf"
    contract.write_bytes(b"%PDF- the loan agreement")
    recorded = run_json(
        "evidence", "record", str(contract), "--kind", "contract", "--meta", "ref=L-7",
        "--cosigner", "bob", "--from", "alice", home=home, url=url,
    )  # fmt: skip
    assert recorded["code"] == 0
    pending = run_json("evidence", "show", str(contract), home=home, url=url)
    assert pending["status"] == "pending" and pending["metadata"] == {"ref": "L-7"}

    outsider = finchain(
        "evidence", "cosign", str(contract), "--from", "operator", home=home, url=url
    )
    assert outsider.returncode == 1 and "[evidence:4]" in outsider.stderr
    assert (
        run_json("evidence", "cosign", str(contract), "--from", "bob", home=home, url=url)["code"]
        == 0
    )
    complete = run_json("evidence", "show", str(contract), home=home, url=url)
    assert complete["status"] == "complete"

    page = run_json("evidence", "show", "--submitter", "alice", "--limit", "1", home=home, url=url)
    assert len(page["records"]) == 1 and page["next_cursor"] == "1"  # type: ignore[arg-type]
    again = finchain(
        "evidence", "record", str(contract), "--kind", "contract", "--from", "bob",
        home=home, url=url,
    )  # fmt: skip
    assert again.returncode == 1 and "[evidence:2]" in again.stderr and ids["alice"] in again.stderr
