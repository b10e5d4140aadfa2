"""Rich tables for the read commands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.table import Table
from rich.text import Text

from tracker.metrics import format_delta, format_number, metric_label
from tracker.report import describe_change
from tracker.store.queries import ChangeRow, PaperRow, ProfileSummary
from tracker.store.statuses import GOOD_STATUSES

LIST_METRICS = ("citations", "h_index", "paper_count")


def profiles_table(summaries: Sequence[ProfileSummary]) -> Table:
    """One row per profile; a person followed on several sources gets adjacent rows.

    Narrow enough for 80 columns: the name and source go under the id, a change since
    the previous sync under its value, and why a sync failed under the table.
    """
    table = Table(
        title="Tracked profiles",
        title_justify="left",
        caption=_failures_caption(summaries),
        caption_justify="left",
    )
    grouped = any(summary.person for summary in summaries)
    if grouped:
        table.add_column("person", no_wrap=True)
        summaries = sorted(summaries, key=lambda s: (s.person or s.id, s.id))
    table.add_column("profile", overflow="fold")
    for metric in LIST_METRICS:
        table.add_column(metric_label(metric), justify="right", no_wrap=True)
    table.add_column("last sync (UTC)")
    table.add_column("status", no_wrap=True)
    previous_person = None
    for summary in summaries:
        shown = summary.person if summary.person != previous_person else ""
        previous_person = summary.person
        person = [Text(shown or "")] if grouped else []
        profile = Text(summary.id)
        profile.append("\n" + " · ".join(filter(None, (summary.name, summary.source))), "dim")
        table.add_row(
            *person,
            profile,
            *(
                _metric_cell(summary.metrics.get(metric), summary.deltas.get(metric))
                for metric in LIST_METRICS
            ),
            f"{summary.last_sync:%Y-%m-%d %H:%M}" if summary.last_sync else "never",
            _status_cell(summary),
        )
    return table


def _status_cell(summary: ProfileSummary) -> Text:
    if summary.last_status is None:
        return Text("")
    if summary.last_status in GOOD_STATUSES:
        return Text("ok", style="green")
    return Text(_failed_word(summary), style="red")


def _failed_word(summary: ProfileSummary) -> str:
    return "blocked" if summary.last_status == "blocked" else "failed"


def _failures_caption(summaries: Sequence[ProfileSummary]) -> Text | None:
    """`ada failed 2026-03-02 07:00: why`, one line per profile whose last sync failed."""
    lines = [
        f"{s.id} {_failed_word(s)} {s.last_sync:%Y-%m-%d %H:%M}: "
        + _short(s.last_reason or s.last_status, 160)
        for s in summaries
        if s.last_status is not None and s.last_status not in GOOD_STATUSES and s.last_sync
    ]
    return Text("\n".join(lines), style="red") if lines else None


def papers_table(
    papers: Sequence[PaperRow], gains: Mapping[str, int] | None = None, gain_days: int = 30
) -> Table:
    """Newest first; citations and their gain over `gain_days` where the source counts them."""
    table = Table(title=f"{len(papers)} papers, newest first", title_justify="left")
    with_citations = any(paper.citations is not None for paper in papers)
    table.add_column("published", no_wrap=True)
    table.add_column("title / authors · venue", ratio=1)
    table.add_column("code", no_wrap=True)
    if with_citations:
        table.add_column("citations", justify="right", no_wrap=True)
        table.add_column(f"Δ {gain_days}d", justify="right", no_wrap=True)
    table.add_column("first seen", no_wrap=True)
    for paper in papers:
        citations: list[str | Text] = []
        if with_citations:
            gain = (gains or {}).get(paper.key)
            citations = [
                format_number(paper.citations) if paper.citations is not None else "",
                Text(format_delta(gain), style="green" if gain > 0 else "red") if gain else "",
            ]
        table.add_row(
            str(paper.published or paper.year or ""),
            _paper_cell(paper),
            "yes" if paper.has_code else "",
            *citations,
            f"{paper.first_seen:%Y-%m-%d}",
        )
    return table


def _paper_cell(paper: PaperRow) -> Text:
    """The title, and under it (dim) the authors and the venue or category."""
    authors = ", ".join(paper.authors) + (" et al." if paper.authors_truncated else "")
    byline = " · ".join(filter(None, (_short(authors, 60), paper.venue or paper.category)))
    cell = Text(paper.title)
    if byline:
        cell.append("\n" + byline, "dim")
    return cell


def changes_table(rows: Sequence[ChangeRow]) -> Table:
    table = Table(title=f"{len(rows)} changes", title_justify="left")
    for column in ("detected (UTC)", "profile", "change"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            f"{row.detected_at:%Y-%m-%d %H:%M}", Text(row.profile), Text(describe_change(row))
        )
    return table


def _metric_cell(value: object, delta: int | float | None) -> Text:
    """The value, and under it the change since the previous sync (if any)."""
    cell = Text(format_number(value))
    if delta:
        cell.append("\n" + format_delta(delta), "green" if delta > 0 else "red")
    return cell


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
