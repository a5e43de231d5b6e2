"""Fixtures for the CometBFT tests: a seed per run, networks that are always torn down."""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.functional.cometbft.framework import CometNetwork
from tests.functional.cometbft.genesis import Accounts


@pytest.fixture
def net_seed(request: pytest.FixtureRequest) -> int:
    """FINCHAIN_TEST_SEED reproduces a run; the pytest-xdist worker id spreads workers apart."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    base = int(os.environ.get("FINCHAIN_TEST_SEED", random.randrange(1 << 30)))
    print(f"[{request.node.name}] FINCHAIN_TEST_SEED={base}")
    return base * 1009 + int(worker or 0)


@pytest.fixture
def network(
    tmp_path: Path, net_seed: int, request: pytest.FixtureRequest
) -> Iterator[Callable[..., CometNetwork]]:
    """Make a CometNetwork; kill it afterwards; keep its logs and print where on failure."""
    made: list[CometNetwork] = []

    def make(
        size: int,
        *,
        accounts: int = 3,
        suite: str = "intl",
        full_nodes: int = 0,
        governance: dict[str, Any] | None = None,
    ) -> CometNetwork:
        net = CometNetwork(
            tmp_path / f"net{len(made)}",
            size,
            seed=net_seed + len(made),
            accounts=Accounts.create(accounts, suite),
            suite=suite,
            full_nodes=full_nodes,
            governance=governance,
        )
        made.append(net)
        return net

    yield make
    for net in made:
        net.cleanup()
    report = getattr(request.node, "cometbft_call_report", None)
    if report is not None and report.failed:
        print("CometBFT test failed; logs kept in:\n" + "\n".join(n.log_paths() for n in made))
    else:
        shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.cometbft_call_report = report  # type: ignore[attr-defined]
