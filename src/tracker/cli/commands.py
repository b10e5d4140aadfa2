"""Every `tracker` command. Prefect is imported only inside the commands that run flows."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from pydantic import TypeAdapter

from tracker.cli import history_views
from tracker.cli.app import app, err, out, state
from tracker.cli.options import (
    ChangesFormat,
    HistoryOutput,
    ParseFormat,
    ReportOutput,
    TableOrJson,
    parse_moment,
)
from tracker.cli.tables import changes_table, papers_table, profiles_table
from tracker.errors import UserInputError
from tracker.history import Every
from tracker.report import build_report, render_json, render_markdown, render_terminal
from tracker.schedule import DEFAULT_CRON, ScheduleSpec
from tracker.store import Profile, Store, queries

Ids = Annotated[list[str] | None, typer.Argument(help="profile ids; default: every active profile")]
SharedFolder = Annotated[
    Path | None,
    typer.Option(
        help="a folder every machine mounts: workers export their runs there, "
        "`tracker merge` loads them"
    ),
]
Since = Annotated[str | None, typer.Option(help="YYYY-MM-DD, an ISO date-time, or 7d / 2w ago")]

SLUG = re.compile(r"[^a-z0-9]+")


def _now() -> datetime:
    return datetime.now(UTC)


def _read_store(ctx: typer.Context) -> Store:
    return Store.open(state(ctx).db_path(), read_only=True)


def _print_json(payload: str) -> None:
    out.print(payload, markup=False, highlight=False)


# profiles


@app.command()
def add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="the profile page URL")],
    name: Annotated[str | None, typer.Option(help="a display name until the first sync")] = None,
    id: Annotated[
        str | None, typer.Option("--id", help="the profile id [default: from the URL]")
    ] = None,
    person: Annotated[
        str | None, typer.Option(help="group sources of one person under a slug")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="the page kind [default: from the URL]")
    ] = None,
) -> None:
    """Start tracking a profile page; prints the new profile's id."""
    from tracker.fetch import check_url
    from tracker.sources import get_source, source_for_url

    check_url(url)
    kind = get_source(source) if source else source_for_url(url)
    with Store.open(state(ctx).db_path()) as store:
        profile_id = _valid_id(id) if id else _unique_id(store, _id_from(url, name))
        store.add_profile(
            Profile(
                id=profile_id, url=url, source=kind.kind, name=name, person=person, added_at=_now()
            )
        )
    out.print(profile_id)


@app.command("list")
def list_profiles(
    ctx: typer.Context,
    format: Annotated[TableOrJson, typer.Option("--format")] = TableOrJson.table,
) -> None:
    """Every tracked profile with its latest metrics and how its last sync went."""
    if not state(ctx).db_path().exists():
        summaries: list[queries.ProfileSummary] = []
    else:
        with _read_store(ctx) as store:
            summaries = queries.profile_summaries(store)
    if format is TableOrJson.json:
        _print_json(
            TypeAdapter(list[queries.ProfileSummary]).dump_json(summaries, indent=2).decode()
        )
    elif not summaries:
        out.print("No profiles tracked yet: add one with `tracker add URL`.")
    else:
        out.print(profiles_table(summaries))


@app.command()
def remove(
    ctx: typer.Context,
    profile_id: Annotated[str, typer.Argument(metavar="ID")],
    purge: Annotated[bool, typer.Option(help="also delete everything recorded about it")] = False,
) -> None:
    """Stop tracking a profile (its history is kept unless --purge)."""
    with Store.open(state(ctx).db_path()) as store:
        if purge:
            store.purge_profile(profile_id)
        else:
            store.deactivate_profile(profile_id)
    out.print(f"{'purged' if purge else 'stopped tracking'} {profile_id}")


# running


@app.command()
def sync(
    ctx: typer.Context,
    profile_ids: Ids = None,
    shard: Annotated[
        str | None, typer.Option(help="only shard I/N of the profiles (split by a stable hash)")
    ] = None,
    shared: SharedFolder = None,
) -> int:
    """Fetch every active profile (or the ones named) and record what changed."""
    from tracker.cli.running import run_sync_and_report

    return run_sync_and_report(state(ctx).settings(), profile_ids, shard, shared)


@app.command()
def reparse(ctx: typer.Context, profile_ids: Ids = None) -> None:
    """Parse the archived pages again with the current parser and rebuild snapshots and changes."""
    from tracker.archive import Archive
    from tracker.reparse import reparse_profile

    settings = state(ctx).settings()
    with Store.open(settings.db_path) as store:
        ids = profile_ids or [profile.id for profile in store.profiles()]
        archive = Archive(settings.archive_dir)
        for profile_id in ids:
            result = reparse_profile(store, archive, profile_id)
            out.print(
                f"{profile_id}: re-parsed {result.pages} pages, {result.changes} changes, "
                f"{result.failed} failed"
            )


