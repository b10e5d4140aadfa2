"""`tracker report --format html`: one self-contained HTML file with charts, papers and changes.

Charts are matplotlib SVG written into the page, so the file needs no script, font
or stylesheet from anywhere (its Content-Security-Policy tells the browser to load
nothing). Everything that came from a page goes through Jinja's autoescaping, and
only http(s) links are ever made clickable.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from markupsafe import Markup

from tracker.history import Observation
from tracker.metrics import format_delta, format_number, metric_label
from tracker.records import MetricValue
from tracker.report import (
    ProfileReport,
    build_report,
    describe_change,
    describe_problem,
)
from tracker.store import Store
from tracker.store.history_reads import good_fetch_span, metric_history
from tracker.store.queries import (
    PaperDetail,
    ProfileSummary,
    citation_gains,
    citations_per_year,
    paper_details,
    profile_summaries,
)
from tracker.store.statuses import GOOD_STATUSES

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CHART_METRICS = ("citations", "h_index")
OVERVIEW_METRICS = ("citations", "h_index", "paper_count")
TOP_GAINERS = 10
CHART_COLOR = "#2f6fb0"
# matplotlib names every group `<g id="line2d_3">`; the same names in every chart would
# repeat ids in the page, and nothing refers to them.
_AUTO_GROUP_ID = re.compile(r'<g id="[\w.]+_\d+">')
_SVG_ROOT = re.compile(r"<svg [^>]*>")
_VIEW_BOX = re.compile(r'viewBox="([^"]+)"')


@dataclass(frozen=True)
class PaperEntry:
    """A paper as the report lists it, with the links that are safe to click."""

    paper: PaperDetail
    link: str | None
    code_link: str | None
    gain: int | None = None


@dataclass(frozen=True)
class LogEntry:
    at: datetime
    text: str
    kind: str  # baseline | change | new-paper | problem


@dataclass(frozen=True)
class ProfileSection:
    """What the report shows of one profile; charts are drawn from `series` when rendering."""

    id: str
    name: str | None
    source: str
    link: str | None
    summary: ProfileSummary | None
    series: dict[str, list[Observation]]
    chart_end: datetime | None
    per_year: dict[int, int]
    new_papers: list[PaperEntry]
    top_gainers: list[PaperEntry]
    log: list[LogEntry]


@dataclass(frozen=True)
class HtmlReport:
    generated_at: datetime
    since: datetime | None
    profiles: list[ProfileSection] = field(default_factory=list)

    @property
    def period(self) -> str:
        if self.since is None:
            return "everything recorded"
        return f"since {self.since:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class Chart:
    metric: str
    caption: str
    points: int  # data points drawn: observations or bars
    svg: Markup


def gather_html_report(
    store: Store,
    *,
    generated_at: datetime,
    since: datetime | None = None,
    profile_ids: list[str] | None = None,
) -> HtmlReport:
    """Everything the HTML report shows, read from the store (nothing rendered yet)."""
    base = build_report(store, generated_at=generated_at, since=since, profile_ids=profile_ids)
    ids = [profile.id for profile in base.profiles]
    summaries = {summary.id: summary for summary in profile_summaries(store, ids)}
    sections = [
        _section(store, profile, summaries.get(profile.id), since) for profile in base.profiles
    ]
    return HtmlReport(generated_at=generated_at, since=since, profiles=sections)


def _section(
    store: Store, report: ProfileReport, summary: ProfileSummary | None, since: datetime | None
) -> ProfileSection:
    profile = store.profile(report.id)
    series: dict[str, list[Observation]] = {}
    for point in metric_history(store, profile.id):
        if point.metric in CHART_METRICS:
            series.setdefault(point.metric, []).append(Observation(point.observed_at, point.value))
    span = good_fetch_span(store, profile.id)
    # Papers of the first sync are the baseline, not papers that appeared.
    new_papers = [
        _entry(paper)
        for paper in paper_details(store, profile.id, new_since=since)
        if span is not None and paper.first_seen > span[0]
    ]
    return ProfileSection(
        id=profile.id,
        name=profile.name,
        source=profile.source,
        link=safe_link(profile.url),
        summary=summary,
        series=series,
        chart_end=span[1] if span else None,
        per_year=citations_per_year(store, profile.id),
        new_papers=new_papers,
        top_gainers=_top_gainers(store, profile.id, since),
        log=_log(report),
    )


def _top_gainers(store: Store, profile_id: str, since: datetime | None) -> list[PaperEntry]:
    gains = citation_gains(store, profile_id, since=since)
    top = sorted((key for key, gain in gains.items() if gain > 0), key=lambda k: -gains[k])
    papers = {p.key: p for p in paper_details(store, profile_id, keys=top[:TOP_GAINERS])}
    return [_entry(papers[key], gain=gains[key]) for key in top[:TOP_GAINERS] if key in papers]


def _entry(paper: PaperDetail, *, gain: int | None = None) -> PaperEntry:
    link = safe_link(paper.url)
    if link is None and paper.arxiv_id:
        link = f"https://arxiv.org/abs/{paper.arxiv_id}"
    if link is None and paper.doi:
        link = f"https://doi.org/{paper.doi}"
    return PaperEntry(paper=paper, link=link, code_link=safe_link(paper.code_url), gain=gain)


def _log(report: ProfileReport) -> list[LogEntry]:
    entries = []
    if report.baseline_at is not None and report.baseline_papers is not None:
        text = f"now tracking {report.baseline_papers} papers"
        entries.append(LogEntry(report.baseline_at, text, "baseline"))
    for change in report.changes:
        kind = "new-paper" if change.kind == "paper_added" else "change"
        entries.append(LogEntry(change.detected_at, describe_change(change), kind))
    for problem in report.problems:
        entries.append(LogEntry(problem.fetched_at, describe_problem(problem), "problem"))
    return sorted(entries, key=lambda entry: entry.at)


def safe_link(url: str | None) -> str | None:
    """The URL if it is an http(s) link (never `javascript:` and the like), else None."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


