"""``finchain index report|status`` over an index, the index ``finchain dev`` keeps, and the
node's ``[indexer]`` section."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from finchain.cli.main import app
from finchain.errors import FinchainError
from finchain.node.config import IndexerSection, parse_config
from tests.functional.framework import FINCHAIN
from tests.indexer.synthetic import ACCOUNTS, T0, make_chain
from tests.indexer.test_indexer import index_all
from tests.support import free_port, wait_until

runner = CliRunner()


def test_report_writes_csv_json_and_pdf(db_url: str, tmp_path: Path) -> None:
    index_all(db_url, make_chain(seed=21, blocks=40))
    span = ["--from", "2027-01-15T08:00:00Z", "--to", str(T0 + 30 * 10**9)]
    for fmt in ("csv", "json", "pdf"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(
            app,
            [
                "index",
                "report",
                "structuring",
                *span,
                "--format",
                fmt,
                "--db",
                db_url,
                "-o",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    body = json.loads((tmp_path / "report.json").read_text())
    assert body["report"] == "structuring" and body["params"]["to_ns"] == T0 + 30 * 10**9
    assert {r["report_type"] for r in body["rows"]} == {"structuring"}
    assert set(body["sections"]) == {"by_rule", "by_institution"}
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF-")
    flows = runner.invoke(app, ["index", "report", "flows", "--format", "json", "--db", db_url])
    assert flows.exit_code == 0 and json.loads(flows.output)["report"] == "flows"
    account = runner.invoke(
        app, ["index", "report", "account", "--account", ACCOUNTS[3], "--db", db_url]
    )
    assert account.exit_code == 0 and account.output.startswith("height,time_ns,tx_hash,type")
    status = runner.invoke(app, ["index", "status", "--db", db_url, "--json"])
    assert json.loads(status.output)["last_indexed_height"] == 40


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["large_value", "--format", "xml"], "use one of csv, json, pdf"),
        (["large_value", "--format", "pdf"], "a PDF goes to a file"),
        (["large_value", "--from", "yesterday"], "RFC 3339"),
        (["large_value", "--from", "2027-01-02T00:00:00Z", "--to", "2027-01-01T00:00:00Z"],
         "--to must be later than --from"),
        (["account"], "needs --account"),
    ],
)  # fmt: skip
def test_report_refuses_bad_options_before_reading(
    args: list[str], message: str, tmp_path: Path
) -> None:
    db = f"sqlite://{tmp_path / 'never.db'}"
    result = runner.invoke(app, ["index", "report", *args, "--db", db])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "never.db").exists()


@pytest.mark.functional
def test_the_dev_chain_keeps_an_index_in_its_home(tmp_path: Path) -> None:
    home, port = tmp_path / "dev", free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCHAIN_")}
    with (tmp_path / "dev.log").open("ab") as out:
        process = subprocess.Popen(
            [FINCHAIN, "dev", "--home", str(home), "--listen", f"127.0.0.1:{port}"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    db = f"sqlite://{home / 'index.db'}"
    try:
        wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200,
            timeout=60,
            what="the dev API",
        )

        def indexed() -> int:
            result = runner.invoke(app, ["index", "status", "--db", db, "--json"])
            return (
                int(json.loads(result.output)["last_indexed_height"]) if not result.exit_code else 0
            )

        wait_until(lambda: indexed() >= 3, timeout=60, what="the dev chain's index to fill")
        history = runner.invoke(app, ["index", "report", "flows", "--db", db, "--format", "json"])
        assert history.exit_code == 0, history.output
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    text = (tmp_path / "dev.log").read_text()
    assert code == 0, text[-3000:]
    assert "indexer not started" not in text and "indexer stopped:" not in text


def test_the_indexer_section_of_config_toml() -> None:
    config = parse_config({"indexer": {"db": "sqlite:///var/index.db", "run": True}}, source="t")
    assert config.indexer == IndexerSection(db="sqlite:///var/index.db", run=True)
    assert parse_config({}, source="t").indexer == IndexerSection()
    with pytest.raises(FinchainError, match=r"indexer.run = true needs indexer.db"):
        parse_config({"indexer": {"run": True}}, source="t")
    with pytest.raises(FinchainError, match=r"unknown key indexer.url"):
        parse_config({"indexer": {"url": "x"}}, source="t")
