"""Damage a stopped or killed node's files byte by byte: it never lies about its history.

Each scenario: a solo node commits transfers under load; its files are damaged
the way a failing disk or a careless operator would damage them; then

- the node either refuses to start with one message naming the damaged file, or
  serves, answering every read it cannot make with ``store:8`` instead of a value;
- it never produces a block at a height it had already signed;
- ``finchain db check`` finds the damage and names the file.

Scenarios: one flipped byte in the middle of the write-ahead log after a SIGKILL,
in an SST data block, in an SST footer, in MANIFEST, in CURRENT; and a data
directory restored from an older copy (the validator refuses to sign again).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from finchain.client import Client
from finchain.client.builders import transfer
from finchain.client.errors import ClientError
from finchain.crypto import Keystore
from finchain.errors import FinchainError
from finchain.store import Database
from finchain.store.errors import ErrCorrupt
from tests.functional.conftest import PASSPHRASE
from tests.functional.framework import FINCHAIN, TestNode
from tests.support import code, wait_until

pytestmark = pytest.mark.functional


class History:
    """What clients saw committed: tx ids with their heights, app hashes by height."""

    def __init__(self) -> None:
        self.txs: dict[str, int] = {}
        self.app_hashes: dict[int, str] = {}
        self.height = 0


def load(node: TestNode, ids: dict[str, str], seconds: float, history: History) -> None:
    """Commit-mode transfers in a ring for ``seconds``, recording what was committed."""
    keys = Keystore(node.home / "keystore")
    accounts = [(name, ids[name]) for name in ids if name != "operator"]
    stop = threading.Event()

    def run() -> None:
        with Client(node.url, timeout=10, retries=0) as client:
            signers = [
                client.signer(acc, [("k1", keys.load(name, PASSPHRASE))]) for name, acc in accounts
            ]
            while not stop.is_set():
                raws = [
                    s.sign(transfer((accounts[(i + 1) % len(signers)][1], "CNY", 1)))
                    for i, s in enumerate(signers)
                ]
                try:
                    receipts = client.submit_batch(raws, mode="commit", timeout=5)
                except (ClientError, OSError):
                    return
                for receipt in receipts:
                    if receipt.deliver is not None and receipt.height:
                        history.txs[receipt.tx_id] = receipt.height

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join(timeout=30)
    with Client(node.url, timeout=10) as client:
        history.height = client.status().height
        for h in range(1, history.height + 1):
            history.app_hashes[h] = client.block(h).header["app_hash"]
    assert history.txs, "the load committed nothing: the scenario would prove nothing"


def db_check(home: Path) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [FINCHAIN, "db", "check", "--home", str(home), "--json"],
        capture_output=True,
        timeout=300,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def readable(db: Database, prefix: bytes) -> bool:
    try:
        for _ in db.iterate(prefix):
            pass
    except FinchainError:
        return False
    return True


def flip_inside(home: Path, sst: Path, prefix: bytes, others: tuple[bytes, ...]) -> None:
    """Flip one byte of ``sst`` inside a data block holding only keys under ``prefix``.

    Probes offsets until a scan of ``prefix`` reports the damage while scans of
    the other key ranges (``others``) still read; every other probe is undone.
    """
    size = sst.stat().st_size
    for offset in range(size // 50, size - 4096, 997):
        flip(sst, offset)
        with Database(home / "data") as db:
            if not readable(db, prefix) and all(readable(db, p) for p in others):
                return
        flip(sst, offset)
    raise AssertionError(f"no data block of {sst.name} holds keys under {prefix!r}")


def compact(home: Path) -> None:
    """Move everything into table files, as a node that ran long enough would have."""
    with Database(home / "data") as db:
        db.compact()


def largest(home: Path, suffix: str) -> Path:
    files = sorted((home / "data").glob(f"*{suffix}"), key=lambda p: p.stat().st_size)
    assert files and files[-1].stat().st_size > 0, f"no {suffix} file with data in {home}"
    return files[-1]


def assert_refused_naming(text: str, damaged: Path) -> None:
    assert "[store:8]" in text, f"expected the store damage code, got:\n{text}"
    assert damaged.name in text, f"the message does not name {damaged.name}:\n{text}"
    assert "another node process" not in text, f"misleading lock hint:\n{text}"
    assert "Traceback" not in text, f"a traceback instead of one message:\n{text}"


def assert_check_names(home: Path, damaged: Path) -> None:
    code, report = db_check(home)
    assert code == 1 and not report["ok"], f"db check missed the damage: {report}"
    blamed = " ".join(d["where"] + " " + d["problem"] for d in report["damage"])
    assert damaged.name in blamed, f"db check does not name {damaged.name}: {report['damage']}"


def test_wal_byte_flip_after_sigkill_refuses_to_start(node_factory) -> None:
    node, ids = node_factory(accounts=4)
    history = History()
    node.start()
    load(node, ids, 1.5, history)
    node.kill()
    wal = largest(node.home, ".log")
    flip(wal, wal.stat().st_size // 2)

    text = node.start_refused()
    assert_refused_naming(text, wal)
    assert_check_names(node.home, wal)
    # Refused twice: the node wrote nothing that would let a third start go on.
    assert_refused_naming(node.start_refused(), wal)


@pytest.mark.parametrize("where", ["data block", "index and history block", "footer"])
def test_sst_damage_is_never_served_as_a_value(node_factory, where: str) -> None:
    node, ids = node_factory(accounts=4)
    history = History()
    node.start()
    load(node, ids, 1.5, history)
    heights = sorted({1, history.height // 2, history.height})
    balances = {(acc, h): balance(node, acc, h) for acc in ids.values() for h in heights}
    node.stop()
    compact(node.home)
    sst = largest(node.home, ".sst")
    size = sst.stat().st_size
    if where == "index and history block":
        # the tx index and the value history: nothing the node reads to start
        spared = (b"a", b"bb", b"bm", b"sl", b"sm", b"sn", b"sr")
        flip_inside(node.home, sst, b"bt", others=spared)
    else:
        flip(sst, size // 3 if where == "data block" else size - 20)

    assert_check_names(node.home, sst)
    if where == "footer":
        assert_refused_naming(node.start_refused(), sst)
        return
    try:
        node.start()
    except AssertionError:  # refused at start: the start-up checks read the damaged block
        assert_refused_naming(node.stderr_tail(200), sst)
        return
    served = asked = 0
    for tx_id, height in history.txs.items():
        asked += 1
        response = httpx.get(f"{node.url}/v1/txs/{tx_id}", timeout=10)
        served += check_answer(response, sst, lambda body, h=height: body["height"] == h)
    for (account, at), amount in balances.items():  # historical reads: one seek each
        asked += 1
        response = httpx.get(
            f"{node.url}/v1/accounts/{account}/balances/CNY", params={"height": at}, timeout=10
        )
        served += check_answer(response, sst, lambda body, a=amount: body["value"]["amount"] == a)
    status = node.status()
    if not status.get("halted"):
        assert status["height"] >= history.height
    for h in range(1, history.height + 1):  # no height is ever rebuilt with another hash
        response = httpx.get(f"{node.url}/v1/blocks/{h}", timeout=10)
        check_answer(
            response, sst, lambda body, h=h: body["header"]["app_hash"] == history.app_hashes[h]
        )
    print(f"{served} of {asked} reads served correctly, the rest refused with store:8")
    if where == "index and history block":
        assert served < asked, "the damaged block was never read: the scenario proved nothing"


def check_answer(response: httpx.Response, damaged: Path, correct: Any) -> int:
    """1 if a correct value was served; 0 if refused with store:8 naming the file; else fail."""
    if response.status_code == 200:
        body = response.json()
        assert correct(body), f"a wrong value was served: {body}"
        return 1
    body = response.json()
    assert (body["codespace"], body["code"]) == code(ErrCorrupt), f"unexpected error {body}"
    assert damaged.name in body["message"], body["message"]
    return 0


def balance(node: TestNode, account: str, height: int) -> str:
    body = node.get(f"/v1/accounts/{account}/balances/CNY?height={height}")
    return str(body["value"]["amount"])


@pytest.mark.parametrize("target", ["MANIFEST", "CURRENT"])
def test_manifest_or_current_damage_refuses_to_start(node_factory, target: str) -> None:
    node, ids = node_factory(accounts=2)
    node.start()
    load(node, ids, 1.0, History())
    node.stop()
    damaged = _meta_file(node.home, target)
    flip(damaged, damaged.stat().st_size // 2)

    text = node.start_refused()
    assert "[store:8]" in text and "another node process" not in text, text
    assert damaged.name in text, f"the message does not name {damaged.name}:\n{text}"
    code, report = db_check(node.home)
    assert code == 1 and damaged.name in json.dumps(report["damage"]), report


def _meta_file(home: Path, target: str) -> Path:
    if target == "CURRENT":
        return home / "data" / "CURRENT"
    (manifest,) = (home / "data").glob("MANIFEST-*")
    return manifest


def test_restored_old_data_is_refused_by_the_validator(node_factory) -> None:
    node, ids = node_factory(accounts=2)
    node.start()
    load(node, ids, 1.0, History())
    node.stop()
    backup = node.home.parent / "data-backup"
    shutil.copytree(node.home / "data", backup)
    node.start()
    later = History()
    load(node, ids, 1.0, later)
    node.stop()
    state = json.loads((node.home / "validator_state.json").read_text())
    assert int(state["height"]) >= later.height

    shutil.rmtree(node.home / "data")
    shutil.copytree(backup, node.home / "data")
    text = node.start_refused()
    assert "[solo:2]" in text, text
    assert f"signed block {state['height']}" in text, text
    code, report = db_check(node.home)
    assert code == 1 and any(d["area"] == "signing" for d in report["damage"]), report


def test_db_check_passes_on_a_sound_home(node_factory) -> None:
    node, ids = node_factory(accounts=3)
    node.start()
    history = History()
    load(node, ids, 1.0, history)
    node.kill()  # a crash is not damage
    code, report = db_check(node.home)
    assert code == 0 and report["ok"], report
    assert report["last_height"] >= history.height
    assert report["indexed_txs"] >= len(history.txs)
    assert report["tree_leaves"] > 0 and report["blocks"] == report["last_height"]


def test_exported_state_continues_as_a_new_node(node_factory) -> None:
    """``finchain db export`` of a stopped node, then a node started on it continues at H + 1."""
    node, ids = node_factory(accounts=3)
    node.start()
    history = History()
    load(node, ids, 1.0, history)
    balances = {acc: balance(node, acc, history.height) for acc in ids.values()}
    node.stop()
    out = node.home.parent / "exported.json"
    done = subprocess.run(
        [FINCHAIN, "db", "export", "--home", str(node.home), "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    exported = json.loads(out.read_text())
    final = exported["initial_height"] - 1  # the node made empty blocks until it stopped
    assert final >= history.height
    shutil.rmtree(node.home / "data")
    (node.home / "validator_state.json").rename(node.home / "validator_state.old-chain.json")
    shutil.copy(out, node.home / "genesis.json")
    node.start()
    wait_for_height(node, final + 1)
    assert httpx.get(f"{node.url}/v1/blocks/{final}", timeout=10).status_code == 404
    first = httpx.get(f"{node.url}/v1/blocks/{final + 1}", timeout=10)
    assert first.status_code == 200, first.text
    for account, amount in balances.items():
        assert balance(node, account, final + 1) == amount
    node.stop()


def wait_for_height(node: TestNode, height: int) -> None:
    wait_until(lambda: node.status()["height"] >= height, timeout=30, what=f"height {height}")
