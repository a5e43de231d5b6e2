"""Fixtures for real-process tests: a solo node home on a seed-derived port."""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from finchain.app import ChainParams
from finchain.devchain.setup import DemoAsset, HomeSpec, init_home
from finchain.node.home import PASSPHRASE_ENV, Home
from tests.functional.framework import TestNode
from tests.support import free_port

PASSPHRASE = "functional test passphrase"


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    value = int(os.environ.get("FINCHAIN_TEST_SEED", random.randrange(1 << 30)))
    print(f"[{request.node.name}] seed={value}")
    return value


def solo_home(
    path: Path, port: int, *, accounts: int, suite: str = "intl", block_interval: float = 0.1
) -> dict[str, str]:
    names = ("operator", *(f"a{i}" for i in range(1, accounts + 1)))
    config = (
        f'[api]\nlisten = "127.0.0.1:{port}"\nmax_concurrency = 256\n\n'
        f'[solo]\nblock_interval = {block_interval}\n\n[node]\nlog_format = "json"\n'
    )
    return init_home(
        Home(path),
        HomeSpec(
            chain_id="functional",
            suite=suite,
            passphrase=PASSPHRASE,
            account_names=names,
            assets=(DemoAsset("CNY", "Yuan", 2, 10**9),),
            params=ChainParams(),
            config_text=config,
            scrypt_n=2**4,
        ),
    )


@pytest.fixture
def node_factory(tmp_path: Path, seed: int, request: pytest.FixtureRequest) -> Iterator[object]:
    """Make TestNodes; kill leftovers; keep the directory and say where on failure."""
    made: list[TestNode] = []
    env = {**os.environ, PASSPHRASE_ENV: PASSPHRASE}

    def make(
        *, accounts: int = 4, suite: str = "intl", block_interval: float = 0.1
    ) -> tuple[TestNode, dict[str, str]]:
        index = len(made)
        home = tmp_path / f"node{index}"
        port = free_port(seed + index)
        ids = solo_home(home, port, accounts=accounts, suite=suite, block_interval=block_interval)
        node = TestNode(index, home, port, env)
        made.append(node)
        return node, ids

    yield make
    for node in made:
        node.cleanup()
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        print(f"logs kept in {tmp_path}")
    else:
        shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, "rep_" + report.when, report)