# rendering


def render_html(report: HtmlReport) -> str:
    """The report as one HTML document that loads nothing from anywhere."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("tracker", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=format_number, delta=format_delta, label=metric_label)
    charts = _draw_charts(report)
    template = env.get_template("report.html.j2")
    return template.render(
        report=report,
        charts=charts,
        overview_metrics=OVERVIEW_METRICS,
        good_statuses={status.value for status in GOOD_STATUSES},
    )


def _draw_charts(report: HtmlReport) -> dict[str, list[Chart]]:
    """Each profile's charts, by profile id."""
    import matplotlib

    charts: dict[str, list[Chart]] = {}
    number = 0
    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",  # text stays text: smaller, selectable, the page's own font
            "font.family": "sans-serif",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
        }
    ):
        for section in report.profiles:
            drawn = charts.setdefault(section.id, [])
            for metric in CHART_METRICS:
                observations = section.series.get(metric)
                if observations and section.chart_end is not None:
                    number += 1
                    drawn.append(
                        _step_chart(
                            metric, observations, section.chart_end, report.since, f"c{number}"
                        )
                    )
            if section.per_year:
                number += 1
                drawn.append(_per_year_chart(section.per_year, f"c{number}"))
    return charts


def _step_chart(
    metric: str,
    observations: list[Observation],
    end: datetime,
    since: datetime | None,
    chart_id: str,
) -> Chart:
    """A metric as the step function it is, a dot at each observed change."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    figure, axes = _figure()
    times = [observation.at for observation in observations]
    values: list[MetricValue] = [observation.value for observation in observations]
    end = max(end, times[-1])
    x = [_date_number(moment) for moment in [*times, end]]
    axes.step(x, [*values, values[-1]], where="post", color=CHART_COLOR, lw=1.6)
    axes.plot(x[:-1], values, "o", color=CHART_COLOR, markersize=4, gid=f"{chart_id}-data")
    if since is not None and times[0] < since < end:
        axes.axvline(_date_number(since), color="#888888", linestyle="--", linewidth=0.8)
    locator = AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.margins(y=0.15)
    _integer_y_axis(axes, values)
    label = metric_label(metric)
    axes.set_title(f"{label} over time (UTC)", loc="left")
    caption = f"{label}: {format_number(values[0])} → {format_number(values[-1])}"
    return Chart(metric, caption, len(observations), _svg(figure, chart_id, label))


def _per_year_chart(per_year: dict[int, int], chart_id: str) -> Chart:
    from matplotlib.ticker import MaxNLocator

    figure, axes = _figure()
    years = sorted(per_year)
    bars = axes.bar(years, [per_year[year] for year in years], color=CHART_COLOR)
    for year, bar in zip(years, bars, strict=True):
        bar.set_gid(f"{chart_id}-{year}-data")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="x", visible=False)
    axes.set_title("citations per year", loc="left")
    caption = f"citations per year, {years[0]} to {years[-1]}"
    return Chart("citations_per_year", caption, len(years), _svg(figure, chart_id, caption))


def _date_number(moment: datetime) -> float:
    """A datetime as matplotlib's date number (days since its epoch)."""
    from matplotlib.dates import date2num

    return float(date2num(moment))  # type: ignore[no-untyped-call]


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 2.5), layout="constrained")
    return figure, figure.subplots()


def _integer_y_axis(axes: Axes, values: list[MetricValue]) -> None:
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    if all(isinstance(value, int) for value in values):
        axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _svg(figure: Figure, chart_id: str, label: str) -> Markup:
    """The figure as an inline <svg>: no XML prolog, no namespaces, ids unique in the page."""
    import matplotlib

    buffer = io.StringIO()
    metadata: dict[str, Any] = {"Creator": None, "Date": None, "Format": None, "Type": None}
    with matplotlib.rc_context({"svg.hashsalt": chart_id}):  # hashed ids differ per chart
        figure.savefig(buffer, format="svg", metadata=metadata)
    text = buffer.getvalue()
    text = text[text.index("<svg ") :]
    view_box = _VIEW_BOX.search(text)
    assert view_box is not None
    root = Markup('<svg viewBox="{}" role="img" aria-label="{}">').format(view_box.group(1), label)
    text = _SVG_ROOT.sub(lambda _: str(root), text, count=1)
    return Markup(_AUTO_GROUP_ID.sub("<g>", text))
