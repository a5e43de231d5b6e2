"""The regulator's reads of the index: alerts, flows between institutions, account history,
and reports rendered as CSV, JSON or PDF.

Example::

    index = open_index("sqlite:///var/finchain/index.db")
    report = index.report("large_value", from_ns, to_ns)
    pdf = render(report, "pdf")

Conventions, the same on SQLite and PostgreSQL so a report is byte-identical from either:

- a time range is half-open, ``from_ns <= time_ns < to_ns``, in block time (ns since
  the epoch); ``None`` leaves that end open;
- amounts are Python ints (exact at any size: the index keeps them as decimal text and
  sums them here, never in SQL);
- SQL orders only by integer columns; text keys (rules, institutions, assets) are sorted
  here, by code point, since PostgreSQL's collation and SQLite's differ;
- an institution is the DID of the issuer of the account's KYC claim at the time of the
  block (credentials ``kyc_recorded``), ``""`` when the account had none; an alert
  carries the institutions the rule saw, falling back to that record.

The report type ``flows`` is the institution-to-institution flow report; every other name
is an alert ``report_type`` (``large_value``, ``structuring``, …).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from finchain.indexer import formats
from finchain.indexer.db import Database, connect
from finchain.indexer.errors import IndexerError, SchemaTooNew
from finchain.indexer.extract import ALERT_TYPES, INTERVENTION_TYPES
from finchain.indexer.schema import MIGRATIONS
from finchain.modules.bank import events as bank

FLOWS = "flows"
Format = Literal["csv", "json", "pdf"]
FORMATS: tuple[Format, ...] = ("csv", "json", "pdf")
MAX_LIMIT = 10_000

ALERT_COLUMNS = (
    "id",
    "height",
    "time_ns",
    "rule",
    "report_type",
    "ruleset",
    "tx_hash",
    "account",
    "counterparty",
    "asset",
    "amount",
    "institution",
    "counterparty_institution",
)
FLOW_COLUMNS = ("from_institution", "to_institution", "asset", "count", "total")


@dataclass(frozen=True)
class Section:
    """A statistics table under the report's rows (e.g. per rule, per institution)."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Chart:
    """A bar chart: one bar per label."""

    title: str
    labels: list[str]
    values: list[int]


@dataclass(frozen=True)
class Report:
    """What :func:`render` turns into a file; plain data, so tests compare reports directly."""

    kind: str  # the report type: an alert report_type, or "flows"
    title: str
    params: dict[str, Any]
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    sections: list[Section] = field(default_factory=list)
    chart: Chart | None = None


def _range(column: str, from_ns: int | None, to_ns: int | None) -> tuple[str, list[int]]:
    clauses, params = [], []
    if from_ns is not None:
        clauses.append(f"{column} >= ?")
        params.append(from_ns)
    if to_ns is not None:
        clauses.append(f"{column} < ?")
        params.append(to_ns)
    return " AND ".join(clauses) or "1 = 1", params


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit {limit} must be between 1 and {MAX_LIMIT}")
    return limit


def _totals(
    rows: list[dict[str, Any]], keys: tuple[str, ...], amount: str = "amount"
) -> list[dict[str, Any]]:
    """Count and exact total of ``amount`` per distinct ``keys``, sorted by the keys."""
    groups: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        group = groups[tuple(str(row[k]) for k in keys)]
        group[0] += 1
        group[1] += int(row[amount])
    return [
        {**dict(zip(keys, key, strict=True)), "count": count, "total": total}
        for key, (count, total) in sorted(groups.items())
    ]


