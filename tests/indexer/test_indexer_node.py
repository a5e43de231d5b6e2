"""``finchain index run`` against a real ``finchain node``, killed with SIGKILL at random moments.

Steps:
1. start a solo node (4 accounts, a block every 50 ms) and keep sending transfers;
2. start ``finchain index run --batch 3`` and, once it has committed a batch, SIGKILL it
   within a random 0-300 ms (in a fetch or in a write), eight times, while the chain grows;
3. stop the load; ``finchain index run --once`` finishes the job;
4. index the same chain cleanly (``--once``, one run) into a fresh SQLite file;
5. the two indexes hold the same rows up to the lower of their heights: the kills lost and
   duplicated nothing; every transfer the node committed is in it once;
6. ``finchain index run`` stops cleanly on SIGTERM (exit 0), and ``status`` reports no lag
   once caught up.

Runs on SQLite and on PostgreSQL (the clean index is always SQLite, so the comparison also
shows both databases hold the same rows).
"""

from __future__ import annotations

import logging
import random
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from finchain.client import Client
from finchain.client.builders import transfer
from finchain.client.errors import ClientError
from finchain.crypto import Keystore
from finchain.indexer import connect, index_status
from tests.functional.conftest import PASSPHRASE
from tests.functional.framework import FINCHAIN
from tests.indexer.test_indexer import dump
from tests.support import TIMEOUT_FACTOR, wait_until

pytestmark = pytest.mark.functional
log = logging.getLogger(__name__)
KILLS = 8


class Load:
    """Transfers of random amounts in a ring, in commit-mode batches, until stopped."""

    def __init__(self, url: str, ids: dict[str, str], keys: Keystore, rng: random.Random) -> None:
        self.url, self.rng = url, rng
        self.accounts = [(name, ids[name]) for name in ids if name != "operator"]
        self.keys = {name: keys.load(name, PASSPHRASE) for name, _ in self.accounts}
        self.committed: set[str] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with Client(self.url, timeout=10, retries=0) as client:
            signers = [client.signer(acc, [("k1", self.keys[name])]) for name, acc in self.accounts]
            while not self.stop.is_set():
                raws = [
                    s.sign(
                        transfer(
                            (
                                self.accounts[(i + 1) % len(signers)][1],
                                "CNY",
                                self.rng.randrange(1, 10_000),
                            )
                        )
                    )
                    for i, s in enumerate(signers)
                ]
                try:
                    receipts = client.submit_batch(raws, mode="commit", timeout=5)
                except ClientError:
                    continue
                self.committed.update(r.tx_id for r in receipts if r.height and r.ok)

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def indexer(node_url: str, db: str, *extra: str, log_to: Path) -> subprocess.Popen[bytes]:
    with log_to.open("ab") as out:
        return subprocess.Popen(
            [
                FINCHAIN,
                "index",
                "run",
                "--node",
                node_url,
                "--db",
                db,
                "--batch",
                "3",
                "--poll",
                "0.05",
                *extra,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def height_of(db_url: str) -> int:
    db = connect(db_url)
    try:
        status = index_status(db)
        return status.last_indexed_height if status else 0
    finally:
        db.close()


def upto(rows: dict[str, list[tuple[Any, ...]]], height: int) -> dict[str, list[tuple[Any, ...]]]:
    """Rows of blocks at or below ``height`` (column 0 or, for alerts, 1 is the height)."""
    out = {}
    for table, table_rows in rows.items():
        if table in ("indexer_state", "account_institutions"):
            continue
        column = 1 if table == "alerts" else 0
        out[table] = [r for r in table_rows if r[column] <= height]
    return out


def test_sigkill_of_the_indexer_loses_and_duplicates_nothing(
    node_factory: Any, seed: int, db_url: str, tmp_path: Path
) -> None:
    rng = random.Random(seed)
    node, ids = node_factory(accounts=4, block_interval=0.05)
    node.start()
    output = tmp_path / "indexer.log"
    with Load(node.url, ids, Keystore(node.home / "keystore"), rng) as load:
        wait_until(lambda: len(load.committed) >= 8, timeout=60, what="the first transfers")
        for kill in range(KILLS):
            before = height_of(db_url)
            process = indexer(node.url, db_url, log_to=output)
            # kill while it writes: once it has committed a batch of its own, at a random moment
            wait_until(
                lambda before=before: height_of(db_url) > before,
                timeout=60,
                what="the indexer to commit a batch",
            )
            time.sleep(rng.uniform(0.0, 0.3))
            assert process.poll() is None, output.read_text()[-2000:]
            process.kill()
            process.wait(timeout=10)
            log.info("kill %d: the index stood at height %d", kill + 1, height_of(db_url))
    committed = set(load.committed)
    assert len(committed) > 20, "the load committed too little to test anything"
    final = subprocess.run(
        [FINCHAIN, "index", "run", "--node", node.url, "--db", db_url, "--once"],
        capture_output=True,
        text=True,
        timeout=120 * TIMEOUT_FACTOR,
    )
    assert final.returncode == 0, final.stderr
    clean_url = f"sqlite://{tmp_path / 'clean.db'}"
    clean = subprocess.run(
        [
            FINCHAIN,
            "index",
            "run",
            "--node",
            node.url,
            "--db",
            clean_url,
            "--once",
            "--batch",
            "500",
        ],
        capture_output=True,
        text=True,
        timeout=120 * TIMEOUT_FACTOR,
    )
    assert clean.returncode == 0, clean.stderr
    height = min(height_of(db_url), height_of(clean_url))
    killed_rows, clean_rows = upto(dump(db_url), height), upto(dump(clean_url), height)
    assert killed_rows == clean_rows
    assert [r[0] for r in killed_rows["blocks"]] == list(range(1, height + 1))
    indexed = [r[2] for r in killed_rows["txs"]]
    assert len(indexed) == len(set(indexed))
    assert committed <= set(indexed) | _above(node, height), "a committed tx is missing"
    assert len(killed_rows["transfers"]) == sum(
        1 for r in killed_rows["events"] if r[3] == "transfer"
    )

    log.info("step 6: SIGTERM stops a caught-up indexer cleanly")
    process = indexer(node.url, db_url, log_to=output)
    wait_until(
        lambda: height_of(db_url) >= node.status()["height"] - 2,
        timeout=60,
        what="the indexer to catch up",
    )
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20 * TIMEOUT_FACTOR) == 0, output.read_text()[-2000:]
    status = subprocess.run(
        [FINCHAIN, "index", "status", "--db", db_url, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0 and '"last_indexed_height"' in status.stdout, status.stderr


def _above(node: Any, height: int) -> set[str]:
    """Ids of txs in blocks above ``height`` (committed after the compared range)."""
    found: set[str] = set()
    top = node.status()["height"]
    for h in range(height + 1, top + 1):
        found.update(node.get(f"/v1/blocks/{h}")["tx_ids"])
    return found
