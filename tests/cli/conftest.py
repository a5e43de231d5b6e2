"""Fixtures for CLI tests: a CliRunner, and a real solo chain in a temp home.

The chain uses the cheapest scrypt cost so key unlocking takes microseconds;
everything else (suite, signatures, proofs) is the production code path.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from finchain.cli.inprocess import LocalChain, local_chain
from finchain.devchain.setup import DemoAsset, HomeSpec, init_home
from finchain.engines.solo.node import SoloNode
from finchain.node.home import Home
from finchain.node.solo import open_solo_node

PASSPHRASE = "cli test passphrase"
CHAIN_ID = "cli-test"
ACCOUNTS = ("operator", "alice", "bob")


@dataclass
class Chain:
    home: Home
    ids: dict[str, str]
    passphrase_file: Path


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("FINCHAIN_PASSPHRASE", "FINCHAIN_NEW_PASSPHRASE", "FINCHAIN_URL", "FINCHAIN_HOME"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def make_chain(path: Path, *, suite: str = "gm") -> Chain:
    home = Home(path / "home")
    ids = init_home(
        home,
        HomeSpec(
            chain_id=CHAIN_ID,
            suite=suite,
            passphrase=PASSPHRASE,
            account_names=ACCOUNTS,
            assets=(DemoAsset("CNY", "Yuan", 2, 1_000_000),),
            scrypt_n=2**4,
        ),
    )
    passphrase_file = path / "passphrase"
    passphrase_file.write_text(PASSPHRASE)
    os.chmod(passphrase_file, 0o600)
    return Chain(home, ids, passphrase_file)


@pytest.fixture(scope="module")
def solo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Chain, SoloNode]]:
    """A running in-process solo node (no HTTP) for building real proofs."""
    chain = make_chain(tmp_path_factory.mktemp("solo"))
    node = open_solo_node(chain.home, instant=True, passphrase_file=chain.passphrase_file)
    node.start()
    yield chain, node
    node.stop()


@pytest.fixture(scope="module")
def api() -> Iterator[LocalChain]:
    """A solo node (instant blocks) with its HTTP API on a free local port, in this process."""
    with local_chain(suite="gm", instant=True, block_interval=0.2) as chain:
        yield chain
