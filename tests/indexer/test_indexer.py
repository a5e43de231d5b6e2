"""The indexer over a made-up chain, on SQLite and on PostgreSQL (``db_url`` runs each test
on both): rows, institutions as of each block, crash safety inside a transaction,
migrations, reports identical from both databases, and refusals of bad input."""

from __future__ import annotations

import base64
import contextlib
import re
import tempfile
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from finchain.cli.main import app
from finchain.indexer import (
    BadDatabaseUrl,
    ChainMismatch,
    Database,
    DatabaseError,
    DatabaseUnavailable,
    Indexer,
    IndexerError,
    SchemaTooNew,
    connect,
    open_index,
    render,
)
from finchain.indexer.extract import block_rows
from finchain.indexer.schema import MIGRATIONS
from tests.indexer.synthetic import (
    ACCOUNTS,
    BANKS,
    HUGE,
    REPORT_TYPES,
    T0,
    FakeSource,
    alert,
    block,
    ev,
    make_chain,
    transfer,
)

TABLES = {
    "blocks": "height",
    "txs": "height, tx_index",
    "events": "height, tx_index, event_index",
    "event_attributes": "height, tx_index, event_index, attr_index",
    "transfers": "height, tx_index, event_index",
    "alerts": "id",
    "interventions": "height, tx_index, event_index",
    "account_institutions": "height",
    "indexer_state": "id",
}


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a total order independent of the database's collation."""
    db = connect(url)
    try:
        return {
            table: sorted(tuple(r) for r in db.query(f"SELECT * FROM {table}")) for table in TABLES
        }
    finally:
        db.close()


def pdf_text(pdf: bytes) -> bytes:
    """The PDF's page content, decoded (ReportLab writes ASCII85 + Flate streams)."""
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)endstream", pdf, flags=re.DOTALL):
        try:
            out.append(zlib.decompress(base64.a85decode(raw.strip(), adobe=True)))
        except (ValueError, zlib.error):
            continue
    return b"\n".join(out)


def index_all(url: str, blocks: list[dict[str, Any]], *, batch: int = 5) -> Indexer:
    db = connect(url)
    indexer = Indexer(db, FakeSource(blocks), batch=batch)
    indexer.catch_up()
    db.close()
    return indexer


def test_a_block_becomes_rows_with_institutions_as_of_the_block() -> None:
    kyc = ev("kyc_recorded", account="x", issuer="did:fc:new", tier=1, expires=0)
    rows = block_rows(
        block(3, [(0, [kyc]), (0, transfer("x", "y", HUGE)), (7, [])]),
        {"x": "did:fc:old", "y": "did:fc:bank-y"},
    )
    (moved,) = rows.transfers
    assert moved[5:] == ("transfer", "x", "y", "CNY", str(HUGE), "did:fc:new", "did:fc:bank-y")
    assert [t[4] for t in rows.txs] == [0, 0, 7]  # codes, failures included
    assert rows.institutions == {"x": "did:fc:new"}
    assert len(rows.events) == 4 and len(rows.attributes) == 4 + 3 + 3 + 4


def test_an_alert_takes_the_rules_institution_or_else_the_kyc_record() -> None:
    given = alert("lv", "large_value", "x", "y", 10)
    given["attributes"][8][1] = "did:fc:seen-by-rule"
    rows = block_rows(block(2, [(0, [given])]), {"x": "did:fc:kyc-x", "y": "did:fc:kyc-y"})
    (row,) = rows.alerts
    assert row[4:] == (
        "lv",
        "large_value",
        "3",
        f"{2:032x}{0:032x}",
        "x",
        "y",
        "CNY",
        "10",
        "did:fc:seen-by-rule",
        "did:fc:kyc-y",
    )


