"""``finchain aml`` against a real solo node (gm suite: SM2 sealing, SM3 hashes) and its HTTP
API, served in this process.

Genesis registers alice as a regulator (her SM2 keystore key as the encryption key).
Steps: operator and bob create their institutions' DIDs; carol writes a travel-rule
envelope, seals it to bob's institution and the regulator, pays bob with the record in
the same transaction; bob and alice open the envelope, operator cannot; the record is
read through the generic HTTP query route. Alice publishes a sanctions list from a file
in chunks; ``check`` finds carol on it; bad input exits 1 with the aml code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import finchain.cli.inprocess as inprocess
from finchain.cli.inprocess import LocalChain, local_chain
from finchain.crypto import Keystore, encryption_public_key
from finchain.node.home import Home
from tests.inprocess_cli import Cli


def _with_regulator(original: Any) -> Any:
    """``create_home``, then alice registered as a regulator in the genesis."""

    def create_home(path: Path, **options: Any) -> dict[str, str]:
        accounts: dict[str, str] = original(path, **options)
        home = Home(path)
        scheme, public = encryption_public_key(Keystore(home.keystore_dir).info("alice").public_key)
        genesis = json.loads(home.genesis_path.read_text())
        genesis["app_state"]["credentials"] = {
            "params": {"disclosure_threshold": 1, "request_lifetime": 100},
            "regulators": [
                {
                    "account": accounts["alice"],
                    "name": "regulator",
                    "encryption_key": {"scheme": scheme, "public_key": public.hex()},
                }
            ],
            "issuers": [],
        }
        home.genesis_path.write_text(json.dumps(genesis, indent=2))
        return accounts

    return create_home


@pytest.fixture(scope="module")
def chain() -> Iterator[LocalChain]:
    patch = pytest.MonkeyPatch()
    patch.setattr(inprocess, "create_home", _with_regulator(inprocess.create_home))
    try:
        with local_chain(suite="gm", instant=True, block_interval=0.2) as running:
            yield running
    finally:
        patch.undo()


@pytest.fixture
def cli(runner: CliRunner, chain: LocalChain) -> Cli:
    return Cli(chain, runner)


def test_travel_envelope_sealed_paid_and_opened(cli: Cli, tmp_path: Path) -> None:
    ids = cli.chain.accounts
    bank_a = cli.ok("did", "create", "--from", "operator")["did"]
    bank_b = cli.ok("did", "create", "--from", "bob")["did"]
    envelope = {
        "originator": {"name": "张三", "account": "carol", "national_id": "110101199001011234"},
        "beneficiary": {"name": "Bob", "account": "bob"},
        "originator_institution": bank_a,
        "beneficiary_institution": bank_b,
        "asset": "CNY",
        "amount": "1500.00",
        "reference": "invoice 17",
    }
    plain = tmp_path / "envelope.json"
    plain.write_text(json.dumps(envelope, ensure_ascii=False))
    sealed = tmp_path / "envelope.sealed"
    made = cli.ok(
        "aml", "travel", "seal", str(plain), "--out", str(sealed), "--beneficiary-key", "bob"
    )
    assert sorted(made["recipients"]) == sorted([bank_b, ids["alice"]])
    paid = cli.ok("aml", "travel", "pay", str(plain), str(sealed), "--from", "carol")
    assert paid["code"] == 0 and paid["envelope_hash"] == made["envelope_hash"]

    opened = cli.ok("aml", "travel", "open", str(sealed), "--as", bank_b, "--key", "bob")
    assert opened["originator"]["name"] == "张三" and opened["amount_units"] == "150000"
    as_regulator = cli.ok("aml", "travel", "open", str(sealed), "--as", "alice", "--key", "alice")
    assert as_regulator["beneficiary"] == {"name": "Bob", "account": ids["bob"]}
    code, _, err = cli.run(
        "aml", "travel", "open", str(sealed), "--as", bank_a, "--key", "operator"
    )
    assert code == 1 and "travel:3" in err

    record = httpx.get(
        f"{cli.chain.url}/v1/query/aml/travel",
        params={"hash": made["envelope_hash"], "account": ids["carol"]},
        timeout=10,
    ).json()
    found = record.get("value", record)
    assert found["beneficiary_institution"] == bank_b and found["account"] == ids["carol"]
    assert found["hash_alg"] == "sm3" and found["covers"] == [0]


def test_sanctions_list_published_from_a_file_and_checked(cli: Cli, tmp_path: Path) -> None:
    ids = cli.chain.accounts
    listed = tmp_path / "sanctions.txt"
    listed.write_text(
        f"# consolidated list\n{ids['carol']}\n{ids['bob']}  # alias\n{ids['carol']}\n"
    )
    published = cli.ok("aml", "list-publish", str(listed), "--chunk", "1", "--from", "alice")
    assert published["sealed"] and published["count"] == 2 and published["hash_alg"] == "sm3"
    version = published["version"]
    assert cli.ok("aml", "check", "carol")["version"] == version
    assert cli.ok("aml", "check", "operator")["listed"] is False
    shown = cli.ok("aml", "show")
    assert shown["version"] == version and shown["list"]["hash"] == published["hash"]
    assert cli.ok("aml", "show", "--version", str(version))["count"] == 2

    code, _, err = cli.run("aml", "list-publish", str(listed), "--from", "bob")
    assert code == 1 and "aml:2" in err
    bad = tmp_path / "bad.txt"
    bad.write_text("not-an-account\n")
    code, _, err = cli.run("aml", "list-publish", str(bad), "--from", "alice")
    assert code != 0 and "neither an account id nor a DID" in err
    draft = cli.ok("aml", "list-publish", str(listed), "--no-seal", "--from", "alice")
    assert draft["sealed"] is False
    other = tmp_path / "other.txt"
    other.write_text(f"{ids['operator']}\n")
    code, _, err = cli.run(
        "aml", "seal", str(other), "--version", str(draft["version"]), "--from", "alice"
    )
    assert code == 1 and "aml:7" in err
    sealed = cli.ok(
        "aml", "seal", str(listed), "--version", str(draft["version"]), "--from", "alice"
    )
    assert sealed["code"] == 0
    assert cli.ok("aml", "check", "bob")["version"] == draft["version"]


def test_default_rules_are_written_with_the_assets_decimals(cli: Cli, tmp_path: Path) -> None:
    tiers = tmp_path / "tiers.json"
    tiers.write_text(json.dumps({"0": {"per_payment": "2000"}, "1": {}}))
    out = tmp_path / "rules.json"
    made = cli.ok("aml", "default-rules", "--out", str(out), "--tiers", str(tiers))
    assert made["decimals"] == 2 and "tier_limit.per_payment.cny" in made["rules"]
    rules = {r["id"]: r for r in json.loads(out.read_text())["rules"]}
    assert "move.amount >= 5000000 - recipient.day_total" in rules["large_value.cash.cny"]["expr"]
    tiers.write_text(json.dumps({"0": {"per_payment": "2000.001"}}))
    code, _, err = cli.run("aml", "default-rules", "--out", str(out), "--tiers", str(tiers))
    assert code != 0 and "at most 2 decimal places" in err
