"""Identity commands refuse bad input before touching a key or a node (exit 2, one line)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from finchain.cli.main import app
from tests.vc.world import SUSPENSION_URL, World


def run(runner: CliRunner, tmp_path: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--home", str(tmp_path)])
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr


def test_issue_refuses_a_malformed_did(runner: CliRunner, tmp_path: Path) -> None:
    code, err = run(
        runner,
        tmp_path,
        "vc",
        "issue",
        "--issuer",
        "did:finchain:x:000000000100",
        "--key",
        "k",
        "--subject",
        "did:example:1",
        "--type",
        "T",
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 2 and "is not a did:finchain DID" in err
    assert not (tmp_path / "o").exists()


def test_issue_needs_status_list_and_index_together(runner: CliRunner, tmp_path: Path) -> None:
    did = "did:finchain:test-chain:000000000777"
    code, err = run(
        runner,
        tmp_path,
        "vc",
        "issue",
        "--issuer",
        did,
        "--key",
        "k",
        "--subject",
        did,
        "--type",
        "T",
        "--status-list",
        "https://x.example/l",
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 2 and "--status-index" in err


def test_verify_reports_a_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["vc", "verify", str(tmp_path / "none.json")])
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_kyc_record_refuses_tier_above_max(runner: CliRunner, tmp_path: Path) -> None:
    did = "did:finchain:test-chain:000000000777"
    code, err = run(
        runner,
        tmp_path,
        "kyc",
        "record",
        "--issuer",
        did,
        "--account",
        "a",
        "--subject",
        did,
        "--tier",
        "3",
        "--expires",
        "2030-01-01T00:00:00Z",
        "--credential",
        "c",
        "--from",
        "k",
    )
    assert code == 2 and "--tier must be 0 to 2" in err


def test_status_change_refuses_a_list_without_the_credential(
    runner: CliRunner, tmp_path: Path
) -> None:
    """``vc revoke`` against a list the credential has no revocation entry in: exit 2 (the
    SDK's StatusChangeError), before any key, node or file is touched."""
    world = World()
    credential, suspensions = tmp_path / "vc.json", tmp_path / "suspensions.json"
    credential.write_text(json.dumps(world.credential()))
    listed = json.dumps(world.publish(SUSPENSION_URL))
    suspensions.write_text(listed)
    code, err = run(
        runner, tmp_path, "vc", "revoke", str(credential), "--list", str(suspensions),
        "--key", "nokey", "--from", "nobody",
    )  # fmt: skip
    assert code == 2 and "no revocation entry in status list" in err
    assert len(err.strip().splitlines()) == 1 and suspensions.read_text() == listed