def test_the_index_holds_the_chain(db_url: str) -> None:
    chain = make_chain(seed=7, blocks=60)
    index_all(db_url, chain, batch=7)
    rows = dump(db_url)
    assert rows["indexer_state"][0][1:] == ("synthetic", "cd" * 32, 60)
    assert len(rows["blocks"]) == 60
    assert len(rows["txs"]) == sum(len(b["results"]) for b in chain)
    expected_events = sum(len(r["events"]) for b in chain for r in b["results"])
    assert len(rows["events"]) == expected_events + sum(len(b["events"]) for b in chain)
    kinds = defaultdict(int)
    for b in chain:
        for r in b["results"]:
            for e in r["events"]:
                kinds[e["type"]] += 1
    assert len(rows["transfers"]) == kinds["transfer"] + kinds["mint"] + kinds["burn"]
    assert len(rows["alerts"]) == kinds["compliance.alert"]
    assert [a[0] for a in rows["alerts"]] == list(range(1, kinds["compliance.alert"] + 1))
    lapsed = sum(len(b["events"]) for b in chain)
    assert len(rows["interventions"]) == kinds["intervention_proposed"] + lapsed
    assert {r[2] for r in rows["transfers"] if str(HUGE) == r[9]}, "a huge amount survived"
    # KYC changed at block 30: account 1 moved from bank-a to bank-c, account 2 lost its bank
    first = {(r[6], r[0] < 30) for r in rows["transfers"] if r[5] == "transfer"}
    for row in rows["transfers"]:
        if row[5] == "transfer" and row[6] == ACCOUNTS[0]:
            assert row[10] == (BANKS[0] if row[0] < 30 else BANKS[2]), row
        if row[5] == "transfer" and row[6] == ACCOUNTS[1]:
            assert row[10] == (BANKS[1] if row[0] < 30 else ""), row
    assert first
    assert dict((a, i) for a, i, _ in rows["account_institutions"])[ACCOUNTS[0]] == BANKS[2]


def test_flows_sum_exactly_per_institution_pair(db_url: str) -> None:
    chain = make_chain(seed=3, blocks=50)
    index_all(db_url, chain)
    expected: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in dump(db_url)["transfers"]:
        if row[5] == "transfer" and T0 + 10 * 10**9 <= row[3] < T0 + 40 * 10**9:
            group = expected[(row[10], row[11], row[8])]
            group[0] += 1
            group[1] += int(row[9])
    with open_index(db_url) as index:
        flows = index.flows(T0 + 10 * 10**9, T0 + 40 * 10**9)
        assert {
            (f["from_institution"], f["to_institution"], f["asset"]): [f["count"], f["total"]]
            for f in flows
        } == expected
        assert all(f["asset"] == "USD" for f in index.flows(None, None, asset="USD"))


def test_a_failure_inside_a_transaction_leaves_the_index_as_it_was(db_url: str) -> None:
    """Stop the write at every statement of a batch: nothing of it stays, and the next
    run gives exactly the index a clean run gives."""
    chain = make_chain(seed=11, blocks=12)
    clean_url = db_url
    index_all(clean_url, chain, batch=4)
    clean = dump(clean_url)
    for fail_at in (1, 3, 9, 14, 25):
        db = connect(clean_url)
        for table in TABLES:
            db.execute(f"DELETE FROM {table}")
        failing = _Failing(db, fail_at)
        indexer = Indexer(failing, FakeSource(chain), batch=4)  # type: ignore[arg-type]
        with pytest.raises(_Crash):
            indexer.catch_up()
        before = dump(clean_url)
        height = before["indexer_state"][0][3] if before["indexer_state"] else 0
        assert len(before["blocks"]) == height and height % 4 == 0, (fail_at, height)
        assert {r[0] for r in before["transfers"]} <= set(range(1, height + 1))
        failing.fail_at = None
        Indexer(failing, FakeSource(chain), batch=4).catch_up()  # type: ignore[arg-type]
        db.close()
        assert dump(clean_url) == clean, fail_at


class _Crash(Exception):
    pass


