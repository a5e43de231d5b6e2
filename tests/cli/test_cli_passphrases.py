"""Passphrases: a minimum strength for new keys, owner-only passphrase files, explicit file first.

Steps, per surface:

- ``keys new / import / export`` (in-process CLI, real keystore files): weak passphrases
  refused with ``[crypto:20]`` and no file written; ``--insecure-passphrase`` accepts one
  with a warning, and such a key unlocks later without the flag (unlocking is never
  subject to the rule); a passphrase file others may read is refused with
  ``[crypto:21]`` and ``chmod 600 FILE``; ``--passphrase-file`` wins over the environment.
- ``finchain init`` (real processes): an empty, one-character, or group-readable
  passphrase file is refused and no home is created; the explicit file wins over
  ``FINCHAIN_VALIDATOR_PASSPHRASE``; ``--insecure-passphrase`` makes a throw-away home.
- ``finchain node`` (real processes): an explicit ``--passphrase-file`` wins over a wrong
  ``FINCHAIN_VALIDATOR_PASSPHRASE``; a 0644 file stops the start with ``chmod 600``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from finchain.cli.main import app
from finchain.crypto import Keystore
from finchain.devchain.setup import HomeSpec, init_home
from finchain.node.home import PASSPHRASE_ENV, Home
from tests.functional.framework import FINCHAIN, TestNode
from tests.support import free_port

STRONG = "plum orbit velvet canyon"
OTHER = "granite lily harbour 404"


def secret(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text + "\n", encoding="utf-8")
    os.chmod(path, mode)
    return path


def keys(runner: CliRunner, tmp: Path, *args: str, env: dict[str, str] | None = None,
         stdin: str | None = None) -> tuple[int, str, str]:  # fmt: skip
    argv = ["keys", *args, "--keystore", str(tmp / "ks"), "--home", str(tmp / "home")]
    result = runner.invoke(app, argv, env=env, input=stdin)
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def one_error(err: str, code: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error [{code}]"), err
    return lines[0]


# -- keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["x", "secret", "aaaaaaaaaaaaaa", "123456789012", "password1234"])
def test_keys_new_refuses_a_weak_passphrase(runner: CliRunner, tmp_path: Path, weak: str) -> None:
    code, _, err = keys(runner, tmp_path, "new", "alice", env={"FINCHAIN_PASSPHRASE": weak})
    assert code == 1
    line = one_error(err, "crypto:20")
    assert "--insecure-passphrase" in line and (len(weak) < 4 or weak not in line)
    assert not (tmp_path / "ks" / "alice.json").exists()


def test_a_prompted_weak_passphrase_is_refused_too(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = keys(runner, tmp_path, "new", "alice", stdin="short\nshort\n")
    assert code == 1 and "[crypto:20]" in err and "has 5 characters" in err
    assert not (tmp_path / "ks" / "alice.json").exists()


def test_insecure_flag_allows_a_throwaway_key_that_unlocks_without_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    env = {"FINCHAIN_PASSPHRASE": "dev"}
    code, _, err = keys(runner, tmp_path, "new", "scratch", "--insecure-passphrase", env=env)
    assert code == 0, err
    assert err.startswith("warning: key 'scratch' is protected by a weak passphrase")
    # unlocking an existing key never applies the rule
    code, out, err = keys(runner, tmp_path, "export", "scratch", "--unsafe-raw", env=env)
    assert code == 0, err
    assert out.strip() == Keystore(tmp_path / "ks").load("scratch", "dev").secret_bytes().hex()
    # a strong passphrase with the flag: no warning
    env = {"FINCHAIN_PASSPHRASE": STRONG}
    code, _, err = keys(runner, tmp_path, "new", "solid", "--insecure-passphrase", env=env)
    assert code == 0 and err == ""


def test_passphrase_file_must_be_owner_only(runner: CliRunner, tmp_path: Path) -> None:
    shared = secret(tmp_path / "shared.pass", STRONG, 0o644)
    code, _, err = keys(runner, tmp_path, "new", "alice", "--passphrase-file", str(shared))
    assert code == 1
    line = one_error(err, "crypto:21")
    assert f"chmod 600 {shared}" in line and "0644" in line and STRONG not in line
    assert not (tmp_path / "ks" / "alice.json").exists()

    os.chmod(shared, 0o600)
    code, _, err = keys(runner, tmp_path, "new", "alice", "--passphrase-file", str(shared))
    assert code == 0, err
    Keystore(tmp_path / "ks").load("alice", STRONG)

    empty = secret(tmp_path / "empty.pass", "")
    code, _, err = keys(runner, tmp_path, "new", "bob", "--passphrase-file", str(empty))
    assert code == 1 and "is empty" in one_error(err, "crypto:21")
    code, _, err = keys(runner, tmp_path, "new", "bob", "--passphrase-file", str(tmp_path / "no"))
    assert code == 2 and "does not exist" in err


def test_explicit_passphrase_file_wins_over_the_environment(
    runner: CliRunner, tmp_path: Path
) -> None:
    chosen = secret(tmp_path / "chosen.pass", STRONG)
    env = {"FINCHAIN_PASSPHRASE": OTHER}
    code, _, err = keys(runner, tmp_path, "new", "alice", "--passphrase-file", str(chosen), env=env)
    assert code == 0, err
    Keystore(tmp_path / "ks").load("alice", STRONG)
    code, _, err = keys(runner, tmp_path, "export", "alice", "--unsafe-raw",
                        "--passphrase-file", str(chosen), env=env)  # fmt: skip
    assert code == 0, err


def test_import_and_export_apply_the_rule_to_the_new_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    env = {"FINCHAIN_PASSPHRASE": STRONG}
    keys(runner, tmp_path, "new", "alice", "--scheme", "ed25519", env=env)
    out = tmp_path / "alice.export"
    weak_export = {**env, "FINCHAIN_NEW_PASSPHRASE": "transport"}
    code, _, err = keys(runner, tmp_path, "export", "alice", "--out", str(out), env=weak_export)
    assert code == 1 and "[crypto:20]" in err and not out.exists()
    weak_file = secret(tmp_path / "new.pass", OTHER, 0o640)
    code, _, err = keys(runner, tmp_path, "export", "alice", "--out", str(out),
                        "--new-passphrase-file", str(weak_file), env=env)  # fmt: skip
    assert code == 1 and "chmod 600" in one_error(err, "crypto:21") and not out.exists()

    # a document exported under a weak passphrase imports only with the flag
    code, _, err = keys(runner, tmp_path, "export", "alice", "--out", str(out),
                        "--insecure-passphrase", env=weak_export)  # fmt: skip
    assert code == 0 and "weak passphrase" in err
    importing = {"FINCHAIN_PASSPHRASE": "transport"}
    code, _, err = keys(runner, tmp_path, "import", "copy", str(out), env=importing)
    assert code == 1 and "[crypto:20]" in err
    assert not (tmp_path / "ks" / "copy.json").exists()
    code, _, err = keys(runner, tmp_path, "import", "copy", str(out), "--insecure-passphrase",
                        env=importing)  # fmt: skip
    assert code == 0, err

    raw = secret(tmp_path / "raw.hex", "11" * 32)
    code, _, err = keys(runner, tmp_path, "import", "raw", str(raw), "--scheme", "sm2",
                        env={"FINCHAIN_PASSPHRASE": "short"})  # fmt: skip
    assert code == 1 and "[crypto:20]" in err


def test_dev_passphrase_file_in_home_must_be_owner_only(runner: CliRunner, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    dev = secret(home / "validator.passphrase", STRONG, 0o644)
    code, _, err = keys(runner, tmp_path, "new", "alice")
    assert code == 1 and f"chmod 600 {dev}" in one_error(err, "crypto:21")


# -- finchain init (real processes) ----------------------------------------------------------


def finchain(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FINCHAIN_")}
    return subprocess.run(
        [FINCHAIN, *args], capture_output=True, text=True, env={**clean, **(env or {})},
        timeout=120,
    )  # fmt: skip


def test_init_refuses_weak_or_exposed_passphrases_and_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cases = [
        (secret(tmp_path / "one", "a"), "crypto:20", "has 1 character"),
        (secret(tmp_path / "empty", ""), "crypto:21", "is empty"),
        (secret(tmp_path / "shared", STRONG, 0o644), "crypto:21", f"chmod 600 {tmp_path}/shared"),
    ]
    for path, code, words in cases:
        done = finchain("init", "--home", str(home), "--passphrase-file", str(path))
        assert done.returncode == 1, done.stderr
        assert words in one_error(done.stderr, code)
        assert not home.exists()
    done = finchain("init", "--home", str(home), env={PASSPHRASE_ENV: "dev"})
    assert done.returncode == 1 and "[crypto:20]" in done.stderr and not home.exists()


def test_init_takes_the_explicit_file_over_the_environment(tmp_path: Path) -> None:
    home = tmp_path / "home"
    chosen = secret(tmp_path / "pass", STRONG)
    done = finchain("init", "--home", str(home), "--passphrase-file", str(chosen), "--json",
                    env={PASSPHRASE_ENV: OTHER})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["accounts"]["operator"]
    Home(home).keystore().load("validator", STRONG)
    Home(home).keystore().load("operator", STRONG)


def test_init_insecure_passphrase_makes_a_throwaway_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = finchain("init", "--home", str(home), "--insecure-passphrase",
                    env={PASSPHRASE_ENV: "dev"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "weak passphrase" in done.stderr and "throw-away" in done.stderr
    Home(home).keystore().load("validator", "dev")


def test_init_prompt_applies_the_rule(runner: CliRunner, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = runner.invoke(app, ["init", "--home", str(home)], input="tiny\ntiny\n")
    assert result.exit_code == 1 and "[crypto:20]" in result.stderr and not home.exists()


# -- finchain node (real processes) ----------------------------------------------------------


def test_node_takes_the_explicit_file_over_the_environment(tmp_path: Path) -> None:
    port = free_port(os.getpid())
    home = tmp_path / "home"
    init_home(
        Home(home),
        HomeSpec(chain_id="pass-test", suite="intl", passphrase=STRONG, scrypt_n=2**4,
                 config_text=f'[api]\nlisten = "127.0.0.1:{port}"\n\n[solo]\ninstant = true\n'),
    )  # fmt: skip
    chosen = secret(tmp_path / "validator.pass", STRONG)
    env = {**os.environ, PASSPHRASE_ENV: OTHER}  # a stale, wrong value in the service's env
    explicit = TestNode(0, home, port, env, extra_args=["--passphrase-file", str(chosen)])
    try:
        explicit.start()  # serving: the file won
        assert explicit.status()["chain_id"] == "pass-test"
        explicit.stop()

        os.chmod(chosen, 0o644)
        err = explicit.start_refused()
        assert "[crypto:21]" in err and f"chmod 600 {chosen}" in err

        from_env = TestNode(1, home, port, env)  # no file: the (wrong) environment is used
        err = from_env.start_refused()
        assert "[node:4]" in err and "cannot unlock the validator key" in err
    finally:
        explicit.cleanup()
