"""A report as CSV, JSON or PDF bytes (called through ``reports.render``).

Every format is a pure function of the report: the same report gives the same bytes,
whichever database it was read from (the PDF too: ReportLab's invariant mode leaves out
the creation time and the random document id).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

if TYPE_CHECKING:  # reports.py imports this module to render
    from finchain.indexer.reports import Report

MAX_CHART_BARS = 40
MAX_CELL = 28  # characters of a PDF table cell: hashes and DIDs are shortened in the middle,
# figures never


def csv_bytes(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(report.columns)
    writer.writerows([row[c] for c in report.columns] for row in report.rows)
    for section in report.sections:
        writer.writerow([])
        writer.writerow([f"# {section.name}"])
        writer.writerow(section.columns)
        writer.writerows([row[c] for c in section.columns] for row in section.rows)
    return out.getvalue().encode()


def json_bytes(report: Report) -> bytes:
    body = {
        "report": report.kind,
        "title": report.title,
        "params": report.params,
        "columns": list(report.columns),
        "rows": report.rows,
        "sections": {
            s.name: {"title": s.title, "columns": list(s.columns), "rows": s.rows}
            for s in report.sections
        },
    }
    return (json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def _when(ns: Any) -> str:
    if ns is None:
        return "open"
    return datetime.fromtimestamp(int(ns) / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _cell(column: str, value: Any) -> str:
    if column.endswith("time_ns"):
        return _when(value)
    text = str(value)
    if text == "" and "institution" in column:
        return "(none)"
    if len(text) > MAX_CELL and column not in ("amount", "total", "count"):  # figures whole
        return f"{text[: MAX_CELL - 9]}…{text[-8:]}"
    return text


def _table(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> Table:
    data = [[c.replace("_", " ") for c in columns]]
    data += [[_cell(c, row[c]) for c in columns] for row in rows]
    table = Table(data, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 7),
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _chart(report: Report) -> Drawing | None:
    chart = report.chart
    if chart is None or not chart.values:
        return None
    labels, values = chart.labels[:MAX_CHART_BARS], chart.values[:MAX_CHART_BARS]
    drawing = Drawing(240 * mm, 70 * mm)
    bars = VerticalBarChart()
    bars.x, bars.y = 15 * mm, 18 * mm
    bars.width, bars.height = 215 * mm, 45 * mm
    bars.data = [values]
    bars.categoryAxis.categoryNames = labels
    bars.categoryAxis.labels.fontSize = 6
    bars.categoryAxis.labels.angle = 20 if len(labels) > 6 else 0
    bars.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 6 else "n"
    bars.valueAxis.valueMin = 0
    bars.valueAxis.valueMax = max(values) + 1
    bars.valueAxis.valueStep = max(1, (max(values) + 1) // 5)
    bars.bars[0].fillColor = colors.HexColor("#3b6ea5")
    drawing.add(bars)
    return drawing


def pdf_bytes(report: Report) -> bytes:
    styles = getSampleStyleSheet()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        title=report.title,
        author="finchain indexer",
        invariant=True,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
    )
    params = report.params
    period = ""
    if "from_ns" in params:
        start, end = params["from_ns"], params["to_ns"]
        period = "since " + _when(start) if start is not None else "from the first block"
        period += f" until {_when(end)} (exclusive)" if end is not None else " on"
    story: list[Any] = [Paragraph(report.title, styles["Title"])]
    if period:
        story.append(Paragraph(period, styles["Normal"]))
    story.append(Paragraph(f"{len(report.rows)} rows", styles["Normal"]))
    story.append(Spacer(1, 4 * mm))
    drawing = _chart(report)
    if drawing is not None and report.chart is not None:
        story += [Paragraph(report.chart.title, styles["Heading2"]), drawing]
    for section in report.sections:
        story.append(Paragraph(section.title, styles["Heading2"]))
        if section.rows:
            story.append(_table(section.columns, section.rows))
        else:
            story.append(Paragraph("none", styles["Normal"]))
    story.append(Paragraph("Rows", styles["Heading2"]))
    if report.rows:
        story.append(_table(report.columns, report.rows))
    else:
        story.append(Paragraph("none in this period", styles["Normal"]))
    doc.build(story)
    return out.getvalue()