class _Failing:
    """A Database that raises at its ``fail_at``-th write statement (a crash mid-batch)."""

    def __init__(self, db: Database, fail_at: int | None) -> None:
        self.db, self.fail_at, self.calls = db, fail_at, 0
        self.url, self.dialect = db.url, db.dialect

    def _tick(self) -> None:
        self.calls += 1
        if self.fail_at is not None and self.calls == self.fail_at:
            raise _Crash

    def execute(self, sql: str, params: Any = ()) -> int:
        if not sql.startswith("SELECT"):
            self._tick()
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> None:
        self._tick()
        self.db.executemany(sql, rows)

    def insert_rows(self, table: str, columns: Any, rows: Any) -> None:
        self._tick()
        self.db.insert_rows(table, columns, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


def test_migrations_are_idempotent_and_a_newer_schema_is_refused(db_url: str) -> None:
    with pytest.raises(IndexerError, match="`finchain index run"):
        open_index(db_url)  # a reader creates nothing: an empty database stays empty
    if db_url.startswith("sqlite"):
        assert not Path(db_url.removeprefix("sqlite://")).exists()
    else:
        reader = connect(db_url, migrate=False)
        assert reader.schema_version() == 0 and not reader.has_table("schema_version")
        reader.close()
    db = connect(db_url)
    assert db.schema_version() == MIGRATIONS[-1][0]
    assert db.migrate() == []
    db.close()
    db = connect(db_url)  # a second process opening it: no change
    assert db.migrate() == [] and db.schema_version() == MIGRATIONS[-1][0]
    db.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", (99, "future"))
    db.close()
    with pytest.raises(SchemaTooNew, match="newer than this finchain"):
        connect(db_url)
    with pytest.raises(SchemaTooNew, match="read it with a newer finchain"):
        open_index(db_url)


def test_driver_errors_arrive_as_the_indexers_own(db_url: str) -> None:
    """A duplicate row (the primary keys' backstop) and a broken statement raise
    DatabaseError, and the transaction they were in leaves nothing behind."""
    db = connect(db_url)
    db.insert_rows("blocks", ("height", "block_hash", "time_ns", "num_txs"), [(1, "aa", 5, 0)])
    with pytest.raises(DatabaseError, match="refused"), db.transaction():
        db.insert_rows("blocks", ("height", "block_hash", "time_ns", "num_txs"), [(2, "b", 6, 0)])
        db.insert_rows("blocks", ("height", "block_hash", "time_ns", "num_txs"), [(1, "c", 7, 0)])
    assert db.query("SELECT height, block_hash FROM blocks") == [(1, "aa")]
    with pytest.raises(IndexerError):
        db.query("SELECT nothing FROM blocks")
    db.close()


def test_another_chain_is_refused(db_url: str) -> None:
    chain = make_chain(seed=1, blocks=5)
    index_all(db_url, chain)
    db = connect(db_url)
    with pytest.raises(ChainMismatch, match="point --db at this chain's own index"):
        Indexer(db, FakeSource(chain, chain_id="other")).catch_up()
    with pytest.raises(ChainMismatch, match="above the node's"):
        Indexer(db, FakeSource(chain, tip_height=2)).catch_up()
    db.close()


def test_a_second_indexer_on_the_same_database_is_refused_not_doubled(db_url: str) -> None:
    chain = make_chain(seed=2, blocks=10)
    first, second = connect(db_url), connect(db_url)
    slow = Indexer(first, FakeSource(chain), batch=4)
    assert slow.attach() == 0  # the first one looked at the height, then...
    Indexer(second, FakeSource(chain), batch=4).catch_up()  # ...the second wrote everything
    with pytest.raises(IndexerError, match="run one indexer per database"):
        slow.write(0, chain[:4])
    first.close()
    second.close()
    rows = dump(db_url)
    assert len(rows["blocks"]) == 10 and rows["indexer_state"][0][3] == 10


def test_alert_pages_and_account_history_pages_cover_everything_once(db_url: str) -> None:
    chain = make_chain(seed=5, blocks=80)
    index_all(db_url, chain, batch=9)
    with open_index(db_url) as index:
        everything = index.alerts(limit=10_000)
        paged, after = [], None
        while page := index.alerts(after_id=after, limit=3):
            paged += page
            after = page[-1]["id"]
        assert paged == everything and len(everything) > 5
        only = index.alerts(report_type="structuring", from_ns=T0 + 20 * 10**9, limit=10_000)
        assert only == [
            a
            for a in everything
            if a["report_type"] == "structuring" and a["time_ns"] >= T0 + 20 * 10**9
        ]
        account = ACCOUNTS[2]
        full = index.account_history(account, limit=10_000)
        items, after_height = [], 0
        while page := index.account_history(account, limit=4, after_height=after_height):
            items += page
            after_height = page[-1]["height"]
        assert items == full and len(full) > 10
        assert {i["category"] for i in full} >= {"transfer", "event"}
        for item in full:
            assert account in item["attributes"].values()
            if item["type"] == "transfer":
                out = item["attributes"]["sender"] == account
                assert item["direction"] == ("out" if out else "in")
        with pytest.raises(ValueError, match="limit"):
            index.alerts(limit=0)


def test_the_same_report_is_byte_identical_from_sqlite_and_postgresql(
    sqlite_url: str, pg_url: str
) -> None:
    chain = make_chain(seed=13, blocks=90)
    index_all(sqlite_url, chain, batch=1)
    index_all(pg_url, chain, batch=25)
    assert dump(sqlite_url) == dump(pg_url)
    span = (T0 + 5 * 10**9, T0 + 70 * 10**9)
    with open_index(sqlite_url) as lite, open_index(pg_url) as pg:
        for kind in (*REPORT_TYPES, "flows"):
            a, b = lite.report(kind, *span), pg.report(kind, *span)
            assert a.rows, kind
            for fmt in ("csv", "json", "pdf"):
                assert render(a, fmt) == render(b, fmt), (kind, fmt)  # type: ignore[arg-type]
        history = lite.history_report(ACCOUNTS[0])
        assert render(history, "csv") == render(pg.history_report(ACCOUNTS[0]), "csv")
        report = lite.report("large_value", *span)
    by_rule = {(r["rule"], r["asset"]): (r["count"], r["total"]) for r in report.sections[0].rows}
    expected: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in report.rows:
        expected[(row["rule"], row["asset"])][0] += 1
        expected[(row["rule"], row["asset"])][1] += row["amount"]
    assert by_rule == {k: tuple(v) for k, v in expected.items()}
    assert all(r["report_type"] == "large_value" for r in report.rows)
    pdf = render(report, "pdf")
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert b"(Alerts per rule)" in text and b"(Per institution)" in text
    assert b"(large_value-1)" in text  # the chart's category label
    assert text.count(b" re") >= 2  # rectangles: the chart's bars and the tables' grid
    csv_text = render(report, "csv").decode()
    assert csv_text.startswith("id,height,time_ns,rule,") and "\n# by_rule\n" in csv_text


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("mysql://x@y/z", 2, "is not an index database URL"),
        ("sqlite://relative.db", 2, "after sqlite:// comes an absolute path"),
        ("sqlite:///no/such/dir/index.db", 2, "does not exist"),
        ("postgresql://nobody@127.0.0.1:1/x", 1, "cannot connect to PostgreSQL"),
        ("postgresql://u@h:notaport/x", 2, "postgresql://USER@HOST:PORT/DBNAME"),
    ],
)
def test_a_bad_db_url_gets_a_clear_error(url: str, code: int, message: str) -> None:
    result = CliRunner().invoke(app, ["index", "status", "--db", url])
    assert result.exit_code == code, result.output
    assert message in " ".join(result.output.split()), result.output


