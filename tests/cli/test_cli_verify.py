"""``finchain verify proof``: real proofs from a solo node pass; any altered byte fails.

Proof files are built with the same functions the online commands use
(``finchain.cli.prooffile``) from the API's own JSON encoders, fed by an
in-process solo node, so these tests need no HTTP server.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from finchain.cli.main import app
from finchain.cli.prooffile import state_document, tx_document
from finchain.client.builders import Signer, transfer
from finchain.client.types import Balance, Block, TxInfo
from finchain.crypto import generate_private_key
from finchain.engines.solo.header import header_sign_bytes
from finchain.engines.solo.node import SoloNode
from finchain.node.api.encode import block_json, query_json, tx_json
from finchain.service.interface import SubmitMode
from tests.cli.conftest import CHAIN_ID, PASSPHRASE, Chain


@pytest.fixture(scope="module")
def proofs(solo: tuple[Chain, SoloNode]) -> dict[str, Any]:
    """A committed transfer alice -> bob, its tx proof and a proven balance of alice."""
    chain, node = solo
    key = chain.home.keystore().load("alice", PASSPHRASE)
    signer = Signer(CHAIN_ID, chain.ids["alice"], [("k1", key)])
    raw = signer.sign(transfer((chain.ids["bob"], "CNY", 125)))
    [submitted] = node.submit([raw], SubmitMode.COMMIT, timeout=10)
    assert submitted.deliver is not None and submitted.deliver.ok
    params = {"account": chain.ids["alice"], "asset": "CNY"}
    # through the SDK's types, fed with the API's own JSON encoders: the online path, minus HTTP
    balance = Balance.from_json(
        query_json(node.query("bank/balance", params, height=None, prove=True), prove=True)
    )
    assert balance.proof is not None
    block_view = node.block(balance.height)
    tx_view = node.tx(submitted.tx_id)
    assert block_view is not None and tx_view is not None
    state = state_document(
        chain_id=CHAIN_ID,
        suite="gm",
        proof=balance.proof,
        block=Block.from_json(block_json(block_view)),
        query={"path": "bank/balance", "params": params, "answer": {"amount": str(balance.amount)}},
    )
    tx = tx_document(chain_id=CHAIN_ID, suite="gm", tx=TxInfo.from_json(tx_json(tx_view)))
    return {
        "state": state,
        "tx": tx,
        "block": block_json(tx_view.block),
        "genesis": str(chain.home.genesis_path),
    }


def verify(runner: CliRunner, tmp_path: Path, document: Any, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(document))
    argv = ["verify", "proof", str(path), "--home", str(tmp_path / "no-home"), *args]
    result = runner.invoke(app, argv)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def flip(hex_text: str) -> str:
    """The same hex string with one bit of its last byte flipped."""
    return hex_text[:-1] + format(int(hex_text[-1], 16) ^ 1, "x")


def test_state_proof_against_root_genesis_and_header(
    runner: CliRunner, tmp_path: Path, proofs: dict[str, Any]
) -> None:
    state = proofs["state"]
    code, out, err = verify(runner, tmp_path, state, "--root", state["root"])
    assert code == 0, out + err
    assert "VALID" in out
    code, out, err = verify(runner, tmp_path, state, "--genesis", proofs["genesis"], "--json")
    assert code == 0, out + err
    report = json.loads(out)
    assert report["valid"] is True and report["kind"] == "state"
    assert {c["check"] for c in report["checks"]} >= {"entry 1", "validator", "anchor"}
    header = tmp_path / "header.json"
    header.write_text(json.dumps(state["block"]))
    code, out, err = verify(runner, tmp_path, state, "--header", str(header))
    assert code == 0, out + err


def test_unanchored_proof_is_not_accepted(
    runner: CliRunner, tmp_path: Path, proofs: dict[str, Any]
) -> None:
    code, _, err = verify(runner, tmp_path, proofs["state"])
    assert code == 1 and "anchor" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "alter",
    [
        pytest.param(
            lambda d: d["entries"][0].update(value=flip(d["entries"][0]["value"])), id="value"
        ),
        pytest.param(lambda d: d["entries"][0].update(key=flip(d["entries"][0]["key"])), id="key"),
        pytest.param(
            lambda d: d["entries"][0]["proof"]["nodes"][0][1].__setitem__(
                0, flip(d["entries"][0]["proof"]["nodes"][0][1][0])
            ),
            id="sibling",
        ),
        pytest.param(lambda d: d.update(root=flip(d["root"])), id="root"),
    ],
)
def test_state_proof_rejects_a_flipped_byte(
    runner: CliRunner, tmp_path: Path, proofs: dict[str, Any], alter: Any
) -> None:
    original = proofs["state"]
    document = copy.deepcopy(original)
    alter(document)
    code, out, err = verify(runner, tmp_path, document, "--root", original["root"])
    assert code == 1, out
    assert err.startswith("error: proof INVALID")
    code, out, _ = verify(runner, tmp_path, document, "--genesis", proofs["genesis"], "--json")
    assert code == 1 and json.loads(out)["valid"] is False


def test_tx_proof_against_genesis(
    runner: CliRunner, tmp_path: Path, proofs: dict[str, Any]
) -> None:
    tx = proofs["tx"]
    code, out, err = verify(runner, tmp_path, tx, "--genesis", proofs["genesis"])
    assert code == 0, out + err
    code, out, err = verify(runner, tmp_path, tx, "--root", tx["tx_root"], "--json")
    assert code == 0, out + err
    checks = {c["check"]: c["status"] for c in json.loads(out)["checks"]}
    assert checks["tx id"] == checks["inclusion"] == "pass" and checks["result"] == "skip"


@pytest.mark.parametrize("field", ["tx", "tx_id", "tx_root"])
def test_tx_proof_rejects_a_flipped_byte(
    runner: CliRunner, tmp_path: Path, proofs: dict[str, Any], field: str
) -> None:
    document = copy.deepcopy(proofs["tx"])
    document[field] = flip(document[field])
    code, _, _ = verify(runner, tmp_path, document, "--genesis", proofs["genesis"])
    assert code == 1


def test_altered_or_forged_header_fails(
    runner: CliRunner, tmp_path: Path, proofs: dict[str, Any]
) -> None:
    document = copy.deepcopy(proofs["tx"])
    document["block"]["header"]["time_ns"] += 1  # signature no longer covers it
    code, out, _ = verify(runner, tmp_path, document, "--genesis", proofs["genesis"], "--json")
    failed = {c["check"] for c in json.loads(out)["checks"] if c["status"] == "fail"}
    assert code == 1 and "embedded header signature" in failed

    # a header re-signed by a key of the forger's choosing verifies, but not against genesis
    forger = generate_private_key("sm2")
    forged = copy.deepcopy(proofs["tx"])
    block = forged["block"]
    block["header"]["proposer"] = forger.public_key().data.hex()
    block["validator"] = {"scheme": "sm2", "public_key": forger.public_key().data.hex()}
    block.pop("block_hash")
    header = {
        k: (bytes.fromhex(v) if k in ("last_block_hash", "tx_root", "app_hash", "proposer") else v)
        for k, v in block["header"].items()
    }
    block["signature"] = forger.sign(header_sign_bytes(header)).hex()
    code, out, _ = verify(runner, tmp_path, forged, "--genesis", proofs["genesis"], "--json")
    checks = {c["check"]: c["status"] for c in json.loads(out)["checks"]}
    assert code == 1
    assert checks["embedded header signature"] == "pass" and checks["validator"] == "fail"


def test_header_of_another_height_is_refused(
    runner: CliRunner, tmp_path: Path, proofs: dict[str, Any]
) -> None:
    other = copy.deepcopy(proofs["block"])
    other["header"]["height"] += 1
    header = tmp_path / "header.json"
    header.write_text(json.dumps(other))
    code, _, _ = verify(runner, tmp_path, proofs["tx"], "--header", str(header))
    assert code == 1


def test_not_a_proof_file(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = verify(runner, tmp_path, {"format": "something-else"}, "--root", "00")
    assert code == 1 and "format" in err
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    result = runner.invoke(app, ["verify", "proof", str(path), "--root", "00"])
    assert result.exit_code == 2 and "not valid JSON" in result.stderr
