"""``finchain cbdc`` against a real solo node and its HTTP API (served in this process).

The dev chain designates no CBDC yet: the overview reads empty, a command that
needs the CBDC's decimals stops before signing, and a wallet or operator that does
not exist is refused by the chain with the cbdc codes. The module's behaviour is
tested through real blocks in tests/modules/test_cbdc.py.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from finchain.cli.inprocess import LocalChain
from tests.inprocess_cli import Cli


@pytest.fixture
def cli(runner: CliRunner, api: LocalChain) -> Cli:
    return Cli(api, runner)


def test_cbdc_commands_reach_the_chain(cli: Cli) -> None:
    assert cli.ok("cbdc", "overview") == {
        "central_bank": None,
        "asset": None,
        "issued": "0",
        "operators": [],
    }
    code, _, err = cli.run("cbdc", "issue", "bob", "10.00", "--reference", "R-1", "--from", "alice")
    assert code != 0 and "no CBDC is designated yet" in err
    code, _, err = cli.run("cbdc", "open-wallet", "bob", "--tier", "2", "--from", "alice")
    assert code == 1 and "cbdc:2" in err
    code, _, err = cli.run("cbdc", "wallet", "bob")
    assert code == 1 and "cbdc:14" in err
    code, _, err = cli.run("cbdc", "wallets", "alice")
    assert code == 1 and "cbdc:6" in err
    code, _, err = cli.run("cbdc", "open-wallet", "bob", "--tier", "5", "--from", "alice")
    assert code != 0 and "--tier" in err
