"""``finchain escrow`` against a real solo node and its HTTP API (served in this process).

A hash-locked escrow is created from a secret file (hashed locally with the
chain suite's SM3), shown and listed, refused with a wrong secret (exit 1 and
the escrow code), released with the right one; a second escrow is cancelled by
both parties. Queries go through the generic route ``GET /v1/query/escrow/...``.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from finchain.cli.inprocess import LocalChain
from finchain.crypto import hash_bytes
from tests.cli.test_cli_online import units
from tests.inprocess_cli import Cli


@pytest.fixture
def cli(runner: CliRunner, api: LocalChain) -> Cli:
    return Cli(api, runner)


def test_hash_locked_escrow_from_the_command_line(cli: Cli, tmp_path: Path) -> None:
    alice, bob = cli.chain.accounts["alice"], cli.chain.accounts["bob"]
    secret = tmp_path / "secret"
    secret.write_bytes(b"preimage of trade T-1")
    height = int(cli.ok("query", "status")["height"])
    before = units(cli, bob)
    created = cli.ok(
        "escrow", "create", "bob", "10.00", "CNY", "--from", "alice",
        "--secret-file", str(secret), "--expiry-height", str(height + 1000),
        "--reference", "T-1",
    )  # fmt: skip
    assert created["code"] == 0 and created["payer"] == alice and created["units"] == 1000
    escrow_id = created["escrow_id"]

    shown = cli.ok("escrow", "show", str(escrow_id))
    assert shown["status"] == "open" and shown["reference"] == "T-1"
    lock = shown["conditions"]["hash_lock"]
    assert lock == {"hash_alg": "sm3", "hash": hash_bytes("sm3", secret.read_bytes()).hex()}
    listed = cli.ok("escrow", "list", "--payee", "bob", "--status", "open")
    assert escrow_id in [e["id"] for e in listed["escrows"]]
    url = f"{cli.chain.url}/v1/query/escrow/locked?account={alice}&asset=CNY"
    with urllib.request.urlopen(url) as response:  # the generic query route serves it
        assert int(json.loads(response.read())["value"]["locked"]) >= 1000

    wrong = tmp_path / "wrong"
    wrong.write_bytes(b"a guess")
    code, _, err = cli.run("escrow", "release", str(escrow_id), "--secret-file", str(wrong),
                           "--from", "bob")  # fmt: skip
    assert code == 1 and "escrow:10" in err

    released = cli.ok("escrow", "release", str(escrow_id), "--secret-file", str(secret),
                      "--from", "bob")  # fmt: skip
    assert released["code"] == 0
    assert units(cli, bob) == before + 1000
    final = cli.ok("escrow", "show", str(escrow_id))
    assert final["status"] == "released" and bytes.fromhex(final["preimage"]) == secret.read_bytes()


def test_cancel_needs_both_parties_and_bad_flags_exit_2(cli: Cli) -> None:
    height = int(cli.ok("query", "status")["height"])
    created = cli.ok(
        "escrow", "create", "bob", "1.00", "CNY", "--from", "alice",
        "--approver", "operator", "--expiry-height", str(height + 1000),
    )  # fmt: skip
    escrow_id = created["escrow_id"]
    assert cli.ok("escrow", "show", str(escrow_id))["conditions"]["threshold"] == 1
    cli.ok("escrow", "cancel", str(escrow_id), "--from", "alice")
    assert cli.ok("escrow", "show", str(escrow_id))["status"] == "open"
    cli.ok("escrow", "cancel", str(escrow_id), "--from", "bob")
    assert cli.ok("escrow", "show", str(escrow_id))["status"] == "cancelled"

    code, _, err = cli.run("escrow", "list")
    assert code == 2 and "--payer" in err
    code, _, err = cli.run(
        "escrow", "create", "bob", "1", "CNY", "--from", "alice", "--expiry-time", "tomorrow"
    )
    assert code == 2 and "--expiry-time" in err