@app.command()
def parse(
    ctx: typer.Context,
    file_or_url: Annotated[str, typer.Argument(metavar="FILE_OR_URL")],
    source: Annotated[
        str | None, typer.Option(help="the page kind [default: from the content]")
    ] = None,
    fetched_at: Annotated[
        str | None, typer.Option(help="when the page was fetched [default: now]")
    ] = None,
    format: Annotated[ParseFormat, typer.Option("--format")] = ParseFormat.json,
) -> None:
    """Parse a saved page or a URL and print the record; nothing is stored."""
    from tracker.cli.running import parse_file_or_url

    moment = parse_moment(fetched_at, option="--fetched-at") or _now()
    record = parse_file_or_url(state(ctx).settings(), file_or_url, source, moment)
    if format is ParseFormat.json:
        _print_json(record.model_dump_json(indent=2))
    else:
        out.print(
            f"{record.name} ({record.affiliation or 'no affiliation'}), {record.source}",
            markup=False,
        )
        out.print(", ".join(f"{k} {v}" for k, v in record.metrics.items()), markup=False)
        for paper in record.papers:
            out.print(f"  {paper.published or paper.year or '':<10}  {paper.title}", markup=False)
        for warning in record.warnings:
            err.print(f"warning: {warning}", markup=False)


@app.command()
def demo(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=3, max=60, help="simulated days")] = 8,
) -> None:
    """Run the whole pipeline offline against a local server that simulates a changing page."""
    from tracker.demo import run_demo

    settings = state(ctx).settings()
    if state(ctx).db is None:
        settings = settings.model_copy(update={"db": settings.data_dir / "demo.duckdb"})
    run_demo(settings, days=days, console=out)


# reading


@app.command()
def history(
    ctx: typer.Context,
    profile_id: Annotated[str, typer.Argument(metavar="ID")],
    metric: Annotated[str | None, typer.Option(help="only this metric, e.g. citations")] = None,
    since: Since = None,
    until: Since = None,
    every: Annotated[
        Every | None,
        typer.Option(help="the last value of each day, week or month instead of each change"),
    ] = None,
    format: Annotated[HistoryOutput, typer.Option("--format")] = HistoryOutput.table,
    output: Annotated[
        Path | None, typer.Option(help="write csv, json or parquet here (parquet needs it)")
    ] = None,
) -> None:
    """Each metric over time: a sparkline and the change over 7, 30 and 365 days per metric,
    then one row per observed change (or per --every period)."""
    history_views.show_history(
        state(ctx).db_path,
        profile_id,
        metric=metric,
        since=since,
        until=until,
        every=every,
        format=format,
        output=output,
        console=out,
    )


@app.command()
def papers(
    ctx: typer.Context,
    profile_id: Annotated[str, typer.Argument(metavar="ID")],
    new_since: Annotated[str | None, typer.Option(help="only papers first seen since then")] = None,
    format: Annotated[TableOrJson, typer.Option("--format")] = TableOrJson.table,
) -> None:
    """The profile's papers, newest first, with when each was first seen and, where the
    source counts them, citations and their change over the last 30 days."""
    with _read_store(ctx) as store:
        rows = queries.papers(
            store, profile_id, new_since=parse_moment(new_since, option="--new-since")
        )
        gains = history_views.recent_citation_gains(store, profile_id)
    if format is TableOrJson.json:
        _print_json(json.dumps(history_views.papers_payload(rows, gains), indent=2))
    else:
        out.print(papers_table(rows, gains, history_views.RECENT_DAYS))


@app.command()
def changes(
    ctx: typer.Context,
    profile_id: Annotated[str | None, typer.Argument(metavar="[ID]")] = None,
    since: Since = None,
    format: Annotated[ChangesFormat, typer.Option("--format")] = ChangesFormat.table,
) -> None:
    """What changed, oldest first (everything recorded unless --since)."""
    moment = parse_moment(since, option="--since")
    with _read_store(ctx) as store:
        if profile_id:
            store.profile(profile_id)
        ids = [profile_id] if profile_id else None
        if format is ChangesFormat.md:
            report = build_report(store, generated_at=_now(), since=moment, profile_ids=ids)
            out.print(render_markdown(report), end="", markup=False)
            return
        rows = queries.changes(store, profile_ids=ids, since=moment)
    if format is ChangesFormat.json:
        payload = [
            row.model_dump(mode="json", exclude={"run_id", "fields", "delta"})
            | {"delta": row.delta, "fields": row.fields}
            for row in rows
        ]
        _print_json(json.dumps(payload, indent=2))
    elif not rows:
        out.print("No changes recorded.")
    else:
        out.print(changes_table(rows))