class Index:
    """A read connection to the index (one per thread: the database handle is not shared)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def last_indexed_height(self) -> int:
        rows = self.db.query("SELECT last_indexed_height FROM indexer_state WHERE id = 1")
        return int(rows[0][0]) if rows else 0

    # -- alerts ------------------------------------------------------------------------

    def alerts(
        self,
        *,
        report_type: str | None = None,
        from_ns: int | None = None,
        to_ns: int | None = None,
        after_id: int | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Alerts in id order (the chain's order), ``after_id`` for the next page.

        Each is a dict with :data:`ALERT_COLUMNS` (``amount`` an int).
        """
        where, params = _range("time_ns", from_ns, to_ns)
        if report_type is not None:
            where += " AND report_type = ?"
            params.append(report_type)  # type: ignore[arg-type]
        if after_id is not None:
            where += " AND id > ?"
            params.append(after_id)
        columns = ", ".join(ALERT_COLUMNS)
        sql = f"SELECT {columns} FROM alerts WHERE {where} ORDER BY id LIMIT ?"  # noqa: S608 - constants
        rows = self.db.query(sql, [*params, _limit(limit)])
        return [self._alert(row) for row in rows]

    @staticmethod
    def _alert(row: tuple[Any, ...]) -> dict[str, Any]:
        alert = dict(zip(ALERT_COLUMNS, row, strict=True))
        alert["amount"] = int(alert["amount"])
        return alert

    def _all_alerts(
        self, report_type: str, from_ns: int | None, to_ns: int | None
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        after: int | None = None
        while True:
            page = self.alerts(
                report_type=report_type,
                from_ns=from_ns,
                to_ns=to_ns,
                after_id=after,
                limit=MAX_LIMIT,
            )
            rows.extend(page)
            if len(page) < MAX_LIMIT:
                return rows
            after = page[-1]["id"]

    # -- flows -------------------------------------------------------------------------

    def flows(
        self, from_ns: int | None, to_ns: int | None, asset: str | None = None
    ) -> list[dict[str, Any]]:
        """Transfers between institutions in the range: count and total per
        (from institution, to institution, asset), sorted by those three.

        Only bank transfers between accounts count (not mints and burns, which move money
        into or out of circulation rather than between institutions).
        """
        where, params = _range("time_ns", from_ns, to_ns)
        query_params: list[Any] = list(params)
        if asset is not None:
            where += " AND asset = ?"
            query_params.append(asset)
        rows = self.db.query(
            "SELECT sender_institution, recipient_institution, asset, amount FROM transfers "  # noqa: S608 - constants
            f"WHERE kind = 'transfer' AND {where}",
            query_params,
        )
        moves = [
            {"from_institution": a, "to_institution": b, "asset": c, "amount": d}
            for a, b, c, d in rows
        ]
        return _totals(moves, ("from_institution", "to_institution", "asset"))

    # -- account history ---------------------------------------------------------------

    def account_history(
        self, account: str, *, limit: int = 100, after_height: int = 0
    ) -> list[dict[str, Any]]:
        """Every event naming ``account`` (transfers, mints, KYC, interventions, alerts…)
        above ``after_height``, in chain order.

        Pages hold whole blocks, so the next page is ``after_height=<last item's height>``;
        a page is shorter than ``limit`` when the next block would not fit, and longer only
        when a single block alone has more than ``limit`` such events. Each item:
        ``height, tx_index, event_index, time_ns, tx_hash, type, category`` (``transfer``,
        ``intervention``, ``alert`` or ``event``) and ``attributes`` (a dict); a transfer
        adds ``direction`` (``in`` or ``out``).
        """
        limit = _limit(limit)
        select = (
            "SELECT DISTINCT e.height, e.tx_index, e.event_index, e.type, e.time_ns "
            "FROM event_attributes a JOIN events e ON e.height = a.height "
            "AND e.tx_index = a.tx_index AND e.event_index = a.event_index "
            "WHERE a.value = ? AND a.height > ? "
        )
        order = " ORDER BY e.height, e.tx_index, e.event_index"
        found = self.db.query(select + order + " LIMIT ?", (account, after_height, limit + 1))
        if len(found) > limit:
            last = found[limit - 1][0]
            if found[0][0] == last:  # one block with more than `limit`: take all of it
                found = self.db.query(
                    select + "AND a.height <= ?" + order, (account, after_height, last)
                )
            else:  # keep whole blocks only
                found = [row for row in found[:limit] if row[0] != found[limit][0]]
        if not found:
            return []
        bounds = (account, after_height, found[-1][0])
        mine = (
            "SELECT DISTINCT height, tx_index, event_index FROM event_attributes "
            "WHERE value = ? AND height > ? AND height <= ?"
        )
        attributes: dict[tuple[int, int, int], dict[str, str]] = defaultdict(dict)
        for h, t, e, key, value in self.db.query(
            "SELECT x.height, x.tx_index, x.event_index, x.key, x.value FROM event_attributes x "  # noqa: S608 - constants
            f"JOIN ({mine}) m ON x.height = m.height AND x.tx_index = m.tx_index "
            "AND x.event_index = m.event_index ORDER BY x.attr_index",
            bounds,
        ):
            attributes[(int(h), int(t), int(e))][str(key)] = str(value)
        hashes = {
            (int(h), int(t)): str(tx_hash)
            for h, t, tx_hash in self.db.query(
                "SELECT t.height, t.tx_index, t.hash FROM txs t JOIN (SELECT DISTINCT height, "
                "tx_index FROM event_attributes WHERE value = ? AND height > ? AND height <= ?) m "
                "ON t.height = m.height AND t.tx_index = m.tx_index",
                bounds,
            )
        }
        items = []
        for height, tx_index, event_index, kind, time_ns in found:
            attrs = attributes[(int(height), int(tx_index), int(event_index))]
            item: dict[str, Any] = {
                "height": int(height),
                "tx_index": int(tx_index),
                "event_index": int(event_index),
                "time_ns": int(time_ns),
                "tx_hash": hashes.get((int(height), int(tx_index)), ""),
                "type": str(kind),
                "category": _category(str(kind)),
                "attributes": attrs,
            }
            if item["category"] == "transfer":
                sender = attrs.get("sender") or attrs.get("minter") or attrs.get("burner", "")
                item["direction"] = "out" if sender == account else "in"
            items.append(item)
        return items

    # -- reports -----------------------------------------------------------------------

    def report(self, report_type: str, from_ns: int | None, to_ns: int | None) -> Report:
        """The report of ``report_type`` over ``[from_ns, to_ns)``: the alerts of that type
        with statistics per rule and per institution, or (``flows``) the flows between
        institutions with each institution's totals out and in."""
        params = {"report_type": report_type, "from_ns": from_ns, "to_ns": to_ns}
        if report_type == FLOWS:
            flows = self.flows(from_ns, to_ns)
            out = _sum_by(flows, "from_institution")
            into = _sum_by(flows, "to_institution")
            return Report(
                kind=FLOWS,
                title="Flows between institutions",
                params=params,
                columns=FLOW_COLUMNS,
                rows=flows,
                sections=[
                    Section(
                        "by_sender_institution",
                        "Outgoing per institution",
                        ("institution", "asset", "count", "total"),
                        out,
                    ),
                    Section(
                        "by_recipient_institution",
                        "Incoming per institution",
                        ("institution", "asset", "count", "total"),
                        into,
                    ),
                ],
                chart=Chart(
                    "Transfers per institution pair",
                    [
                        f"{_short(f['from_institution'])} > {_short(f['to_institution'])} "
                        f"{f['asset']}"
                        for f in flows
                    ],
                    [int(f["count"]) for f in flows],
                ),
            )
        alerts = self._all_alerts(report_type, from_ns, to_ns)
        by_rule = _totals(alerts, ("rule", "asset"))
        by_institution = _totals(alerts, ("institution", "asset"))
        per_rule: dict[str, int] = defaultdict(int)
        for row in by_rule:
            per_rule[row["rule"]] += row["count"]
        return Report(
            kind=report_type,
            title=f"Alerts: {report_type}",
            params=params,
            columns=ALERT_COLUMNS,
            rows=alerts,
            sections=[
                Section("by_rule", "Per rule", ("rule", "asset", "count", "total"), by_rule),
                Section(
                    "by_institution",
                    "Per institution",
                    ("institution", "asset", "count", "total"),
                    by_institution,
                ),
            ],
            chart=Chart(
                "Alerts per rule", sorted(per_rule), [per_rule[k] for k in sorted(per_rule)]
            ),
        )

    def history_report(self, account: str) -> Report:
        """The whole history of ``account`` as a report (``finchain index report account``)."""
        items: list[dict[str, Any]] = []
        after = 0
        while True:
            page = self.account_history(account, limit=1000, after_height=after)
            if not page:
                break
            items.extend(page)
            after = page[-1]["height"]
        rows = [
            {
                "height": i["height"],
                "time_ns": i["time_ns"],
                "tx_hash": i["tx_hash"],
                "type": i["type"],
                "category": i["category"],
                "attributes": ";".join(f"{k}={v}" for k, v in i["attributes"].items()),
            }
            for i in items
        ]
        counts: dict[str, int] = defaultdict(int)
        for row in rows:
            counts[row["type"]] += 1
        return Report(
            kind="account",
            title=f"History of {account}",
            params={"account": account},
            columns=("height", "time_ns", "tx_hash", "type", "category", "attributes"),
            rows=rows,
            sections=[
                Section(
                    "by_type",
                    "Events per type",
                    ("type", "count"),
                    [{"type": k, "count": counts[k]} for k in sorted(counts)],
                )
            ],
            chart=Chart("Events per type", sorted(counts), [counts[k] for k in sorted(counts)]),
        )


def _category(kind: str) -> str:
    if kind in (bank.TRANSFER, bank.MINT, bank.BURN):
        return "transfer"
    if kind in INTERVENTION_TYPES:
        return "intervention"
    if kind in ALERT_TYPES:
        return "alert"
    return "event"


def _sum_by(flows: list[dict[str, Any]], side: str) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for flow in flows:
        group = groups[(flow[side], flow["asset"])]
        group[0] += int(flow["count"])
        group[1] += int(flow["total"])
    return [
        {"institution": inst, "asset": asset, "count": c, "total": t}
        for (inst, asset), (c, t) in sorted(groups.items())
    ]


def _short(did: str) -> str:
    """A DID short enough for a chart label (the table shows it whole)."""
    if not did:
        return "(none)"
    return did if len(did) <= 20 else f"{did[:12]}…{did[-6:]}"


def open_index(url: str) -> Index:
    """Open the index at ``url`` (``sqlite:///…`` or ``postgresql://…``) for reading; writes
    nothing (a role with SELECT rights only will do), so it refuses an index whose schema is
    not this code's (``finchain index run`` creates and migrates it).

    Raises :class:`~finchain.indexer.errors.BadDatabaseUrl` or
    :class:`~finchain.indexer.errors.DatabaseUnavailable` with a message that says what to do.
    """
    db = connect(url, migrate=False)
    version, newest = db.schema_version(), MIGRATIONS[-1][0]
    if version != newest:
        db.close()
        if version > newest:
            raise SchemaTooNew(
                f"the index at {db.url} has schema version {version}, newer than this "
                f"finchain's {newest}: read it with a newer finchain"
            )
        raise IndexerError(
            f"the index at {db.url} has schema version {version}, this finchain reads "
            f"{newest}: run `finchain index run --db URL` once (it creates and migrates it)"
        )
    return Index(db)


def render(report: Report, fmt: Format) -> bytes:
    """``report`` as a file: ``csv`` (the rows, then each statistics table after a blank
    line and a ``# name`` line), ``json`` (one object, keys sorted) or ``pdf`` (the
    statistics, a bar chart and the rows)."""
    if fmt == "csv":
        return formats.csv_bytes(report)
    if fmt == "json":
        return formats.json_bytes(report)
    if fmt == "pdf":
        return formats.pdf_bytes(report)
    raise ValueError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
