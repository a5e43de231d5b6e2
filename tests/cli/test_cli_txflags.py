"""One set of transaction options (``finchain.cli.txflags``): every command that signs a
transaction gets the same options from one place, and a command declares only its own.

The walk over the whole ``finchain`` command tree keeps it so: a new signing command
that spells ``--from`` or ``--passphrase-file`` itself, or leaves an option out, fails
here. The documented exceptions are listed by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from finchain.cli.main import app
from finchain.cli.txflags import (
    KEY_PANEL,
    NODE_PANEL,
    TX_PANEL,
    KeyOptions,
    NodeOptions,
    TxOptions,
    key_command,
    query_command,
    tx_command,
)
from finchain.offchain.datarights import DataKeyError

SHARED = {"--from", "--account", "--wait", "--timeout", "--url", "--home", "--keystore",
          "--passphrase-file", "--json"}  # fmt: skip
# Commands that leave a shared option out, and why (docs/cli.md, "Transaction options").
WITHOUT = {
    # --account names the customer there
    "kyc record": {"--account"},
    "kyc revoke": {"--account"},
    "kyc disclose request": {"--account"},
    # always wait for the block: the asset id, the new version, the recorded access
    "data register": {"--wait"},
    "data rotate": {"--wait"},
    "data open": {"--wait", "--timeout"},
    "evidence anchor": {"--wait"},
    # sign HTTP requests to the regulator's routes, not transactions: nothing to wait for
    **{
        f"regulator {name}": {"--wait", "--timeout"}
        for name in (
            "whoami",
            "did",
            "institution",
            "account",
            "alerts",
            "flows",
            "history",
            "report",
        )
    },
}
# --from names the funding key of a benchmark, the first height judged in rules simulate
# (issue 14 spells it `--from H1 --to H2`), or where a report's period starts: none signs.
NOT_TX = {"bench", "rules simulate", "index report"}


def commands(group: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf command of the tree by its path (Typer's click objects, duck-typed)."""
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):
            found.update(commands(command, f"{path} "))
        else:
            found[path] = command
    return found


def options(command: Any) -> dict[str, Any]:
    return {
        opt: param
        for param in command.params
        if param.param_type_name == "option"
        for opt in param.opts
    }


ALL = commands(get_command(app))
SIGNING = sorted(path for path, cmd in ALL.items() if "--from" in options(cmd))


def test_the_tree_has_the_signing_commands_we_expect() -> None:
    assert len(SIGNING) >= 36, SIGNING
    for path in ("tx transfer", "account create", "vc revoke", "data rotate", "kyc record"):
        assert path in SIGNING


@pytest.mark.parametrize("path", [p for p in SIGNING if p not in NOT_TX])
def test_every_signing_command_has_the_shared_options_from_one_place(path: str) -> None:
    found = options(ALL[path])
    expected = SHARED - WITHOUT.get(path, set())
    assert expected <= set(found), f"{path} lacks {expected - set(found)}"
    for name in expected:
        assert getattr(found[name], "rich_help_panel", None) == TX_PANEL, (path, name)
    if "--account" in WITHOUT.get(path, set()):
        assert getattr(found["--account"], "rich_help_panel", None) != TX_PANEL


def test_offline_signing_commands_share_the_key_options() -> None:
    for path in ("vc issue", "vc present", "vc status-list create", "vc status-list set"):
        found = options(ALL[path])
        for name in ("--home", "--keystore", "--passphrase-file", "--json"):
            assert getattr(found[name], "rich_help_panel", None) == KEY_PANEL, (path, name)


def test_reading_commands_share_the_node_options() -> None:
    """Every command that talks to a node without signing takes --url, --home and --json
    from one place too (Cosmos AddQueryFlagsToCmd); ``evidence receipt`` takes only --url
    (it trusts no home), ``kyc disclose open`` and ``settle endorse`` unlock a key
    (KeyOptions with --url)."""
    reading = [p for p, c in ALL.items() if "--url" in options(c) and p not in SIGNING]
    assert len(reading) >= 15, reading
    for path in reading:
        found = options(ALL[path])
        panel = {
            "evidence receipt": None,
            "kyc disclose open": KEY_PANEL,
            "settle endorse": KEY_PANEL,
        }.get(path, NODE_PANEL)
        for name in ("--url", "--json"):
            assert getattr(found[name], "rich_help_panel", None) == panel, (path, name)


def toy() -> tuple[typer.Typer, list[object]]:
    seen: list[object] = []
    group = typer.Typer()

    @tx_command(group, "send")
    def send(amount: int, *, tx: TxOptions) -> None:
        seen.append((amount, tx))

    @tx_command(group, "always", account=False, wait=False, timeout=30.0)
    def always(*, tx: TxOptions) -> None:
        seen.append(tx)

    @key_command(group, "sign")
    def sign(name: str, *, opts: KeyOptions) -> None:
        seen.append((name, opts))

    @query_command(group, "read", names=True)
    def read(*, q: NodeOptions) -> None:
        seen.append(q)

    @tx_command(group, "refuse")
    def refuse(*, tx: TxOptions) -> None:
        raise DataKeyError("the key file is of another chain")

    return group, seen


def test_the_options_object_is_built_from_the_shared_options(
    runner: CliRunner, tmp_path: Path
) -> None:
    group, seen = toy()
    args = ["send", "7", "--from", "a", "--from", "b", "--account", "FC1", "--no-wait",
            "--timeout", "3", "--url", "http://n:1", "--home", str(tmp_path), "--json"]  # fmt: skip
    assert runner.invoke(group, args).exit_code == 0
    [(amount, tx)] = seen
    assert amount == 7
    assert tx == TxOptions(
        home=tmp_path, keystore=None, passphrase_file=None, json=True, url="http://n:1",
        signers=("a", "b"), account="FC1", wait=False, timeout=3.0,
    )  # fmt: skip

    seen.clear()
    assert runner.invoke(group, ["always", "--from", "a"]).exit_code == 0
    [tx] = seen
    assert isinstance(tx, TxOptions) and (tx.account, tx.wait, tx.timeout) == (None, True, 30.0)
    refused = runner.invoke(group, ["always", "--from", "a", "--account", "FC1"])
    assert refused.exit_code == 2 and "No such option" in refused.output
    assert runner.invoke(group, ["always", "--from", "a", "--no-wait"]).exit_code == 2

    seen.clear()
    assert runner.invoke(group, ["sign", "k", "--passphrase-file", "/p"]).exit_code == 0
    [(name, opts)] = seen
    assert name == "k" and opts == KeyOptions(passphrase_file=Path("/p"))
    assert runner.invoke(group, ["sign", "k", "--url", "http://n:1"]).exit_code == 2

    seen.clear()
    assert runner.invoke(group, ["read", "--keystore", "/k", "--json"]).exit_code == 0
    assert seen == [NodeOptions(keystore=Path("/k"), json=True)]


def test_from_is_required_and_errors_keep_their_exit_codes(runner: CliRunner) -> None:
    group, _ = toy()
    missing = runner.invoke(group, ["send", "1"])
    assert missing.exit_code == 2 and "--from" in missing.output
    refused = runner.invoke(group, ["refuse", "--from", "a"])
    assert refused.exit_code == 2  # the SDK's input errors are usage errors
    assert "error: the key file is of another chain" in refused.stderr
