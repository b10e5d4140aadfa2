"""Rich tables for the read commands."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from tracker.report import describe_change, format_delta, format_number, metric_label
from tracker.store.models import GOOD_STATUSES
from tracker.store.queries import ChangeRow, MetricPoint, PaperRow, ProfileSummary

LIST_METRICS = ("citations", "h_index", "paper_count")


def profiles_table(summaries: Sequence[ProfileSummary]) -> Table:
    table = Table(title="Tracked profiles", title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("name", min_width=12)
    for metric in LIST_METRICS:
        table.add_column(metric_label(metric), justify="right", no_wrap=True)
    table.add_column("last sync (UTC)", no_wrap=True)
    table.add_column("status")
    for summary in summaries:
        cells = [
            _metric_cell(summary.metrics.get(metric), summary.deltas.get(metric))
            for metric in LIST_METRICS
        ]
        table.add_row(
            Text(summary.id),
            Text(summary.name or ""),
            *cells,
            f"{summary.last_sync:%Y-%m-%d %H:%M}" if summary.last_sync else "never",
            _status_cell(summary),
        )
    return table


def _status_cell(summary: ProfileSummary) -> Text:
    if summary.last_status is None:
        return Text("")
    if summary.last_status in GOOD_STATUSES:
        return Text("ok", style="green")
    failed = "blocked" if summary.last_status == "blocked" else "failed"
    return Text(f"{failed}: {_short(summary.last_reason or summary.last_status, 70)}", style="red")


def history_table(points: Sequence[MetricPoint]) -> Table:
    table = Table(title="Metric history (a row where a value changed)", title_justify="left")
    metrics = sorted({point.metric for point in points})
    table.add_column("observed (UTC)")
    for metric in metrics:
        table.add_column(metric_label(metric), justify="right")
    by_time: dict[str, dict[str, str]] = {}
    for point in points:
        by_time.setdefault(f"{point.observed_at:%Y-%m-%d %H:%M}", {})[point.metric] = format_number(
            point.value
        )
    for moment, values in by_time.items():
        table.add_row(moment, *(values.get(metric, "") for metric in metrics))
    return table


def papers_table(papers: Sequence[PaperRow]) -> Table:
    table = Table(title=f"{len(papers)} papers, newest first", title_justify="left")
    for column in ("published", "title", "authors", "category", "code", "first seen"):
        table.add_column(column)
    for paper in papers:
        authors = ", ".join(paper.authors) + (" et al." if paper.authors_truncated else "")
        table.add_row(
            str(paper.published or paper.year or ""),
            Text(paper.title),
            Text(_short(authors, 40)),
            Text(paper.category or paper.venue or ""),
            "yes" if paper.has_code else "",
            f"{paper.first_seen:%Y-%m-%d}",
        )
    return table


def changes_table(rows: Sequence[ChangeRow]) -> Table:
    table = Table(title=f"{len(rows)} changes", title_justify="left")
    for column in ("detected (UTC)", "profile", "change"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            f"{row.detected_at:%Y-%m-%d %H:%M}", Text(row.profile), Text(describe_change(row))
        )
    return table


def _metric_cell(value: object, delta: int | float | None) -> str:
    text = format_number(value)
    return f"{text} ({format_delta(delta)})" if delta else text


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
