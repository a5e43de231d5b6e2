"""Storage damage met by block production halts it: one clear message, submissions refused.

The rocksdict handle fails reads the way a damaged table file fails them
(``tests.app.test_storage_faults.Damaged``); real damaged files are in
tests/functional/test_storage_damage.py.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest

from finchain.client.builders import Signer, transfer
from finchain.engines.solo.node import SoloNode
from finchain.errors import FinchainError
from finchain.node.api import create_app
from finchain.node.home import Home
from finchain.service.errors import ErrHalted
from finchain.service.interface import SubmitMode
from finchain.store import keys as K
from finchain.store.errors import ErrCorrupt
from tests.app.test_storage_faults import Damaged
from tests.node.conftest import PASSPHRASE
from tests.support import code


def test_damage_in_a_commit_halts_block_production(
    solo_node: SoloNode, solo_home: tuple[Home, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    home, ids = solo_home
    keys = home.keystore()
    alice = Signer(solo_node.app.chain_id, ids["alice"], [("k1", keys.load("alice", PASSPHRASE))])
    first = solo_node.submit(
        [alice.sign(transfer((ids["bob"], "CNY", 1)))], SubmitMode.COMMIT, timeout=10
    )
    assert first[0].deliver is not None and first[0].deliver.ok
    height = solo_node.status().height

    # The tx index is read by every commit of a block that holds transactions.
    solo_node.app.db._db = Damaged(solo_node.app.db._db, K.TX_INDEX)
    with caplog.at_level(logging.CRITICAL, logger="finchain.node"):
        second = solo_node.submit(
            [alice.sign(transfer((ids["bob"], "CNY", 1)))], SubmitMode.SYNC, timeout=10
        )
        assert second[0].check is not None and second[0].check.ok
        deadline = time.monotonic() + 10
        while not solo_node.status().halted and time.monotonic() < deadline:
            time.sleep(0.05)
    status = solo_node.status()
    assert status.halted.startswith("[store:8]") and "000042.sst" in status.halted
    assert status.height == height, "a block was committed past the damage"
    assert solo_node.block(height + 1) is None, "a block was committed past the damage"
    halts = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert len(halts) == 1 and "000042.sst" in halts[0].getMessage()
    assert halts[0].exc_info is None, "one clear message, not a traceback"
    with pytest.raises(FinchainError) as info:
        solo_node.submit([alice.sign(transfer((ids["bob"], "CNY", 1)))], SubmitMode.SYNC, timeout=5)
    assert ErrHalted.matches(info.value) and "another node" in info.value.message


def test_a_halted_node_says_so_over_the_api(solo_node: SoloNode) -> None:
    solo_node._halt(ErrCorrupt("the database at /x is damaged: … in /x/000042.sst"))
    asyncio.run(_ask_halted(solo_node))


async def _ask_halted(solo_node: SoloNode) -> None:
    transport = httpx.ASGITransport(app=create_app(solo_node))
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        health = await client.get("/v1/health")
        assert health.status_code == 503
        assert health.json()["status"] == "halted"
        assert "000042.sst" in health.json()["details"]["reason"]
        status = await client.get("/v1/status")
        assert status.status_code == 200 and status.json()["halted"].startswith("[store:8]")
        submit = await client.post("/v1/txs", json={"tx": "AAAA"})
        assert submit.status_code == 503
        assert (submit.json()["codespace"], submit.json()["code"]) == code(ErrHalted)
