"""The commands that fetch or run flows; imported only when one of them runs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.table import Table

from tracker.cli.app import err, out
from tracker.cli.progress import sync_progress
from tracker.errors import UserInputError
from tracker.fetch import Fetcher, decode_body
from tracker.pages import decoded, fetch_pages
from tracker.prefect_server import use_prefect_server
from tracker.records import ProfileRecord
from tracker.report import build_report, render_terminal
from tracker.session import RunSummary
from tracker.settings import Settings
from tracker.shards import Shard
from tracker.shared import adopt_registry
from tracker.sources import get_source, source_for_content, source_for_url
from tracker.store import Store

EXIT_SOME_FAILED = 1


def run_sync_and_report(
    settings: Settings,
    profile_ids: list[str] | None,
    shard: str | None = None,
    shared: Path | None = None,
) -> int:
    """Run the sync flow, print its summary and report; 1 when a profile failed."""
    summary = sync_with_prefect(settings, profile_ids, shard=shard, shared=shared)
    with Store.open(settings.db_path, read_only=True) as store:
        report = build_report(
            store, generated_at=datetime.now().astimezone(), run_id=summary.run_id
        )
    out.print(summary_table(summary))
    render_terminal(report, out)
    for profile_id, reason in summary.failures.items():
        err.print(f"tracker: {profile_id} failed: {reason}", markup=False)
    return EXIT_SOME_FAILED if summary.failed else 0


def sync_with_prefect(
    settings: Settings,
    profile_ids: list[str] | None = None,
    *,
    shard: str | None = None,
    as_of: datetime | None = None,
    shared: Path | None = None,
) -> RunSummary:
    """Check the database is usable, then run the sync flow against the Prefect API."""
    if shard:
        Shard.parse(shard)  # a bad value is a usage error before anything starts
    with Store.open(settings.db_path) as store:  # fail fast, before starting Prefect
        if shared is not None:
            adopt_registry(store, shared)  # a worker's profiles are the hub's
        for profile_id in profile_ids or []:
            store.profile(profile_id)
        chosen = store.profiles(ids=profile_ids)
        if not chosen:
            raise UserInputError("no profiles to sync", hint="add one with `tracker add URL`")
    use_prefect_server(settings.data_dir)
    from flows.sync_flow import run_sync

    total = len([p for p in chosen if not shard or Shard.parse(shard).holds(p.id)])
    with sync_progress(settings.db_path, total, err):
        return run_sync(settings, profile_ids, shard=shard, as_of=as_of, shared=shared)


def summary_table(summary: RunSummary) -> Table:
    table = Table(title=f"Sync run {summary.run_id}: {summary.status}", title_justify="left")
    for column in ("profiles", "baseline", "changed", "unchanged", "failed", "changes"):
        table.add_column(column, justify="right")
    table.add_row(
        *(
            str(getattr(summary, column))
            for column in ("profiles", "baseline", "changed", "unchanged", "failed", "changes")
        )
    )
    return table


def parse_file_or_url(
    settings: Settings, file_or_url: str, source_kind: str | None, fetched_at: datetime
) -> ProfileRecord:
    """Read a saved page or fetch a URL (every page of it), then parse it."""
    if file_or_url.startswith(("http://", "https://")):
        source = get_source(source_kind) if source_kind else source_for_url(file_or_url)
        with Fetcher(settings.fetch) as fetcher:
            pages = fetch_pages(fetcher, source, file_or_url, credentials=settings.api)
        return source.parse_pages(decoded(pages), fetched_at=fetched_at)
    path = Path(file_or_url)
    try:
        body = path.read_bytes()
    except OSError as error:
        raise UserInputError(f"cannot read {path}: {error.strerror}") from None
    text = decode_body(body, None)
    source = get_source(source_kind) if source_kind else source_for_content(text)
    return source.parse(text, url=None, fetched_at=fetched_at)
