"""Anchoring through the SDK against a real solo node and its API; the evidence HTTP routes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import pytest

from finchain.cli.inprocess import LocalChain
from finchain.client import Client, TxRejectedError
from finchain.client import evidence_builders as eb
from finchain.core.errors import ErrBadQuery
from finchain.errors import FinchainError
from finchain.modules.evidence.errors import ErrNotCosigner
from finchain.offchain.anchoring import anchor_hashes, read_jsonl
from finchain.offchain.anchoring.errors import ErrAnchorConflict, ErrEmptyBatch
from finchain.store import verify_tx_proof
from tests.evidence.conftest import signer_for
from tests.support import code


def test_anchor_records_one_root_and_every_proof_checks(api: LocalChain, tmp_path: Path) -> None:
    documents = [os.urandom(32) for _ in range(1000)]
    out = tmp_path / "proofs.jsonl"
    with Client(api.url) as client:
        alice = signer_for(api, client, "alice")
        result = anchor_hashes(client, alice, documents + documents[:3], hash_alg="sm3", out=out)
        assert result.tree.leaf_count == 1000 and not result.resumed, "repeats anchored once"
        record = client.query(
            "evidence/record", {"hash_alg": "sm3", "hash": result.root.hex()}
        ).value
        assert record["kind"] == "batch_root" and record["submitter"] == alice.account
        assert record["metadata"] == {"count": "1000", "tree": "rfc6962-sm3"}
        assert record["tx_id"] == result.anchor.tx_id.hex()
        assert record["height"] == result.anchor.height
        info = client.tx(result.anchor.tx_id)
        assert info.height == result.anchor.height and info.result.ok

    proofs = list(read_jsonl(out))
    assert [p.document_hash for p in proofs] == documents
    for proof in proofs:
        assert proof.root == result.root and proof.verify_path()
        leaf = hashlib.new("sm3", b"\x00" + proof.document_hash).digest()
        aunts = list(proof.path)
        assert verify_tx_proof(
            "sm3",
            result.root,
            proof.document_hash,
            {"index": proof.leaf_index, "total": 1000, "leaf_hash": leaf, "aunts": aunts},
        )
    assert result.proof(7).to_json() == proofs[7].to_json()


def test_rerun_resumes_and_someone_elses_root_is_refused(api: LocalChain, tmp_path: Path) -> None:
    documents = [os.urandom(32) for _ in range(5)]
    with Client(api.url) as client:
        bob = signer_for(api, client, "bob")
        first = anchor_hashes(client, bob, documents, hash_alg="sha256")
        nonce = bob.nonce
        again = anchor_hashes(client, bob, documents, hash_alg="sha256", out=tmp_path / "dir")
        assert again.resumed and again.anchor == first.anchor
        assert bob.nonce == nonce, "a refused submission spends no nonce"
        client.submit_tx(bob.sign(eb.record("sha256", os.urandom(32), kind="k")), mode="commit")
        assert len(list((tmp_path / "dir").glob("*.anchor.json"))) == 5
        carol = signer_for(api, client, "carol")
        with pytest.raises(FinchainError) as err:
            anchor_hashes(client, carol, documents, hash_alg="sha256")
        assert (err.value.codespace, err.value.code) == code(ErrAnchorConflict)
        with pytest.raises(FinchainError) as err:
            anchor_hashes(client, carol, [], hash_alg="sha256")
        assert (err.value.codespace, err.value.code) == code(ErrEmptyBatch)


def test_http_routes_answer_records_pages_and_proofs(api: LocalChain) -> None:
    digest = hashlib.sha256(b"route test").digest()
    with Client(api.url) as client:
        carol = signer_for(api, client, "carol")
        bob = api.accounts["bob"]
        raw = carol.sign(eb.record("sha256", digest, kind="invoice", cosigners=[bob]))
        receipt = client.submit_tx(raw, mode="commit")
        with pytest.raises(TxRejectedError) as failed:
            client.submit_tx(carol.sign(eb.cosign("sha256", digest)), mode="commit")
        assert (failed.value.codespace, failed.value.code) == code(ErrNotCosigner)

    one = httpx.get(f"{api.url}/v1/evidence/sha256/{digest.hex()}", params={"prove": "true"})
    assert one.status_code == 200
    body = one.json()
    assert body["value"]["status"] == "pending" and body["value"]["tx_id"] == receipt.tx_id
    assert body["root"] and len(body["proofs"]) == 1

    missing = httpx.get(f"{api.url}/v1/evidence/sha256/{'00' * 32}")
    assert missing.status_code == 404 and missing.json()["codespace"] == "evidence"
    bad = httpx.get(f"{api.url}/v1/evidence/md5/{digest.hex()}")
    assert bad.status_code == 400 and (bad.json()["codespace"], bad.json()["code"]) == code(
        ErrBadQuery
    )

    page = httpx.get(
        f"{api.url}/v1/evidence", params={"submitter": carol.account, "limit": "1"}
    ).json()["value"]
    assert [r["hash"] for r in page["records"]] == [digest.hex()]
    by_time = httpx.get(
        f"{api.url}/v1/evidence", params={"from": "2000-01-01T00:00:00Z", "limit": "200"}
    ).json()["value"]
    assert digest.hex() in [r["hash"] for r in by_time["records"]]
    assert httpx.get(f"{api.url}/v1/evidence", params={"limit": "x"}).status_code == 400
