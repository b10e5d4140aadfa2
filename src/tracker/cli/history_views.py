"""What `history`, `papers` and `report` show beyond plain rows: trends, resampled
metrics, exports to csv / json / parquet, and writing an output file."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.control import STRIP_CONTROL_CODES
from rich.table import Table
from rich.text import Text

from tracker.cli.options import HistoryOutput, parse_moment
from tracker.errors import UserInputError
from tracker.history import DELTA_DAYS, Every, MetricTrend, Observation, auto_every, trends
from tracker.metrics import MetricValue, format_delta, format_number, metric_label
from tracker.store import Store
from tracker.store.history_reads import MetricPoint, good_fetch_span, metric_history

if TYPE_CHECKING:
    from tracker.store.queries import PaperRow

RECENT_DAYS = 30  # "recent" citation changes of papers


def show_history(
    db_path: Callable[[], Path],
    profile_id: str,
    *,
    metric: str | None,
    since: str | None,
    until: str | None,
    every: Every | None,
    format: HistoryOutput,
    output: Path | None,
    console: Console,
) -> None:
    """`tracker history`, after its options are parsed (by typer or by `tracker.cli.quick`)."""
    check_history_output(format, output)
    with Store.open(db_path(), read_only=True) as store:
        view = load_history(
            store,
            profile_id,
            metric=metric,
            since=parse_moment(since, option="--since"),
            until=parse_moment(until, option="--until"),
            every=every,
        )
    if format is HistoryOutput.table:
        print_history(view, console)
    elif format is HistoryOutput.parquet:
        assert output is not None
        write_history_parquet(view, output)
        console.print(f"wrote {output}", markup=False)
    else:
        emit(history_text(view, format), output, console)


@dataclass(frozen=True)
class HistoryView:
    """A profile's metrics over a window [start, end] and the changes observed in it."""

    profile_id: str
    points: list[MetricPoint]  # one per observed change, in the window
    trends: list[MetricTrend]
    every: Every | None  # the --every asked for: exports and the table are resampled
    resolution: Every  # of the trends (sparklines): --every, else chosen by the window
    start: datetime | None
    end: datetime | None
    windowed: bool = False  # --since or --until was given


def load_history(
    store: Store,
    profile_id: str,
    *,
    metric: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    every: Every | None = None,
) -> HistoryView:
    """The window runs from the first observation (or --since) to the latest good sync
    (or --until): a value holds until the next one, so the last sync still shows it."""
    points = metric_history(store, profile_id, metric=metric, until=until)
    span = good_fetch_span(store, profile_id)
    windowed = since is not None or until is not None
    if not points:
        return HistoryView(profile_id, [], [], every, every or Every.day, None, None, windowed)
    latest = max(points[-1].observed_at, span[1] if span else points[-1].observed_at)
    end = min(latest, until) if until else latest
    start = max(points[0].observed_at, since) if since else points[0].observed_at
    series: dict[str, list[Observation]] = {}
    for point in points:
        series.setdefault(point.metric, []).append(Observation(point.observed_at, point.value))
    resolution = every or auto_every(start, end)
    window = trends(series, start=start, end=end, every=resolution) if start <= end else []
    shown = [point for point in points if since is None or point.observed_at >= since]
    return HistoryView(profile_id, shown, window, every, resolution, start, end, windowed)


def recent_citation_gains(store: Store, profile_id: str) -> dict[str, int]:
    """Citations each paper gained in the RECENT_DAYS before its profile's latest sync."""
    from tracker.store.queries import citation_gains  # pydantic rows: `history` needs none

    span = good_fetch_span(store, profile_id)
    if span is None:
        return {}
    return citation_gains(store, profile_id, since=span[1] - timedelta(days=RECENT_DAYS))


# the table


def print_history(view: HistoryView, console: Console) -> None:
    if view.windowed and not view.trends:
        console.print("No metrics in that window: check --since and --until.", markup=False)
        return
    if not view.trends:
        console.print(
            f"No metrics recorded for {view.profile_id} yet: run `tracker sync`.", markup=False
        )
        return
    console.print(trends_table(view))
    console.print()
    console.print(resampled_table(view) if view.every else history_table(view.points))


