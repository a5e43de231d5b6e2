"""Data rights end to end through the ``finchain data`` CLI against a real node process.

The commands of docs/data-rights.md ("CLI"), in order, each a ``finchain`` subprocess:

1. alice (the owner) creates a DID; her account controls it, so no binding is needed.
   bob and the operator (an auditor, "carol") each create a DID and add an SM2
   keyAgreement key (``did update --add-key … --relationship keyAgreement``).
2. alice ``data register``s a CSV: the payload is encrypted into a local store (the
   plaintext is nowhere in it) and her data key is sealed into ``ledger.csv.fckey``.
3. alice ``grant``s bob ``audit`` for a window around now, and carol ``audit`` + ``risk``.
4. bob ``open``s for ``audit``: the exact plaintext, and ``access-log`` shows the access.
5. bob asks for ``risk``, not granted: exit 1, one line with ``[datarights:10]``, no
   output file, no new log entry.
6. alice ``revoke``s bob; bob's ``open`` is refused (``[datarights:8]``), log unchanged.
7. alice ``rotate``s: version 2 under a new key, wrapped for carol only; carol opens
   it; bob is refused on it; alice re-grants bob from the updated key file and he opens it.
8. alice ``forget``s version 1: the local payload is deleted; ``show`` and
   ``access-log`` keep its hash and every access; a kept copy of the payload is refused
   (``[datarights:12]``).
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from finchain.crypto import get_suite
from finchain.node.home import Home
from tests.cli.test_cli_node_process import finchain
from tests.cli.test_cli_node_process import node as node

pytestmark = pytest.mark.functional

Node = tuple[Home, str, dict[str, str]]
LEDGER = b"loan,borrower,amount\n1,Acme Ltd,1000000.00\n2,Beta plc,250000.00\n"
LEDGER_V2 = LEDGER + b"3,Gamma AG,75000.00\n"


class Cli:
    def __init__(self, home: Home, url: str) -> None:
        self.home, self.url = home, url

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = finchain(*args, home=self.home, url=self.url)
        assert "Traceback" not in done.stderr + done.stdout, done.stderr
        return done

    def ok(self, *args: str) -> Any:
        done = self.run(*args, "--json")
        assert done.returncode == 0, f"finchain {' '.join(args)}: {done.stderr}{done.stdout}"
        return json.loads(done.stdout)

    def refused(self, code: str, *args: str) -> str:
        """Exit 1 with one line on stderr naming ``code``; returns that line."""
        done = self.run(*args)
        assert done.returncode == 1, f"finchain {' '.join(args)} should fail: {done.stdout}"
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and f"[{code}]" in lines[0], done.stderr
        return lines[0]


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def did_with_key_agreement(cli: Cli, account: str) -> str:
    """A DID controlled by ``account``, with a separate SM2 key ``ka1`` for keyAgreement."""
    did = str(cli.ok("did", "create", "--from", account)["did"])
    cli.ok("keys", "new", f"{account}-ka")
    cli.ok(
        "did", "update", did, "--from", account, "--add-key", f"{account}-ka", "--key-id", "ka1",
        "--relationship", "keyAgreement",
    )  # fmt: skip
    return did


def log_of(cli: Cli, asset: int) -> list[dict[str, Any]]:
    return list(cli.ok("data", "access-log", "--asset", str(asset))["items"])


def opening(account: str, did: str, asset: int, purpose: str, *source: str) -> tuple[str, ...]:
    """``finchain data open`` as ``account`` for its DID, with its keyAgreement key."""
    return (
        "data", "open", "--from", account, "--asset", str(asset), "--grantee", did,
        "--key", f"{account}-ka", "--purpose", purpose, *source,
    )  # fmt: skip


def test_register_grant_open_revoke_rotate_forget(node: Node, tmp_path: Path) -> None:
    home, url, ids = node
    cli = Cli(home, url)
    alice = str(cli.ok("did", "create", "--from", "alice")["did"])
    bob = did_with_key_agreement(cli, "bob")
    carol = did_with_key_agreement(cli, "operator")
    cli.ok("keys", "new", "alice-data")

    ledger, store = tmp_path / "ledger.csv", tmp_path / "store"
    ledger.write_bytes(LEDGER)
    register = (
        "data", "register", str(ledger), "--from", "alice", "--owner", alice,
        "--owner-key", "alice-data", "--title", "Q3 loan book",
        "--purpose", "audit", "--purpose", "risk", "--store", str(store),
    )  # fmt: skip
    registered = cli.ok(*register)
    asset, key_file = registered["asset"], tmp_path / "ledger.csv.fckey"
    assert isinstance(asset, int) and key_file.exists()
    (stored,) = store.iterdir()
    assert stored.name == registered["address"] and b"Acme" not in stored.read_bytes()
    again = cli.run(*register)
    assert again.returncode == 2 and "exists" in again.stderr  # the first key file is safe

    now = datetime.now(UTC)
    since, until = rfc3339(now - timedelta(hours=1)), rfc3339(now + timedelta(days=1))
    granting = (
        "data", "grant", "--from", "alice", "--key-file", str(key_file),
        "--owner-key", "alice-data", "--since", since, "--until", until,
    )  # fmt: skip
    granted = cli.ok(*granting, "--grantee", bob, "--purpose", "audit")
    assert granted["code"] == 0 and granted["version"] == 1
    cli.ok(*granting, "--grantee", carol, "--purpose", "audit", "--purpose", "risk")

    from_store, plain, denied = ("--store", str(store)), tmp_path / "bob.csv", tmp_path / "no.csv"
    opened = cli.ok(*opening("bob", bob, asset, "audit", *from_store, "--out", str(plain)))
    assert opened["version"] == 1 and plain.read_bytes() == LEDGER
    (access,) = log_of(cli, asset)
    seen = (access["grantee"], access["account"], access["purpose"], access["version"])
    assert seen == (bob, ids["bob"], "audit", 1)

    bob_risk = opening("bob", bob, asset, "risk", *from_store, "--out", str(denied))
    assert "'risk'" in cli.refused("datarights:10", *bob_risk) and not denied.exists()
    assert len(log_of(cli, asset)) == 1

    cli.ok("data", "revoke", "--from", "alice", "--asset", str(asset), "--grantee", bob)
    bob_audit = opening("bob", bob, asset, "audit", *from_store, "--out", str(denied))
    cli.refused("datarights:8", *bob_audit)
    assert len(log_of(cli, asset)) == 1 and not denied.exists()

    ledger_v2 = tmp_path / "ledger-v2.csv"
    ledger_v2.write_bytes(LEDGER_V2)
    rotated = cli.ok(
        "data", "rotate", str(ledger_v2), "--from", "alice", "--key-file", str(key_file),
        "--owner-key", "alice-data", "--store", str(store),
    )  # fmt: skip
    assert (rotated["version"], rotated["kept"]) == (2, [carol])
    carol_out = tmp_path / "carol.csv"
    opened = cli.ok(
        *opening("operator", carol, asset, "risk", *from_store, "--out", str(carol_out))
    )
    assert opened["version"] == 2 and carol_out.read_bytes() == LEDGER_V2
    cli.refused("datarights:8", *bob_audit)
    cli.ok(*granting, "--grantee", bob, "--purpose", "audit")  # from the rotated key file
    opened = cli.ok(*opening("bob", bob, asset, "audit", *from_store, "--out", str(plain)))
    assert opened["version"] == 2 and plain.read_bytes() == LEDGER_V2

    v1_payload = store / registered["address"]
    kept_copy = tmp_path / "v1.payload"
    kept_copy.write_bytes(v1_payload.read_bytes())
    forgotten = cli.ok(
        "data", "forget", "--from", "alice", "--asset", str(asset), "--version", "1",
        "--store", str(store),
    )  # fmt: skip
    assert forgotten["payload_deleted"] is True and not v1_payload.exists()
    shown = cli.ok("data", "show", "--asset", str(asset))
    v1 = shown["version_list"][0]
    assert v1["forgotten"] is True and v1["hash"] == get_suite("gm").hash(LEDGER).hex()
    assert [(g["grantee"], g["revoked"]) for g in shown["grants"]] == [
        (bob, True), (carol, False), (bob, False),
    ]  # fmt: skip
    history = [(a["grantee"], a["version"]) for a in log_of(cli, asset)]
    assert history == [(bob, 1), (carol, 2), (bob, 2)]
    carol_v1 = opening("operator", carol, asset, "audit", "--version", "1")
    cli.refused("datarights:12", *carol_v1, "--payload", str(kept_copy), "--out", str(denied))
    assert len(log_of(cli, asset)) == 3 and not denied.exists()
