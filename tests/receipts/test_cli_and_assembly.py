"""``finchain evidence verify`` explains each step; assembly refuses material that does not fit."""

from __future__ import annotations

import copy
import json

import pytest
from typer.testing import CliRunner

from finchain.cli.main import app
from finchain.offchain.receipts import ErrMaterial, assemble, dumps
from tests.receipts.chains import comet_receipt, solo_receipt


@pytest.fixture
def files(tmp_path):
    built = solo_receipt(leaves=20)
    (tmp_path / "receipt.json").write_bytes(dumps(built.receipt))
    (tmp_path / "doc.bin").write_bytes(built.document)
    (tmp_path / "genesis.json").write_text(json.dumps(built.trust))
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(app, ["evidence", "verify", *args])


def test_cli_valid_receipt_lists_every_step(files):
    result = run(
        str(files / "receipt.json"),
        str(files / "doc.bin"),
        "--trust",
        str(files / "genesis.json"),
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["valid"] and [s["status"] for s in report["steps"]].count("ok") == 11


def test_cli_wrong_file_exits_1_with_the_reason(files):
    (files / "other.bin").write_bytes(b"not the document")
    result = run(
        str(files / "receipt.json"),
        str(files / "other.bin"),
        "--trust",
        str(files / "genesis.json"),
    )
    assert result.exit_code == 1
    assert "receipt INVALID: document:" in result.stderr and "[receipts:4]" in result.stderr
    assert "not run" in result.stdout


def test_cli_missing_trust_file_is_a_usage_error(files):
    result = run(str(files / "receipt.json"), "--trust", str(files / "nope.json"))
    assert result.exit_code != 0 and "does not exist" in result.stderr


def test_assembly_refuses_an_anchor_of_another_tx():
    built = comet_receipt(leaves=4)
    material = {k: built.receipt[k] for k in ("chain", "block", "validators")}
    proof = {"index": 1, "total": 5, "leaf_hash": "", "aunts": []}
    material["tx"] = {**_tx(built.receipt), "index": 1, "proof": proof}
    anchor = {
        "version": "finchain-anchor/v1",
        "document": built.receipt["document"],
        "batch": built.receipt["batch"],
        "anchor": {"tx_id": "ab" * 32, "height": built.receipt["block"]["height"]},
    }
    with pytest.raises(Exception) as info:
        assemble(material, anchor)
    assert ErrMaterial.matches(info.value) and "anchor proof points to tx" in str(info.value)
    bad = copy.deepcopy(material)
    del bad["validators"]
    with pytest.raises(Exception) as info:
        assemble(bad)
    assert ErrMaterial.matches(info.value)


def test_assembly_without_anchor_needs_a_document_record():
    built = solo_receipt(leaves=4)  # the tx records a batch root, not a document
    material = {k: built.receipt[k] for k in ("chain", "block", "validators")}
    proof = {"index": 0, "total": 1, "leaf_hash": "", "aunts": []}
    material["tx"] = {**_tx(built.receipt), "index": 0, "proof": proof}
    with pytest.raises(Exception) as info:
        assemble(material)
    assert ErrMaterial.matches(info.value) and "anchor proof" in str(info.value)


def _tx(receipt):
    return {"bytes": receipt["tx"]["bytes"], "id": receipt["tx"]["id"]}