@app.command()
def report(
    ctx: typer.Context,
    since: Since = None,
    profile_ids: Annotated[
        list[str] | None, typer.Option("--profile", help="only these profiles")
    ] = None,
    format: Annotated[
        ReportOutput | None,
        typer.Option(
            "--format",
            help="md, json or html (one self-contained file with charts) "
            "[default: a terminal view, or md with --output]",
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option(help="write the report to this file")] = None,
) -> None:
    """The change report of a period (everything recorded unless --since)."""
    moment = parse_moment(since, option="--since")
    if format is ReportOutput.html:
        from tracker.html_report import gather_html_report, render_html

        with _read_store(ctx) as store:
            for profile_id in profile_ids or []:
                store.profile(profile_id)
            gathered = gather_html_report(
                store, generated_at=_now(), since=moment, profile_ids=profile_ids
            )
        history_views.emit(render_html(gathered), output, out)
        return
    with _read_store(ctx) as store:
        for profile_id in profile_ids or []:
            store.profile(profile_id)
        built = build_report(store, generated_at=_now(), since=moment, profile_ids=profile_ids)
    if format is None and output is None:
        render_terminal(built, out)
        return
    text = render_json(built) if format is ReportOutput.json else render_markdown(built)
    history_views.emit(text, output, out)


@app.command()
def schedule(
    ctx: typer.Context,
    cron: Annotated[str, typer.Option(help="when to sync, as a cron expression")] = DEFAULT_CRON,
    timezone: Annotated[
        str | None, typer.Option(help="IANA time zone of the cron [default: this machine's]")
    ] = None,
    show: Annotated[
        bool, typer.Option("--show", help="print the schedule and its next runs, then exit")
    ] = False,
    pool: Annotated[
        str | None,
        typer.Option(help="register deployments in this work pool for workers, don't serve"),
    ] = None,
    shards: Annotated[int, typer.Option(min=1, max=1000, help="with --pool: split into N")] = 1,
    shared: SharedFolder = None,
) -> None:
    """Serve the daily sync as a Prefect deployment until stopped (Ctrl-C pauses it)."""
    from tracker.cli.scheduling import register_for_workers, serve_schedule, show_schedule

    spec = ScheduleSpec.checked(cron, timezone)
    settings = state(ctx).settings()
    if show:
        show_schedule(spec, settings)
    elif pool:
        register_for_workers(spec, settings, pool, shards, shared)
    else:
        serve_schedule(spec, settings)


@app.command()
def server(
    ctx: typer.Context,
    action: Annotated[str, typer.Argument(help="status or stop")] = "status",
) -> None:
    """The local Prefect server tracker starts for its flows: status or stop."""
    from tracker.prefect_server import local_server_url, stop_local_server

    data_dir = state(ctx).settings().data_dir
    if action == "status":
        url = local_server_url(data_dir)
        out.print(f"running at {url}" if url else "not running", markup=False)
    elif action == "stop":
        out.print("stopped" if stop_local_server(data_dir) else "not running")
    else:
        raise UserInputError(f"unknown action {action!r}", hint="use status or stop")


def _id_from(url: str, name: str | None) -> str:
    """A readable id: the name, else the URL's last path segment, else its host."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    base = name or (segments[-1] if segments else parts.hostname or "profile")
    return SLUG.sub("-", base.lower()).strip("-")[:40] or "profile"


def _unique_id(store: Store, base: str) -> str:
    taken = {profile.id for profile in store.profiles(active_only=False)}
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _valid_id(profile_id: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", profile_id):
        raise UserInputError(
            f"bad id {profile_id!r}", hint="use letters, digits, '.', '_' or '-', at most 64"
        )
    return profile_id


from tracker.cli.alerts import alerts_app  # noqa: E402

app.add_typer(alerts_app, name="alerts")

from tracker.cli.check import check  # noqa: E402

app.command("check")(check)


@app.command()
def merge(
    ctx: typer.Context,
    shared: Annotated[Path, typer.Option(help="the folder the workers export their runs to")],
) -> None:
    """On the hub: merge the runs workers exported, send their alerts, publish the profiles."""
    from tracker.shared.merge import merge_and_alert

    report = merge_and_alert(state(ctx).db_path(), shared, _now())
    out.print(report.summary(shared), markup=False)
