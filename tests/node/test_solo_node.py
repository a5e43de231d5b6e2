"""The solo node in-process: admission, blocks signed by the validator, waiting, streaming."""

from __future__ import annotations

import asyncio
import itertools
import time

from finchain.client import builders as b
from finchain.client.builders import Signer
from finchain.crypto import Keystore
from finchain.engines.solo.header import header_hash, verify_header
from finchain.engines.solo.node import SoloClock, SoloNode
from finchain.modules.bank.errors import ErrInsufficientFunds
from finchain.node.home import Home
from finchain.node.solo import open_solo_node
from finchain.service.interface import EventFilter, SubmitMode
from finchain.store import verify_tx_proof
from tests.node.conftest import PASSPHRASE
from tests.support import code


def signer_for(node: SoloNode, home: Home, ids: dict[str, str], name: str) -> Signer:
    key = Keystore(home.keystore_dir).load(name, PASSPHRASE)
    nonce = node.query("accounts/account", {"account": ids[name]}, height=None, prove=False).value[
        "nonce"
    ]
    return Signer(node.app.chain_id, ids[name], [("k1", key)], nonce=nonce)


def test_commit_mode_includes_and_proves(solo_node, solo_home):
    _, ids = solo_home
    alice = signer_for(solo_node, solo_home[0], ids, "alice")
    raw = alice.sign(b.transfer((ids["bob"], "CNY", 25)))
    (result,) = solo_node.submit([raw], SubmitMode.COMMIT, timeout=10)
    assert result.check is not None and result.check.ok
    assert result.deliver is not None and result.deliver.ok and result.height >= 1
    view = solo_node.tx(result.tx_id)
    assert view is not None and view.raw == raw
    assert verify_tx_proof(solo_node.app.hash_name, view.block.header["tx_root"], raw, view.proof)
    validator = view.block.validator
    assert verify_header(
        view.block.header, view.block.signature, validator["scheme"], validator["public_key"]
    )
    balance = solo_node.query(
        "bank/balance", {"account": ids["bob"], "asset": "CNY"}, height=None, prove=False
    )
    assert balance.value["amount"] == "1000025"
    # Resubmitting a committed tx in commit mode answers with where it already is.
    (again,) = solo_node.submit([raw], SubmitMode.COMMIT, timeout=1)
    assert (again.height, again.index) == (result.height, result.index)


def test_sync_mode_reports_check_errors(solo_node, solo_home):
    _, ids = solo_home
    alice = signer_for(solo_node, solo_home[0], ids, "alice")
    (bad,) = solo_node.submit(
        [alice.sign(b.transfer((ids["bob"], "CNY", 10**12)))], SubmitMode.SYNC, timeout=1
    )
    assert bad.check is not None and (bad.check.codespace, bad.check.code) == code(
        ErrInsufficientFunds
    )
    assert len(solo_node.mempool) == 0


def test_async_mode_queues_then_commits(solo_node, solo_home):
    _, ids = solo_home
    alice = signer_for(solo_node, solo_home[0], ids, "alice")
    raws = [alice.sign(b.transfer((ids["bob"], "CNY", 1))) for _ in range(5)]
    results = solo_node.submit(raws, SubmitMode.ASYNC, timeout=1)
    assert all(r.check is None for r in results)
    (last,) = solo_node.submit([raws[-1]], SubmitMode.COMMIT, timeout=10)
    assert last.deliver is not None and last.deliver.ok
    bob = solo_node.query(
        "bank/balance", {"account": ids["bob"], "asset": "CNY"}, height=None, prove=False
    )
    assert bob.value["amount"] == "1000005"


def test_blocks_chain_by_hash_and_survive_restart(solo_home):
    home, ids = solo_home
    node = open_solo_node(home, instant=True, block_interval=0.2)
    node.start()
    alice = signer_for(node, home, ids, "alice")
    for _ in range(3):
        node.submit([alice.sign(b.transfer((ids["bob"], "CNY", 1)))], SubmitMode.COMMIT, timeout=10)
    status = node.status()
    blocks = [node.block(h) for h in range(1, status.height + 1)]
    node.stop()
    for previous, block in itertools.pairwise(blocks):
        assert block is not None and previous is not None
        assert block.header["last_block_hash"] == header_hash(previous.header, "intl")
    again = open_solo_node(home, instant=True, block_interval=0.2)
    assert again.status().height == status.height and again.status().app_hash == status.app_hash
    again.start()
    again.stop()


def test_event_stream_filters_by_account(solo_node, solo_home):
    _, ids = solo_home
    alice = signer_for(solo_node, solo_home[0], ids, "alice")

    async def collect() -> list:
        items = []
        stream = solo_node.subscribe(
            EventFilter(account=ids["bob"], event_types=frozenset({"transfer"}))
        )

        async def consume() -> None:
            async for item in stream:
                items.append(item)
                return

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.1)
        raw = alice.sign(b.transfer((ids["bob"], "CNY", 3)))
        await asyncio.to_thread(solo_node.submit, [raw], SubmitMode.COMMIT, timeout=10)
        await asyncio.wait_for(task, 10)
        return items

    (item,) = asyncio.run(collect())
    assert item.kind == "tx_event" and item.data["event"]["type"] == "transfer"


def test_a_new_blocks_view_is_the_one_its_stored_record_gives(solo_node, solo_home):
    """The newest blocks are served as built; the stored record must read back the same."""
    _, ids = solo_home
    alice = signer_for(solo_node, solo_home[0], ids, "alice")
    raws = [alice.sign(b.transfer((ids["bob"], "CNY", 1))) for _ in range(3)]
    results = solo_node.submit(raws, SubmitMode.COMMIT, timeout=10)
    height = results[-1].height
    as_built = solo_node.block(height)
    assert as_built is not None and solo_node.tx(results[0].tx_id) is not None
    solo_node._recent_blocks.clear()
    assert solo_node.block(height) == as_built and solo_node.block(None) is not None


def test_a_dev_clock_starts_where_told_runs_faster_and_continues_after_a_restart(solo_home):
    """``finchain dev --clock-start --clock-rate``: block times from a chosen calendar."""
    home, ids = solo_home
    start = 1_893_456_000 * 10**9  # 2030-01-01T00:00:00Z
    day = 86_400 * 10**9
    clock = SoloClock(start_ns=start, rate=60)
    node = open_solo_node(home, instant=True, block_interval=0.2, clock=clock)
    node.start()
    alice = signer_for(node, home, ids, "alice")
    try:
        node.submit([alice.sign(b.transfer((ids["bob"], "CNY", 1)))], SubmitMode.COMMIT, timeout=10)
        first = node.app.last_block_time_ns
        time.sleep(0.5)  # half a wall second: at least 30 chain seconds at rate 60
        node.submit([alice.sign(b.transfer((ids["bob"], "CNY", 1)))], SubmitMode.COMMIT, timeout=10)
        second = node.app.last_block_time_ns
    finally:
        node.stop()
    assert start <= first < start + day
    assert second - first >= 30 * 10**9
    # a restart with the same start does not go back to it: it continues from the last block
    again = open_solo_node(home, instant=True, block_interval=0.2, clock=clock)
    again.start()
    try:
        again.submit(
            [alice.sign(b.transfer((ids["bob"], "CNY", 1)))], SubmitMode.COMMIT, timeout=10
        )
        third = again.app.last_block_time_ns
    finally:
        again.stop()
    assert second < third < second + day
