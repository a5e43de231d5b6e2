"""SIGKILL a loaded solo node again and again: nothing committed is ever lost.

Steps:
1. start a node (0.1 s blocks) under a load of transfers submitted in commit mode;
2. SIGKILL it at a random moment, six times, restarting each time;
3. after each restart: every tx the node reported committed is still there at the
   same height, every block seen before keeps its app hash, headers chain by hash;
4. stop it cleanly, then replay the block store into an empty state: every
   height gives the recorded app hash.
"""

from __future__ import annotations

import random
import threading
import time

import pytest

from finchain.client import Client
from finchain.client.builders import transfer
from finchain.client.errors import ClientError
from finchain.crypto import Keystore
from finchain.node.home import Home
from finchain.node.replay import replay
from tests.functional.conftest import PASSPHRASE
from tests.functional.framework import TestNode

pytestmark = pytest.mark.functional
KILLS = 6


class Load:
    """Transfers in a ring between accounts, submitted as commit-mode batches until stopped."""

    def __init__(self, node: TestNode, ids: dict[str, str], keys: Keystore) -> None:
        self.node = node
        self.accounts = [(name, ids[name]) for name in ids if name != "operator"]
        self.keys = {name: keys.load(name, PASSPHRASE) for name, _ in self.accounts}
        self.committed: dict[str, int] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            with Client(self.node.url, timeout=5, retries=0) as client:
                signers = [
                    client.signer(acc, [("k1", self.keys[name])]) for name, acc in self.accounts
                ]
                while not self.stop.is_set():
                    raws = [
                        s.sign(transfer((self.accounts[(i + 1) % len(signers)][1], "CNY", 1)))
                        for i, s in enumerate(signers)
                    ]
                    for receipt in client.submit_batch(raws, mode="commit", timeout=5):
                        if receipt.deliver is not None and receipt.height:
                            self.committed[receipt.tx_id] = receipt.height
        except (ClientError, OSError):
            return  # the node was killed under us

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def test_sigkill_loses_no_committed_block(node_factory, seed):
    rng = random.Random(seed)
    node, ids = node_factory(accounts=6)
    keystore = Keystore(node.home / "keystore")
    committed: dict[str, int] = {}
    app_hashes: dict[int, str] = {}
    for kill in range(KILLS):
        node.start()
        check_history(node, committed, app_hashes)
        with Load(node, ids, keystore) as load:
            time.sleep(rng.uniform(0.4, 1.5))
            node.kill()
        committed.update(load.committed)
        print(f"kill {kill + 1}: {len(committed)} txs reported committed so far")
    node.start()
    check_history(node, committed, app_hashes)
    assert len(committed) > 0, "the load committed nothing: the test proved nothing"
    final_height = node.status()["height"]
    node.stop()

    steps = list(replay(Home(node.home), node.home.parent / "replay"))
    assert len(steps) >= final_height, "the block store lost blocks the node reported"
    bad = [s.height for s in steps if not s.ok]
    assert not bad, f"replay disagrees with the recorded app hash at heights {bad[:5]}"


def check_history(node: TestNode, committed: dict[str, int], app_hashes: dict[int, str]) -> None:
    with Client(node.url, timeout=10) as client:
        height = client.status().height
        assert height >= max(committed.values(), default=0), "a committed block disappeared"
        for tx_id, tx_height in committed.items():
            assert client.tx(tx_id).height == tx_height, f"tx {tx_id} moved or vanished"
        previous = None
        for h in range(1, height + 1):
            block = client.block(h)
            app_hash = block.header["app_hash"]
            assert app_hashes.setdefault(h, app_hash) == app_hash, f"app hash of block {h} changed"
            if previous is not None:
                assert block.header["last_block_hash"] == previous.block_hash, (
                    f"hash chain broken at {h}"
                )
            previous = block
