"""The indexer: follows a node's committed blocks and writes them into the index.

Crash safety rests on one rule: the rows of a block and the new ``last_indexed_height``
are written in the same database transaction. A batch of blocks is one transaction too
(whole blocks only), so after a crash at any instruction the database holds exactly the
blocks up to the recorded height, and the next start continues at the height after it:
nothing is lost (the height was not advanced past a block not written) and nothing is
duplicated (a block's rows were not kept without the height that says they are there).
The height is advanced with a compare-and-set (``WHERE last_indexed_height = old``), so
two indexers pointed at one database by mistake cannot both write a block; the primary
keys on (height, tx, event) are the backstop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from finchain.indexer.db import Database, connect
from finchain.indexer.errors import ChainMismatch, IndexerError, SourceError
from finchain.indexer.extract import block_rows
from finchain.indexer.source import BlockSource, HttpSource

log = logging.getLogger("finchain.indexer")
#: the dev chain's index, in its home (``finchain index``'s default --db points there)
DEV_INDEX_FILE = "index.db"

#: table -> columns, in the order of the tuples ``extract.block_rows`` makes
_COLUMNS: dict[str, tuple[str, ...]] = {
    "blocks": ("height", "block_hash", "time_ns", "num_txs"),
    "txs": ("height", "tx_index", "hash", "time_ns", "code", "codespace", "info", "log"),
    "events": ("height", "tx_index", "event_index", "type", "time_ns"),
    "event_attributes": ("height", "tx_index", "event_index", "attr_index", "key", "value"),
    "transfers": (
        "height", "tx_index", "event_index", "time_ns", "tx_hash", "kind", "sender",
        "recipient", "asset", "amount", "sender_institution", "recipient_institution",
    ),
    "alerts": (
        "id", "height", "tx_index", "event_index", "time_ns", "rule", "report_type", "ruleset",
        "tx_hash", "account", "counterparty", "asset", "amount", "institution",
        "counterparty_institution",
    ),
    "interventions": (
        "height", "tx_index", "event_index", "time_ns", "tx_hash", "event_type",
        "intervention_id", "kind", "account",
    ),
}  # fmt: skip
_UPSERT_INSTITUTION = (
    "INSERT INTO account_institutions (account, institution, height) VALUES (?, ?, ?) "
    "ON CONFLICT (account) DO UPDATE SET institution = excluded.institution, "
    "height = excluded.height"
)


@dataclass(frozen=True, slots=True)
class IndexStatus:
    chain_id: str
    genesis_hash: str
    last_indexed_height: int
    schema_version: int


def index_status(db: Database) -> IndexStatus | None:
    """Where the index stands (``None``: nothing indexed yet)."""
    rows = db.query(
        "SELECT chain_id, genesis_hash, last_indexed_height FROM indexer_state WHERE id = 1"
    )
    if not rows:
        return None
    chain_id, genesis_hash, height = rows[0]
    return IndexStatus(str(chain_id), str(genesis_hash), int(height), db.schema_version())


class Indexer:
    """Writes the blocks of ``source`` into ``db``, ``batch`` whole blocks per transaction.

    Example::

        db = connect("sqlite:///var/finchain/index.db")
        indexer = Indexer(db, HttpSource("http://127.0.0.1:8640"))
        indexer.run(stop_event)  # until stop_event is set
    """

    def __init__(
        self,
        db: Database,
        source: BlockSource,
        *,
        batch: int = 50,
        on_commit: Callable[[int, int], None] | None = None,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1 block")
        self.db = db
        self.source = source
        self.batch = batch
        self.on_commit = on_commit  # (height, rows) after each committed batch (progress, tests)
        self.rows_written = 0
        self.blocks_written = 0

    def attach(self) -> int:
        """Check the index belongs to the node's chain (first time: claim it); its height."""
        tip = self.source.tip()
        with self.db.transaction():
            status = index_status(self.db)
            if status is None:
                self.db.execute(
                    "INSERT INTO indexer_state (id, chain_id, genesis_hash, last_indexed_height) "
                    "VALUES (1, ?, ?, 0)",
                    (tip.chain_id, tip.genesis_hash),
                )
                return 0
        if status.chain_id != tip.chain_id or (
            status.genesis_hash and tip.genesis_hash and status.genesis_hash != tip.genesis_hash
        ):
            raise ChainMismatch(
                f"the index at {self.db.url} holds chain {status.chain_id} (genesis "
                f"{status.genesis_hash[:16] or '?'}…) but the node serves {tip.chain_id} (genesis "
                f"{tip.genesis_hash[:16] or '?'}…): point --db at this chain's own index"
            )
        if status.last_indexed_height > tip.height:
            raise ChainMismatch(
                f"the index is at height {status.last_indexed_height}, above the node's "
                f"{tip.height}: is this the chain it was built from?"
            )
        return status.last_indexed_height

    def catch_up(self, *, until: int | None = None, stop: threading.Event | None = None) -> int:
        """Index every committed block up to the tip (or ``until``); the blocks written."""
        height = self.attach()
        written = 0
        while stop is None or not stop.is_set():
            tip = self.source.tip().height
            target = tip if until is None else min(tip, until)
            if height >= target:
                break
            upto = min(target, height + self.batch)
            blocks = [self.source.block(h) for h in range(height + 1, upto + 1)]
            height = self.write(height, blocks)
            written += len(blocks)
        return written

    def write(self, previous: int, blocks: Sequence[dict[str, Any]]) -> int:
        """Write ``blocks`` (heights ``previous+1``…) and the new height in one transaction.

        The rows of all the blocks go in with one bulk insert per table (on PostgreSQL a
        COPY, inside the same transaction).
        """
        rows_total = 0
        top = previous + len(blocks)
        with self.db.transaction():
            # compare-and-set first: it also locks the state row (PostgreSQL) or the database
            # (SQLite's BEGIN IMMEDIATE), so a second indexer waits here, then finds it moved
            changed = self.db.execute(
                "UPDATE indexer_state SET last_indexed_height = ? "
                "WHERE id = 1 AND last_indexed_height = ?",
                (top, previous),
            )
            if changed != 1:
                raise IndexerError(
                    f"another indexer moved the index past height {previous} meanwhile: run "
                    "one indexer per database"
                )
            institutions = _InstitutionCache(self.db)
            next_alert = int(self.db.query("SELECT COALESCE(MAX(id), 0) FROM alerts")[0][0]) + 1
            tables: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _COLUMNS}
            changed_institutions: dict[str, tuple[str, int]] = {}
            expected = previous
            for block in blocks:
                expected += 1
                rows = block_rows(block, institutions)
                if rows.height != expected:
                    raise SourceError(f"asked for block {expected}, the node sent {rows.height}")
                tables["blocks"].append(rows.block)
                tables["txs"] += rows.txs
                tables["events"] += rows.events
                tables["event_attributes"] += rows.attributes
                tables["transfers"] += rows.transfers
                tables["alerts"] += [(next_alert + i, *r) for i, r in enumerate(rows.alerts)]
                next_alert += len(rows.alerts)
                tables["interventions"] += rows.interventions
                institutions.update(rows.institutions)
                changed_institutions.update(
                    {account: (did, rows.height) for account, did in rows.institutions.items()}
                )
                rows_total += rows.row_count()
            for name, columns in _COLUMNS.items():
                self.db.insert_rows(name, columns, tables[name])
            self.db.executemany(
                _UPSERT_INSTITUTION,
                [(a, did, h) for a, (did, h) in sorted(changed_institutions.items())],
            )
        self.rows_written += rows_total
        self.blocks_written += len(blocks)
        if self.on_commit is not None:
            self.on_commit(expected, rows_total)
        return expected

    def run(self, stop: threading.Event, *, poll: float = 0.5, retry: float = 2.0) -> None:
        """Follow the chain until ``stop`` is set; a node that cannot be reached is retried.

        Errors that retrying cannot cure (another chain in the index, a bad database) end
        the run by raising.
        """
        failing = False  # one warning per outage, not one per retry
        while not stop.is_set():
            try:
                self.catch_up(stop=stop)
            except SourceError as exc:
                if not failing:
                    log.warning("indexer: %s; retrying every %.1f s", exc, retry)
                failing = True
                stop.wait(retry)
                continue
            if failing:
                log.info("indexer: the node answers again")
                failing = False
            stop.wait(poll)


