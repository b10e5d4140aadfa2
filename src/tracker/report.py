"""Change reports: gathered from the store once, rendered for a terminal, Markdown or JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

from tracker.records import MetricValue
from tracker.store import Store
from tracker.store.database import to_db_time
from tracker.store.queries import ChangeRow, FetchRow, changes, problem_fetches

METRIC_LABELS = {
    "h_index": "h-index",
    "i10_index": "i10-index",
    "paper_count": "papers",
    "novelty_percent": "novelty %",
    "ai_score": "AI score",
}


class ProfileReport(BaseModel):
    id: str
    name: str | None
    url: str
    baseline_papers: int | None = None
    baseline_at: datetime | None = None
    problems: list[FetchRow] = []
    changes: list[ChangeRow] = []


class Report(BaseModel):
    generated_at: datetime
    since: datetime | None = None
    run_id: int | None = None
    profiles: list[ProfileReport]

    @property
    def change_count(self) -> int:
        return sum(len(profile.changes) for profile in self.profiles)


def build_report(
    store: Store,
    *,
    generated_at: datetime,
    since: datetime | None = None,
    profile_ids: list[str] | None = None,
    run_id: int | None = None,
) -> Report:
    """Changes, baselines and failed syncs of a period or a run, grouped by profile."""
    profiles = store.profiles(ids=profile_ids, active_only=profile_ids is None)
    ids = [profile.id for profile in profiles]
    by_profile = {
        profile.id: ProfileReport(id=profile.id, name=profile.name, url=profile.url)
        for profile in profiles
    }
    for row in changes(store, profile_ids=ids, since=since, run_id=run_id):
        by_profile[row.profile].changes.append(row)
    for fetch in problem_fetches(store, profile_ids=ids, since=since, run_id=run_id):
        report = by_profile[fetch.profile]
        if fetch.status == "baseline":
            report.baseline_papers = _papers_first_seen_at(store, fetch.profile, fetch.fetched_at)
            report.baseline_at = fetch.fetched_at
        else:
            report.problems.append(fetch)
    return Report(
        generated_at=generated_at, since=since, run_id=run_id, profiles=list(by_profile.values())
    )


def _papers_first_seen_at(store: Store, profile_id: str, moment: datetime) -> int:
    rows = store.query(
        "SELECT count(*) FROM papers WHERE profile_id = ? AND first_seen = ?",
        [profile_id, to_db_time(moment)],
    )
    return int(rows[0][0])


def metric_label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def format_number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return "—" if value is None else str(value)


def format_delta(delta: MetricValue | None) -> str:
    if delta is None:
        return ""
    return f"+{format_number(delta)}" if delta > 0 else format_number(delta)


def describe_change(change: ChangeRow) -> str:
    """One line of plain text for a change: `citations 754 → 790 (+36)`."""
    title = change.paper["title"] if change.paper else ""
    if change.kind == "metric_changed":
        label = metric_label(change.metric or "")
        text = f"{label} {format_number(change.old)} → {format_number(change.new)}"
        return f"{text} ({format_delta(change.delta)})" if change.delta is not None else text
    if change.kind == "paper_added":
        details = ", ".join(str(v) for v in _paper_details(change.new) if v)
        return f"new paper: “{title}”" + (f" ({details})" if details else "")
    if change.kind == "paper_removed":
        return f"paper removed: “{title}”"
    return f"paper changed: “{title}” ({', '.join(change.fields)})"


def describe_problem(fetch: FetchRow) -> str:
    label = "blocked" if fetch.status == "blocked" else "failed"
    return f"sync {label}: {fetch.reason or 'no reason given'}"


def _paper_details(summary: Any) -> list[Any]:
    if not isinstance(summary, dict):
        return []
    return [
        summary.get("published") or summary.get("year"),
        summary.get("category") or summary.get("venue"),
    ]


def _heading(profile: ProfileReport) -> str:
    return f"{profile.name} ({profile.id})" if profile.name else profile.id


def _period(report: Report) -> str:
    if report.run_id is not None:
        return f"sync run {report.run_id}"
    if report.since is not None:
        return f"since {report.since:%Y-%m-%d %H:%M} UTC"
    return "everything recorded"


def _lines(report: Report, profile: ProfileReport) -> list[str]:
    """The profile's events in time order, dated unless the report covers one run."""
    events: list[tuple[datetime, str]] = []
    if profile.baseline_papers is not None and profile.baseline_at is not None:
        events.append((profile.baseline_at, f"now tracking {profile.baseline_papers} papers"))
    events += [(change.detected_at, describe_change(change)) for change in profile.changes]
    events += [(problem.fetched_at, describe_problem(problem)) for problem in profile.problems]
    events.sort(key=lambda event: event[0])
    if report.run_id is not None:
        return [text for _, text in events]
    return [f"{moment:%Y-%m-%d}  {text}" for moment, text in events]


def render_markdown(report: Report) -> str:
    out = [f"# tracker report: {_period(report)}", ""]
    if not any(_lines(report, profile) for profile in report.profiles):
        out.append("No changes.")
    for profile in report.profiles:
        lines = _lines(report, profile)
        if not lines:
            continue
        out += [f"## {_markdown_escape(_heading(profile))}", ""]
        out += [f"- {_markdown_escape(line)}" for line in lines]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_terminal(report: Report, console: Console) -> None:
    console.print(f"[bold]tracker report[/bold]: {_period(report)}")
    if not any(_lines(report, profile) for profile in report.profiles):
        console.print("No changes.")
    for profile in report.profiles:
        lines = _lines(report, profile)
        if not lines:
            continue
        console.print(f"\n[bold cyan]{escape(_heading(profile))}[/bold cyan]")
        for line in lines:
            style = (
                "red"
                if line.startswith("sync ")
                else "green"
                if line.startswith("new paper")
                else ""
            )
            console.print(f"  • {escape(line)}", style=style, highlight=False)


def render_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def _markdown_escape(text: str) -> str:
    """Text from pages must not become Markdown or HTML."""
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text