def trends_table(view: HistoryView) -> Table:
    """One row per metric: its value at the end of the window, a sparkline and its deltas."""
    assert view.start is not None and view.end is not None
    table = Table(
        title=f"{view.profile_id}: metrics as of {view.end:%Y-%m-%d %H:%M} UTC",
        title_justify="left",
        caption=f"trend: the last value of each {view.resolution.value} from "
        f"{view.trends[0].shown[0].period:%Y-%m-%d}; Δ: the change over the last N days",
        caption_justify="left",
    )
    table.add_column("metric", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("trend", no_wrap=True, style="cyan")
    for days in DELTA_DAYS:
        table.add_column(f"Δ {days}d", justify="right", no_wrap=True)
    for trend in view.trends:
        table.add_row(
            metric_label(trend.metric),
            format_number(trend.value),
            trend.sparkline,
            *(delta_cell(trend.deltas[days]) for days in DELTA_DAYS),
        )
    return table


def resampled_table(view: HistoryView) -> Table:
    """--every: the last value of each period, one row per period."""
    assert view.every is not None
    table = Table(title=f"The last value of each {view.every.value} (UTC)", title_justify="left")
    table.add_column(PERIOD_HEADERS[view.every], no_wrap=True)
    for trend in view.trends:
        table.add_column(metric_label(trend.metric), justify="right")
    periods = [sample.period for sample in view.trends[0].samples]
    for row, period in enumerate(periods):
        values = [format_number(trend.samples[row].value) for trend in view.trends]
        table.add_row(period_label(period, view.every), *values)
    return table


def history_table(points: Sequence[MetricPoint]) -> Table:
    """One row per moment a value changed, one column per metric."""
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


PERIOD_HEADERS = {Every.day: "day", Every.week: "week of", Every.month: "month"}


def period_label(period: date, every: Every) -> str:
    return f"{period:%Y-%m}" if every is Every.month else period.isoformat()


def delta_cell(delta: MetricValue | None) -> Text:
    """`+12` in green, `-3` in red, `0`, or `—` when there was no value N days before."""
    if delta is None:
        return Text("—", style="dim")
    style = "green" if delta > 0 else "red" if delta < 0 else ""
    return Text(format_delta(delta), style=style)


# exports


def export_rows(view: HistoryView) -> list[dict[str, Any]]:
    """Observed changes `{observed_at, metric, value}`, or with --every one row per period
    and metric `{period, metric, value}` (the period's first day; no row before a metric's
    first value)."""
    if view.every is None:
        return [
            {"observed_at": point.observed_at, "metric": point.metric, "value": point.value}
            for point in view.points
        ]
    rows = [
        {"period": sample.period, "metric": trend.metric, "value": sample.value}
        for trend in view.trends
        for sample in trend.samples
        if sample.value is not None
    ]
    return sorted(rows, key=lambda row: (row["period"], row["metric"]))


def history_text(view: HistoryView, output: HistoryOutput) -> str:
    """The export as csv or json text."""
    rows = export_rows(view)
    if output is HistoryOutput.json:
        return json.dumps(rows, indent=2, default=json_time) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["period" if view.every else "observed_at", "metric", "value"])
    for row in rows:
        writer.writerow(
            [value.isoformat() if isinstance(value, date) else value for value in row.values()]
        )
    return buffer.getvalue()


def json_time(value: object) -> str:
    """A date or time in JSON as pydantic writes it: ISO 8601, with UTC as `Z`."""
    if not isinstance(value, date):
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    text = value.isoformat()
    if isinstance(value, datetime) and value.utcoffset() == timedelta(0):
        return text.removesuffix("+00:00") + "Z"
    return text


def write_history_parquet(view: HistoryView, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = export_rows(view)
    first = "period" if view.every else "observed_at"
    first_type = pa.date32() if view.every else pa.timestamp("us", tz="UTC")
    table = pa.table(
        {
            first: pa.array([row[first] for row in rows], type=first_type),
            "metric": pa.array([row["metric"] for row in rows], type=pa.string()),
            "value": pa.array([float(row["value"]) for row in rows], type=pa.float64()),
        }
    )
    try:
        pq.write_table(table, path)
    except OSError as error:
        raise UserInputError(f"cannot write {path}: {error}") from None


def check_history_output(output: HistoryOutput, path: Path | None) -> None:
    """Fail before reading anything: parquet is binary, a table is for the terminal."""
    if output is HistoryOutput.parquet and path is None:
        raise UserInputError("--format parquet needs --output PATH")
    if output is HistoryOutput.table and path is not None:
        raise UserInputError("--output is for --format csv, json or parquet")


def emit(text: str, path: Path | None, console: Console) -> None:
    """Print `text`, or write it to `path` and say so."""
    if path is None:
        print_verbatim(text, console)
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UserInputError(f"cannot write {path}: {error.strerror}") from None
    console.print(f"wrote {path}", markup=False)


# What rich changes in plain text: it expands tabs and drops these control codes.
RICH_REWRITES = frozenset(["\t", *map(chr, STRIP_CONTROL_CODES)])


def print_verbatim(text: str, console: Console) -> None:
    """Print `text` as it is, with no markup, emoji or highlighting. Straight to the
    console's file when rich would print the same characters, which is much quicker for
    a long report than rich laying out each line."""
    if RICH_REWRITES.isdisjoint(text):
        try:
            console.file.write(text)
            console.file.flush()
        except BrokenPipeError:
            console.on_broken_pipe()
    else:
        console.print(text, end="", markup=False, highlight=False, emoji=False)


def papers_payload(rows: Sequence[PaperRow], gains: dict[str, int]) -> list[dict[str, Any]]:
    """`papers --format json`: each paper plus `citations_gained_30d` (null without counts)."""
    return [
        row.model_dump(mode="json")
        | {
            f"citations_gained_{RECENT_DAYS}d": gains.get(row.key, 0)
            if row.citations is not None
            else None
        }
        for row in rows
    ]
