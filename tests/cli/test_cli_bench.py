"""``finchain bench``: the in-process mode end to end, and the figures it reports."""

from __future__ import annotations

import inspect
import json
import re

from typer.testing import CliRunner

from finchain.cli.bench import DEFAULT_BATCH, DEFAULT_CONCURRENCY, bench, percentile
from finchain.cli.main import app
from finchain.engines.cometbft.config import ConsensusSettings

LAST_LINE = re.compile(
    r"tps=[0-9]+\.[0-9] p50_ms=[0-9]+\.[0-9] p99_ms=[0-9]+\.[0-9] "
    r"committed=([0-9]+) failed=([0-9]+)"
)


def test_in_process_bench_commits_everything(runner: CliRunner) -> None:
    argv = [
        "bench",
        "--in-process",
        "--txs",
        "240",
        "--accounts",
        "8",
        "--batch",
        "30",
        "--concurrency",
        "2",
        "--scheme",
        "sm2",
        "--block-interval",
        "0.2",
    ]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.stderr
    match = LAST_LINE.fullmatch(result.stdout.strip().splitlines()[-1])
    assert match is not None and match.groups() == ("240", "0")

    result = runner.invoke(app, [*argv[:-2], "--block-interval", "0.1", "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["committed"] == 240 and report["failed"] == 0 and report["scheme"] == "sm2"
    assert 0 < report["p50_ms"] <= report["p99_ms"] and report["tps"] > 0
    assert LAST_LINE.fullmatch(report["line"])


def test_lanes_spread_over_client_processes_commit_everything(runner: CliRunner) -> None:
    """--processes runs the lanes in spawned client processes and merges their figures."""
    argv = ["bench", "--in-process", "--txs", "180", "--accounts", "6", "--batch", "30",
            "--concurrency", "3", "--processes", "2", "--block-interval", "0.1",
            "--json"]  # fmt: skip
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["committed"] == 180 and report["failed"] == 0
    assert 0 < report["p50_ms"] <= report["p99_ms"] and report["tps"] > 0


def test_bench_refuses_bad_options(runner: CliRunner) -> None:
    result = runner.invoke(app, ["bench", "--scheme", "rsa", "--in-process"])
    assert result.exit_code == 2 and "--scheme" in result.stderr
    result = runner.invoke(app, ["bench", "--suite", "gm", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 2 and "--in-process" in result.stderr


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0


def test_default_load_fits_a_default_cometbft_mempool() -> None:
    """16 lanes x 500 overran `finchain testnet init`'s mempool of 5,000: the defaults fit it."""
    assert ConsensusSettings().mempool_size > DEFAULT_CONCURRENCY * DEFAULT_BATCH
    defaults = inspect.signature(bench).parameters
    assert defaults["batch"].default == DEFAULT_BATCH
    assert defaults["concurrency"].default == DEFAULT_CONCURRENCY


def test_a_failed_setup_is_a_failure_not_a_usage_error(runner: CliRunner) -> None:
    argv = ["bench", "--in-process", "--txs", "10", "--accounts", "2", "--asset", "NOPE",
            "--block-interval", "0.1"]  # fmt: skip
    result = runner.invoke(app, argv)
    assert result.exit_code == 1, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: bench setup failed while funding accounts: [bank:"), line
