"""`finchain testnet init --full-nodes`: extra nodes exist but are not genesis validators."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from finchain.cli.main import app


def test_full_nodes_are_written_but_not_validators(tmp_path: Path) -> None:
    net = tmp_path / "net"
    result = CliRunner().invoke(
        app,
        [
            "testnet",
            "init",
            "--dir",
            str(net),
            "--validators",
            "2",
            "--full-nodes",
            "1",
            "--suite",
            "intl",
            "--base-port",
            "25300",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    nodes = json.loads(result.stdout)["nodes"]
    assert [n["name"] for n in nodes] == ["node0", "node1", "node2"]
    genesis = json.loads((net / "node0" / "cometbft" / "config" / "genesis.json").read_text())
    assert len(genesis["validators"]) == 2
    key = json.loads(
        (net / "node2" / "cometbft" / "config" / "priv_validator_key.json").read_text()
    )
    validator_keys = {v["pub_key"]["value"] for v in genesis["validators"]}
    assert key["pub_key"]["value"] not in validator_keys
