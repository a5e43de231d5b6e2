"""``finchain users``: add, list, set, passwd, remove, unlock over a node home.

Passwords come from stdin (``--password-stdin``) or a hidden prompt, never
argv; no password or hash is ever printed; files are 0600.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from finchain.cli.main import app
from finchain.node.auth import Authenticator, LockoutLedger, UserStore
from finchain.node.auth.lockout import Policy
from finchain.node.config import AuthSection

PASSWORD = "a long enough password"
TEST_COST = ["--scrypt-n", "16"]  # tests only; the default is production strength


def users(runner: CliRunner, home: Path, *args: str, stdin: str | None = None) -> Any:
    result = runner.invoke(app, ["users", *args, "--home", str(home)], input=stdin)
    return result


def add(runner: CliRunner, home: Path, name: str, *extra: str) -> Any:
    return users(
        runner,
        home,
        "add",
        name,
        "--password-stdin",
        "--json",
        *TEST_COST,
        *extra,
        stdin=PASSWORD + "\n",
    )


def test_add_list_set_remove_round_trip(runner: CliRunner, tmp_path: Path) -> None:
    added = add(runner, tmp_path, "alice", "--roles", "submit,read")
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout) == {
        "name": "alice",
        "roles": ["read", "submit"],
        "enabled": True,
    }
    assert add(runner, tmp_path, "bob").exit_code == 0  # default role: read

    listed = json.loads(users(runner, tmp_path, "list", "--json").stdout)
    assert [(u["name"], u["roles"], u["locked_until"], u["failures"]) for u in listed] == [
        ("alice", ["read", "submit"], None, 0),
        ("bob", ["read"], None, 0),
    ]
    changed = users(runner, tmp_path, "set", "bob", "--roles", "submit", "--disable", "--json")
    assert json.loads(changed.stdout) == {"name": "bob", "roles": ["submit"], "enabled": False}
    assert UserStore(tmp_path).require("bob").generation == 2

    assert users(runner, tmp_path, "remove", "bob", "--json").exit_code == 0
    assert list(UserStore(tmp_path).users()) == ["alice"]
    text = (tmp_path / "users.json").read_text()
    assert PASSWORD not in text and (tmp_path / "users.json").stat().st_mode & 0o777 == 0o600
    assert "hash" not in users(runner, tmp_path, "list").stdout


def test_passwd_replaces_the_hash_and_prompts_twice(runner: CliRunner, tmp_path: Path) -> None:
    add(runner, tmp_path, "alice")
    before = UserStore(tmp_path).require("alice")
    new = "another long password"
    result = users(runner, tmp_path, "passwd", "alice", *TEST_COST, stdin=f"{new}\n{new}\n")
    assert result.exit_code == 0, result.output
    after = UserStore(tmp_path).require("alice")
    assert after.password != before.password and after.generation == before.generation + 1
    assert new not in result.output
    auth = Authenticator(tmp_path, AuthSection(enabled=True))
    assert auth.login("alice", new, address="test").username == "alice"


def test_unlock_clears_a_username_or_an_address(runner: CliRunner, tmp_path: Path) -> None:
    add(runner, tmp_path, "alice")
    now = int(time.time())  # `list` compares with the wall clock; nothing waits on it
    ledger = LockoutLedger(tmp_path, Policy(2, 2, 3600))
    for _ in range(2):
        ledger.record_failure("alice", "10.0.0.9", now)
    assert ledger.lock_of("alice", "10.0.0.8", now) is not None
    listed = json.loads(users(runner, tmp_path, "list", "--json").stdout)
    assert listed[0]["locked_until"].endswith("Z") and listed[0]["failures"] == 0
    result = users(runner, tmp_path, "unlock", "alice", "--json")
    assert json.loads(result.stdout) == {"username": "alice", "cleared": True}
    assert ledger.lock_of("alice", "10.0.0.8", now) is None
    assert ledger.lock_of("bob", "10.0.0.9", now) is not None
    result = users(runner, tmp_path, "unlock", "--address", "10.0.0.9", "--json")
    assert json.loads(result.stdout) == {"address": "10.0.0.9", "cleared": True}
    again = users(runner, tmp_path, "unlock", "ghost", "--json")  # unknown names lock too
    assert again.exit_code == 0 and json.loads(again.stdout)["cleared"] is False


@pytest.mark.parametrize(
    ("args", "stdin", "code", "text"),
    [
        (["add", "alice", "--password-stdin"], "short\n", 1, "[auth:9]"),
        (["add", "Alice", "--password-stdin"], PASSWORD + "\n", 1, "[auth:8]"),
        (["add", "carol", "--password-stdin", "--roles", "admin"], PASSWORD + "\n", 1, "[auth:10]"),
        (["add", "alice", "--password-stdin"], PASSWORD + "\n", 1, "[auth:11]"),
        (["remove", "ghost"], None, 1, "[auth:12]"),
        (["passwd", "ghost", "--password-stdin"], PASSWORD + "\n", 1, "[auth:12]"),
        (["set", "alice"], None, 2, "nothing to change"),
        (["unlock"], None, 2, "either a username or --address"),
        (["add", "dave", "--password", PASSWORD], None, 2, "No such option"),
    ],
)
def test_mistakes_exit_non_zero_with_a_reason(
    runner: CliRunner, tmp_path: Path, args: list[str], stdin: str | None, code: int, text: str
) -> None:
    add(runner, tmp_path, "alice")
    result = users(runner, tmp_path, *args, stdin=stdin)
    assert result.exit_code == code, result.output
    assert text in result.output
    assert "Traceback" not in result.output and PASSWORD not in result.output


def test_a_missing_home_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = users(runner, tmp_path / "absent", "list")
    assert result.exit_code == 2 and "no node home" in result.output
