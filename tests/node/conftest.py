"""Fixtures for node tests: a real solo node in a temp home."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from finchain.devchain.setup import DemoAsset, HomeSpec, init_home
from finchain.engines.solo.node import SoloNode
from finchain.node.home import Home
from finchain.node.solo import open_solo_node

PASSPHRASE = "test passphrase"
DEMO_ACCOUNTS = ("operator", "alice", "bob")


def make_home(path: Path, *, suite: str = "intl") -> tuple[Home, dict[str, str]]:
    home = Home(path)
    ids = init_home(
        home,
        HomeSpec(
            chain_id="test-solo",
            suite=suite,
            passphrase=PASSPHRASE,
            account_names=DEMO_ACCOUNTS,
            assets=(DemoAsset("CNY", "Yuan", 2, 1_000_000),),
            scrypt_n=2**4,
        ),
    )
    return home, ids


@pytest.fixture
def solo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Home, dict[str, str]]:
    monkeypatch.setenv("FINCHAIN_VALIDATOR_PASSPHRASE", PASSPHRASE)
    return make_home(tmp_path / "home")


@pytest.fixture
def solo_node(solo_home: tuple[Home, dict[str, str]]) -> Iterator[SoloNode]:
    node = open_solo_node(solo_home[0], instant=True, block_interval=0.2)
    node.start()
    yield node
    node.stop()