def start_background(node_url: str, db_url: str, *, poll: float = 0.5) -> Callable[[], None]:
    """Run an indexer in a daemon thread (the dev chain's); returns the function that stops it.

    A database that cannot be opened ends the thread with one logged error: the chain
    itself goes on without its index.
    """
    stop = threading.Event()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a log line per block read

    def work() -> None:
        try:
            db = connect(db_url)
        except IndexerError as exc:
            log.error("indexer not started: %s", exc)
            return
        source = HttpSource(node_url)
        try:
            while not stop.is_set():  # the node's API starts after this thread: wait quietly
                try:
                    source.tip()
                    break
                except SourceError:
                    stop.wait(poll)
            Indexer(db, source).run(stop, poll=poll)
        except IndexerError as exc:
            log.error("indexer stopped: %s", exc)
        finally:
            source.close()
            db.close()

    thread = threading.Thread(target=work, name="indexer", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(timeout=30)

    return halt


class _InstitutionCache(dict[str, str]):
    """account → institution DID, read from ``account_institutions`` on first use."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db

    def __missing__(self, account: str) -> str:
        rows = self._db.query(
            "SELECT institution FROM account_institutions WHERE account = ?", (account,)
        )
        value = str(rows[0][0]) if rows else ""
        self[account] = value
        return value

    def get(self, account: str, default: str = "") -> str:  # type: ignore[override]
        return self[account] or default