def test_bad_db_urls_raise_the_documented_exceptions(tmp_path: Any) -> None:
    with pytest.raises(BadDatabaseUrl):
        connect("oracle://x")
    with pytest.raises(DatabaseUnavailable):
        connect("postgresql://nobody@127.0.0.1:1/x")
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(DatabaseUnavailable):
        connect(f"sqlite://{tmp_path / 'junk.db'}")


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    batch=st.integers(1, 9),
    crashes=st.lists(st.integers(1, 60), max_size=4),
)
def test_any_crash_sequence_ends_in_the_clean_index(
    seed: int, batch: int, crashes: list[int]
) -> None:
    """Property: whatever the chain, the batch size and the statements the writer dies at,
    restarting until done gives the index one uninterrupted run gives (SQLite; the
    PostgreSQL side of the same argument runs in the tests above)."""
    chain = make_chain(seed, blocks=15)
    with tempfile.TemporaryDirectory() as tmp:
        clean_url, url = f"sqlite://{tmp}/clean.db", f"sqlite://{tmp}/crashed.db"
        index_all(clean_url, chain, batch=15)
        db = connect(url)
        for fail_at in crashes:
            with contextlib.suppress(_Crash):
                Indexer(_Failing(db, fail_at), FakeSource(chain), batch=batch).catch_up()  # type: ignore[arg-type]
        Indexer(db, FakeSource(chain), batch=batch).catch_up()
        db.close()
        assert dump(url) == dump(clean_url)
