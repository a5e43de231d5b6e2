"""``finchain regulator …`` in this process against a served node with a regulator on chain.

The keystore key of the regulator account signs each request; another account's
key gets the node's refusal (exit 1, ``regauth:11``) and no data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from finchain.cli.main import app
from tests.client.live import serve
from tests.node.regulator_world import PASSPHRASE, World, regulator_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with regulator_world(tmp_path_factory.mktemp("reg-cli"), suite="gm") as w:
        yield w


@pytest.fixture(scope="module")
def env(world: World) -> Iterator[dict[str, str]]:
    with serve(world.app) as url:
        yield {
            "FINCHAIN_URL": url,
            "FINCHAIN_HOME": str(world.home),
            "FINCHAIN_PASSPHRASE": PASSPHRASE,
        }


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.stdout, result.stderr


def ok(env: dict[str, str], *args: str) -> Any:
    code, out, err = run(env, *args, "--json")
    assert code == 0, f"finchain {' '.join(args)} -> {code}: {err}{out}"
    return json.loads(out)


def test_regulator_reads_with_its_keystore_key(world: World, env: dict[str, str]) -> None:
    assert (
        ok(env, "regulator", "whoami", "--from", "regulator")["account"] == world.ids["regulator"]
    )
    behind = ok(env, "regulator", "did", world.dids["alice"], "--from", "regulator")["value"]
    assert {a["account"] for a in behind["accounts"]} == {world.ids["alice"], world.ids["bob"]}
    pages = ok(
        env, "regulator", "institution", world.dids["bank"], "--limit", "2", "--all",
        "--from", "regulator",
    )  # fmt: skip
    assert [len(p["value"]["accounts"]) for p in pages] == [2, 1]
    account = ok(env, "regulator", "account", "alice", "--from", "regulator")["value"]
    assert account["account"] == world.ids["alice"] and account["did"] == world.dids["alice"]
    frozen = {h["asset"]: h["frozen"] for h in account["holdings"]}
    assert frozen == {"CNY": "300", "USD": "0"}


def test_tables_for_people(world: World, env: dict[str, str]) -> None:
    code, out, err = run(env, "regulator", "did", world.dids["alice"], "--from", "regulator")
    assert code == 0, err
    assert "totals" in out and "1999750" in out  # both accounts' CNY, in base units
    code, out, err = run(env, "regulator", "institution", world.dids["bank"], "--from", "regulator")
    assert code == 0 and "1000250" in out, err  # carol's CNY


def test_another_accounts_key_is_refused(world: World, env: dict[str, str]) -> None:
    for name in ("outsider", "bank"):
        code, out, err = run(env, "regulator", "did", world.dids["alice"], "--from", name, "--json")
        assert code == 1 and "regauth:11" in err and "not a regulator" in err
        assert out == ""
