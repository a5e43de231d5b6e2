"""``finchain keys``: round trips through the real keystore, errors as one line with a code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from finchain.cli.main import app
from finchain.crypto import Keystore

# New keys need 12+ characters that are not a common passphrase (crypto:20).
PW = "plum orbit velvet canyon"
OLD = "old harbour lantern 42"
TRANSPORT = "transport ferry mosaic 7"
RIGHT = "right tangerine sofa 88"
WRONG = "wrong tangerine sofa 88"
RAW = "raw import cobalt 31"


def keys(
    runner: CliRunner,
    ks: Path,
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> tuple[int, str, str]:
    # --home points at an empty directory so no ~/.finchain dev passphrase can leak in
    argv = ["keys", *args, "--keystore", str(ks), "--home", str(ks.parent / "no-home")]
    result = runner.invoke(app, argv, env=env, input=stdin)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("scheme", ["ed25519", "sm2", "secp256k1"])
def test_new_list_show_json(runner: CliRunner, tmp_path: Path, scheme: str) -> None:
    ks = tmp_path / "ks"
    code, out, err = keys(
        runner, ks, "new", "alice", "--scheme", scheme, "--json", env={"FINCHAIN_PASSPHRASE": PW}
    )
    assert code == 0, err
    created = json.loads(out)
    assert created["scheme"] == scheme
    assert Keystore(ks).info("alice").public_key.data.hex() == created["public_key"]

    code, out, _ = keys(runner, ks, "list", "--json")
    assert code == 0 and [k["name"] for k in json.loads(out)] == ["alice"]
    code, out, _ = keys(runner, ks, "show", "alice", "--json")
    assert code == 0 and json.loads(out)["public_key"] == created["public_key"]
    code, out, _ = keys(runner, ks, "show", "alice")
    assert code == 0 and created["public_key"][:32] in out.replace("\n", "").replace(" ", "")


def test_prompted_passphrase_is_confirmed_and_hidden(runner: CliRunner, tmp_path: Path) -> None:
    ks = tmp_path / "ks"
    code, out, err = keys(runner, ks, "new", "bob", "--json", stdin=f"{PW}\n{PW}\n")
    assert code == 0, err
    assert PW not in out + err
    Keystore(ks).load("bob", PW)


def test_export_import_round_trip_under_new_passphrase(runner: CliRunner, tmp_path: Path) -> None:
    ks, other = tmp_path / "ks", tmp_path / "other"
    keys(runner, ks, "new", "alice", "--scheme", "ed25519", env={"FINCHAIN_PASSPHRASE": OLD})
    secret = Keystore(ks).load("alice", OLD).secret_bytes().hex()
    exported = tmp_path / "alice.export.json"
    env = {"FINCHAIN_PASSPHRASE": OLD, "FINCHAIN_NEW_PASSPHRASE": TRANSPORT}
    code, _, err = keys(runner, ks, "export", "alice", "--out", str(exported), env=env)
    assert code == 0, err
    assert exported.stat().st_mode & 0o777 == 0o600
    text = exported.read_text()
    assert secret not in text and json.loads(text)["scheme"] == "ed25519"

    # the export opens with the transport passphrase only
    code, _, err = keys(
        runner, other, "import", "carol", str(exported), env={"FINCHAIN_PASSPHRASE": OLD}
    )
    assert code == 1 and "[crypto:7]" in err and len(err.strip().splitlines()) == 1
    code, _, err = keys(
        runner,
        other,
        "import",
        "carol",
        str(exported),
        "--json",
        env={"FINCHAIN_PASSPHRASE": TRANSPORT},
    )
    assert code == 0, err
    assert Keystore(other).load("carol", TRANSPORT).secret_bytes().hex() == secret

    # exporting twice to the same file never clobbers it
    code, _, err = keys(runner, ks, "export", "alice", "--out", str(exported), env=env)
    assert code == 2 and "already exists" in err


def test_wrong_passphrase_is_one_line_with_code(runner: CliRunner, tmp_path: Path) -> None:
    ks = tmp_path / "ks"
    keys(runner, ks, "new", "alice", env={"FINCHAIN_PASSPHRASE": RIGHT})
    code, out, err = keys(runner, ks, "export", "alice", env={"FINCHAIN_PASSPHRASE": WRONG})
    assert code == 1
    assert err.startswith("error [crypto:7]") and "wrong passphrase" in err
    assert "Traceback" not in out + err and len(err.strip().splitlines()) == 1
    code, _, err = keys(runner, ks, "show", "nobody")
    assert code == 1 and "[crypto:9]" in err


def test_unsafe_raw_warns_and_round_trips(runner: CliRunner, tmp_path: Path) -> None:
    ks = tmp_path / "ks"
    keys(runner, ks, "new", "alice", "--scheme", "sm2", env={"FINCHAIN_PASSPHRASE": PW})
    code, out, err = keys(
        runner, ks, "export", "alice", "--unsafe-raw", env={"FINCHAIN_PASSPHRASE": PW}
    )
    assert code == 0 and "WARNING" in err and "UNENCRYPTED" in err
    secret = out.strip()
    assert secret == Keystore(ks).load("alice", PW).secret_bytes().hex()

    raw = tmp_path / "raw.txt"
    raw.write_text(secret + "\n")
    code, _, err = keys(runner, ks, "import", "copy", str(raw), env={"FINCHAIN_PASSPHRASE": RAW})
    assert code == 2 and "--scheme" in err
    code, out, err = keys(
        runner,
        ks,
        "import",
        "copy",
        str(raw),
        "--scheme",
        "sm2",
        "--json",
        env={"FINCHAIN_PASSPHRASE": RAW},
    )
    assert code == 0, err
    assert json.loads(out)["public_key"] == Keystore(ks).info("alice").public_key.data.hex()


def test_bad_input_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    ks = tmp_path / "ks"
    code, _, err = keys(runner, ks, "new", "a", "--scheme", "rsa", env={"FINCHAIN_PASSPHRASE": PW})
    assert code == 2 and "--scheme" in err
    junk = tmp_path / "junk"
    junk.write_text("not a key")
    code, _, err = keys(runner, ks, "import", "a", str(junk), "--scheme", "sm2")
    assert code == 2 and "neither" in err
    code, _, err = keys(runner, tmp_path / "missing", "list")
    assert code == 2 and "no keystore" in err
