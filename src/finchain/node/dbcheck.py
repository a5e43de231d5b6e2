"""``finchain db check``: read every byte a node stored and say what is damaged.

The node itself checks little at start (the last block against the state root,
see ``Application._check_storage``) and relies on RocksDB's checksums where it
reads. This check, run on a stopped node's home, reads everything:

1. every entry of the database, checksums verified (a damaged table file is named);
2. the state tree of every retained version, every node re-hashed, every leaf
   checked against the value history, the latest table against the latest tree;
3. every block record: heights contiguous, tx root recomputed, app hash equal to
   the state root of that version; on a solo chain the signed header too (hash
   chain from genesis, tx root, app hash, the genesis validator's signature);
4. the tx index: exactly the first occurrence of every committed transaction;
5. the solo validator's signing record against the last block.

It reports every damage found rather than stopping at the first one.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from finchain.app.chainstate import META_SUITE
from finchain.codec import decode_trusted
from finchain.crypto import get_suite
from finchain.engines.solo.header import HEADER_FIELDS, header_hash, verify_header
from finchain.engines.solo.signstate import FILE_NAME as SIGN_STATE_FILE
from finchain.engines.solo.signstate import SignState
from finchain.errors import FinchainError
from finchain.node.home import Home
from finchain.store import Database, tx_root
from finchain.store import keys as K
from finchain.store._hash import hash_function
from finchain.store.check import Damage, check_trees, scan_keys
from finchain.store.smt import decode_root, empty_root

__all__ = ["CheckReport", "check_home"]


@dataclass(slots=True)
class CheckReport:
    """What ``check_home`` read and the damage it found (empty: the home is sound)."""

    home: str
    entries: int = 0
    versions: int = 0
    tree_nodes: int = 0
    tree_leaves: int = 0
    blocks: int = 0
    indexed_txs: int = 0
    last_height: int = 0
    damage: list[Damage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.damage

    def to_json(self) -> dict[str, Any]:
        return {
            "home": self.home,
            "ok": self.ok,
            "entries": self.entries,
            "state_versions": self.versions,
            "tree_nodes": self.tree_nodes,
            "tree_leaves": self.tree_leaves,
            "blocks": self.blocks,
            "indexed_txs": self.indexed_txs,
            "last_height": self.last_height,
            "damage": [
                {"area": d.area, "where": d.where, "problem": d.problem} for d in self.damage
            ],
        }


def check_home(home: Home, *, progress: Callable[[str], None] | None = None) -> CheckReport:
    """Check the database of ``home`` (the node must be stopped: it holds the lock)."""
    report = CheckReport(str(home.path))
    say = progress or (lambda _: None)
    try:
        db = Database(home.data_dir)
    except FinchainError as exc:
        report.damage.append(Damage("rocksdb", str(home.data_dir), exc.message))
        return report
    try:
        say("reading every entry")
        report.entries, damage = scan_keys(db)
        report.damage.extend(damage)
        suite_raw = _read(db, META_SUITE, report)
        if suite_raw is None:
            return report
        suite = suite_raw.decode()
        hash_name = get_suite(suite).hash_name
        say("walking the state trees")
        trees = check_trees(db, hash_name)
        report.versions, report.tree_nodes, report.tree_leaves = (
            trees.versions,
            trees.nodes,
            trees.leaves,
        )
        report.damage.extend(trees.damage)
        say("checking blocks and the tx index")
        _BlockCheck(db, home, suite, hash_name, report).run()
    finally:
        db.close()
    return report


def _read(db: Database, key: bytes, report: CheckReport) -> bytes | None:
    try:
        return db.get(key)
    except FinchainError as exc:
        report.damage.append(Damage("rocksdb", key.decode("latin-1"), exc.message))
        return None


class _BlockCheck:
    def __init__(
        self, db: Database, home: Home, suite: str, hash_name: str, report: CheckReport
    ) -> None:
        self.db = db
        self.home = home
        self.suite = suite
        self.hash_name = hash_name
        self.h = hash_function(hash_name)
        self.report = report
        self.first_seen: dict[bytes, bytes] = {}  # tx id -> height(8) ‖ index(4)
        self.header_hashes: dict[int, bytes] = {}
        self.genesis = home.genesis()
        self.genesis_keys = {
            (v["pub_key"]["type"], base64.b64decode(v["pub_key"]["value"]))
            for v in self.genesis.validators
        }

    def damage(self, area: str, where: str, problem: str) -> None:
        self.report.damage.append(Damage(area, where, problem))

    def run(self) -> None:
        meta = _read(self.db, K.BLOCK_META, self.report)
        stored_height = int.from_bytes(meta, "big") if meta and len(meta) == 8 else 0
        state_meta = _read(self.db, K.STATE_META, self.report) or b""
        state_version = int.from_bytes(state_meta[0:8], "big") if len(state_meta) >= 24 else -1
        oldest = int.from_bytes(state_meta[16:24], "big") if len(state_meta) >= 24 else 0
        if stored_height and state_version != stored_height:
            self.damage(
                "meta",
                "heights",
                f"state version {state_version} but the block store ends at {stored_height}",
            )
        self.report.last_height = stored_height
        solo = len(self.genesis.validators) == 1
        previous_hash = self.genesis.hash()
        expected = None
        try:
            for key, raw in self.db.iterate(K.BLOCK):
                height = int.from_bytes(key[len(K.BLOCK) :], "big")
                if expected is not None and height != expected:
                    self.damage("blocks", f"height {expected}", f"missing (next stored: {height})")
                expected = height + 1
                previous_hash = self.block(height, raw, oldest, state_version, previous_hash)
                self.report.blocks += 1
        except FinchainError as exc:
            self.damage("blocks", "block records", exc.message)
        if expected is not None and expected - 1 != stored_height:
            self.damage(
                "blocks", f"height {expected - 1}", f"last record, but meta says {stored_height}"
            )
        self.tx_index()
        if solo:
            self.sign_state(stored_height)

    def block(
        self, height: int, raw: bytes, oldest: int, state_version: int, previous_hash: bytes
    ) -> bytes:
        """Check one record; returns its header hash (the next block's ``last_block_hash``)."""
        where = f"block {height}"
        try:
            record = decode_trusted(raw)
            txs = list(record["txs"])
            if record["height"] != height:
                self.damage("blocks", where, f"record says height {record['height']}")
            if tx_root(self.hash_name, txs) != record["tx_root"]:
                self.damage("blocks", where, "tx root does not match the transactions")
            if len(record["results"]) != len(txs):
                self.damage("blocks", where, "one result per transaction expected")
        except (FinchainError, KeyError, TypeError, ValueError) as exc:
            self.damage("blocks", where, f"record unreadable: {exc}")
            return b""
        if oldest <= height <= state_version:
            root_raw = self.db.get(K.root_key(height))
            if root_raw is not None:
                try:
                    _, root = decode_root(root_raw, self.h)
                    root = root or empty_root(self.h)
                    if root != record.get("app_hash"):
                        self.damage("blocks", where, "app hash differs from the state root")
                except FinchainError as exc:
                    self.damage("state", f"version {height}", exc.message)
        for index, tx in enumerate(txs):
            self.first_seen.setdefault(
                self.h(tx), height.to_bytes(8, "big") + index.to_bytes(4, "big")
            )
        header = record.get("header")
        if header is None:
            return b""  # a CometBFT node: CometBFT keeps and signs its own headers
        return self.header(where, record, header, previous_hash)

    def header(
        self, where: str, record: dict[str, Any], header: Any, previous_hash: bytes
    ) -> bytes:
        if not isinstance(header, dict) or set(header) != set(HEADER_FIELDS):
            self.damage("blocks", where, "header malformed")
            return b""
        for name in ("height", "time_ns", "tx_root", "app_hash"):
            if header[name] != record.get(name):
                self.damage("blocks", where, f"header {name} differs from the record")
        if previous_hash and header["last_block_hash"] != previous_hash:
            self.damage("blocks", where, "header does not link to the previous block")
        validator = record.get("validator") or {}
        signer = validator.get("public_key", b"")
        known = (validator.get("scheme"), signer) in self.genesis_keys
        if not known:
            self.damage("blocks", where, "signed by a key that is not the genesis validator")
        elif not verify_header(header, record.get("signature", b""), validator["scheme"], signer):
            self.damage("blocks", where, "the validator's signature does not verify")
        block_hash = header_hash(header, self.suite)
        self.header_hashes[header["height"]] = block_hash
        return block_hash

    def tx_index(self) -> None:
        skip = len(K.TX_INDEX)
        try:
            for key, location in self.db.iterate(K.TX_INDEX):
                self.report.indexed_txs += 1
                tx_id = key[skip:]
                first = self.first_seen.pop(tx_id, None)
                if first is None:
                    self.damage("tx-index", tx_id.hex(), "indexes a transaction no block holds")
                elif first != location:
                    self.damage("tx-index", tx_id.hex(), "points to the wrong block or index")
        except FinchainError as exc:
            self.damage("tx-index", "tx index", exc.message)
        for tx_id in self.first_seen:
            self.damage("tx-index", tx_id.hex(), "committed but missing from the index")

    def sign_state(self, height: int) -> None:
        path = self.home.path / SIGN_STATE_FILE
        if not path.exists():
            return
        try:
            last = SignState.open(path).last
        except FinchainError as exc:
            self.damage("signing", str(path), exc.message)
            return
        if last.height > height:
            self.damage(
                "signing",
                str(path),
                f"the validator signed block {last.height} but the database ends at {height}",
            )
        elif last.height >= 1 and self.header_hashes.get(last.height) != last.block_hash:
            self.damage("signing", str(path), f"block {last.height} is not the one signed")
