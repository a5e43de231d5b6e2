"""Fixtures for SDK tests: a real solo node served over HTTP by uvicorn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from finchain.node.api import ApiLimits
from tests.client.live import LiveNode, live_node, serve


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    with live_node(tmp_path_factory.mktemp("sdk"), ApiLimits(keepalive_interval=0.3)) as node:
        yield node


@pytest.fixture(scope="module")
def url(live: LiveNode) -> Iterator[str]:
    with serve(live.app) as base:
        yield base
