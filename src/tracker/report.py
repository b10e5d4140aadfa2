"""Change reports: gathered from the store once, rendered for a terminal, Markdown or JSON."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from rich.markup import escape
from rich.table import Table

from tracker.metrics import MetricValue, format_delta, format_number, metric_delta, metric_label
from tracker.store import Profile, Store
from tracker.store.database import to_db_time
from tracker.store.queries import (
    ChangeRow,
    FetchRow,
    ProfileSummary,
    changes,
    problem_fetches,
    profile_summaries,
)

if TYPE_CHECKING:
    from rich.console import Console


class ProfileReport(BaseModel):
    id: str
    name: str | None
    url: str
    baseline_papers: int | None = None
    baseline_at: datetime | None = None
    problems: list[FetchRow] = []
    changes: list[ChangeRow] = []


class PersonMetrics(BaseModel):
    """One person followed on several sources: their latest metrics side by side."""

    person: str
    name: str | None
    sources: dict[str, str]  # profile id -> source kind
    metrics: dict[str, dict[str, MetricValue]]  # metric -> profile id -> value


class Report(BaseModel):
    generated_at: datetime
    since: datetime | None = None
    run_id: int | None = None
    profiles: list[ProfileReport]
    people: list[PersonMetrics] = []

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
    fetches = problem_fetches(store, profile_ids=ids, since=since, run_id=run_id)
    baseline_papers = _papers_first_seen(store, [f for f in fetches if f.status == "baseline"])
    for fetch in fetches:
        report = by_profile[fetch.profile]
        if fetch.status == "baseline":
            moment = to_db_time(fetch.fetched_at)
            report.baseline_papers = baseline_papers.get((fetch.profile, moment), 0)
            report.baseline_at = fetch.fetched_at
        else:
            report.problems.append(fetch)
    shared = _sharing_a_person(profiles)
    return Report(
        generated_at=generated_at,
        since=since,
        run_id=run_id,
        profiles=list(by_profile.values()),
        people=people_side_by_side(profile_summaries(store, shared)) if shared else [],
    )


def _sharing_a_person(profiles: list[Profile]) -> list[str]:
    """The ids of the profiles whose person has another profile among them."""
    counts = Counter(profile.person for profile in profiles if profile.person)
    return [profile.id for profile in profiles if profile.person and counts[profile.person] > 1]


def people_side_by_side(summaries: list[ProfileSummary]) -> list[PersonMetrics]:
    """Group profiles that `tracker add --person` tied to one person, if they have several."""
    groups: dict[str, list[ProfileSummary]] = {}
    for summary in summaries:
        if summary.person:
            groups.setdefault(summary.person, []).append(summary)
    people = []
    for person, members in sorted(groups.items()):
        if len(members) < 2:
            continue
        metrics: dict[str, dict[str, MetricValue]] = {}
        for member in members:
            for metric, value in member.metrics.items():
                metrics.setdefault(metric, {})[member.id] = value
        people.append(
            PersonMetrics(
                person=person,
                name=next((m.name for m in members if m.name), None),
                sources={member.id: member.source for member in members},
                metrics=metrics,
            )
        )
    return people


def _papers_first_seen(store: Store, baselines: list[FetchRow]) -> dict[tuple[str, datetime], int]:
    """How many papers each baseline sync found: its profile's papers first seen then,
    by (profile id, stored time), in one query."""
    if not baselines:
        return {}
    rows = store.query(
        "SELECT profile_id, first_seen, count(*) FROM papers "
        "WHERE list_contains(?, profile_id) AND list_contains(?, first_seen) GROUP BY ALL",
        [
            sorted({fetch.profile for fetch in baselines}),
            sorted({to_db_time(fetch.fetched_at) for fetch in baselines}),
        ],
    )
    return {(profile_id, moment): int(count) for profile_id, moment, count in rows}


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
    if change.fields == ["citations"]:
        return f"“{title}”: {_citations_change(change)}"
    fields = [_citations_change(change) if f == "citations" else f for f in change.fields]
    return f"paper changed: “{title}” ({', '.join(fields)})"


def _citations_change(change: ChangeRow) -> str:
    old, new = (
        value.get("citations") if isinstance(value, dict) else None
        for value in (change.old, change.new)
    )
    delta = format_delta(metric_delta(old, new))
    return f"{format_number(old)} → {format_number(new)} citations" + (
        f" ({delta})" if delta else ""
    )


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
    out += _people_markdown(report.people)
    return "\n".join(out).rstrip() + "\n"


def _people_markdown(people: list[PersonMetrics]) -> list[str]:
    out = []
    for person in people:
        ids = list(person.sources)
        out += [f"## {_markdown_escape(person.name or person.person)}: side by side", ""]
        out.append("| metric | " + " | ".join(f"{i} ({person.sources[i]})" for i in ids) + " |")
        out.append("|---|" + "---:|" * len(ids))
        for metric, values in person.metrics.items():
            cells = " | ".join(format_number(values.get(i)) for i in ids)
            out.append(f"| {metric_label(metric)} | {cells} |")
        out.append("")
    return out


def people_table(person: PersonMetrics) -> Table:
    title = escape(f"{person.name or person.person}: side by side")
    table = Table(title=title, title_justify="left")
    ids = list(person.sources)
    table.add_column("metric")
    for profile_id in ids:
        table.add_column(escape(f"{profile_id} ({person.sources[profile_id]})"), justify="right")
    for metric, values in person.metrics.items():
        table.add_row(metric_label(metric), *(format_number(values.get(i)) for i in ids))
    return table


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
            style = "red" if "sync failed" in line or "sync blocked" in line else ""
            style = "green" if "new paper:" in line else style
            console.print(f"  • {escape(line)}", style=style, highlight=False)
    for person in report.people:
        console.print()
        console.print(people_table(person))


def render_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def _markdown_escape(text: str) -> str:
    """Text from pages must not become Markdown or HTML."""
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text
