"""`tracker demo`: the real sync flow against a local server whose page evolves day by day."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib.resources import files

from rich.console import Console

from tracker.cli.history_views import load_history, print_history
from tracker.demo_page import render_profile_html
from tracker.errors import UserInputError
from tracker.pageserver import PageServer, Response
from tracker.records import Paper, ProfileRecord
from tracker.report import build_report, render_terminal
from tracker.settings import Settings
from tracker.sources.profile_page import SOURCE
from tracker.store import Profile, Store

PROFILE_ID = "hankook-lee"
PAGE_PATH = "/researchers/hankook-lee"
NEW_PAPER = Paper(
    key="title:demo",
    title="Tracking Researchers Over Time with Typed Snapshots",
    authors=["Jaebin Lee", "Hankook Lee"],
    published=None,
    category="LG",
    has_code=True,
    abstract="We show that a daily typed snapshot of a profile page beats a text diff.",
)


@dataclass(frozen=True)
class DemoDay:
    """What the local server answers on one simulated day."""

    story: str
    page: Callable[[ProfileRecord, date], ProfileRecord] | None = None
    status: int = 200
    broken_layout: bool = False


def _bump(citations: int = 0, h_index: int = 0) -> Callable[[ProfileRecord, date], ProfileRecord]:
    def change(record: ProfileRecord, _: date) -> ProfileRecord:
        metrics = dict(record.metrics)
        metrics["citations"] = int(metrics["citations"]) + citations
        metrics["h_index"] = int(metrics["h_index"]) + h_index
        return record.model_copy(update={"metrics": metrics})

    return change


def _new_paper(record: ProfileRecord, today: date) -> ProfileRecord:
    paper = NEW_PAPER.model_copy(update={"published": today - timedelta(days=1)})
    metrics = dict(record.metrics)
    metrics["paper_count"] = int(metrics["paper_count"]) + 1
    metrics["citations"] = int(metrics["citations"]) + 5
    return record.model_copy(update={"papers": [paper, *record.papers], "metrics": metrics})


def _same(record: ProfileRecord, _: date) -> ProfileRecord:
    return record


STORY: tuple[DemoDay, ...] = (
    DemoDay("first sync: the baseline", _same),
    DemoDay("citations rise by 36", _bump(citations=36)),
    DemoDay("nothing changed (the server answers 304 Not Modified)", _same),
    DemoDay("the site is down: 503 on every try", status=503),
    DemoDay("a new paper appears", _new_paper),
    DemoDay("the site was redesigned: the page has no paper list", broken_layout=True),
    DemoDay("the h-index moves up and citations rise", _bump(citations=18, h_index=1)),
    DemoDay("nothing changed", _same),
)


def run_demo(settings: Settings, *, days: int, console: Console) -> None:
    """Serve the evolving page, sync it once per simulated day, then show history and changes."""
    from tracker.cli.running import sync_with_prefect

    settings = _demo_settings(settings)
    base = SOURCE.parse(_demo_text(), url=None, fetched_at=datetime.now(UTC))
    first_day = datetime.now(UTC).date() - timedelta(days=days - 1)
    with PageServer() as server:
        url = server.url(PAGE_PATH)
        with Store.open(settings.db_path) as store:
            store.add_profile(
                Profile(id=PROFILE_ID, url=url, source=SOURCE.kind, added_at=_at(first_day))
            )
        console.print(f"[bold]tracker demo[/bold]: {settings.db_path}, page served at {url}")
        record = base
        for number in range(days):
            day = STORY[number] if number < len(STORY) else DemoDay("nothing changed", _same)
            today = first_day + timedelta(days=number)
            record = _serve(server, day, record, today)
            summary = sync_with_prefect(settings, [PROFILE_ID], as_of=_at(today))
            outcome = "failed" if summary.failed else _count(summary.changes, "change")
            reason = next(iter(summary.failures.values()), "")
            console.print(
                f"day {number + 1} ({today}): {day.story} → {outcome}"
                + (f" ({reason})" if reason else ""),
                markup=False,
            )
    with Store.open(settings.db_path, read_only=True) as store:
        console.print()
        print_history(load_history(store, PROFILE_ID), console)
        console.print()
        render_terminal(build_report(store, generated_at=datetime.now(UTC)), console)
    console.print(
        f"\nExplore the demo data: tracker --db {settings.db_path} list | history {PROFILE_ID} "
        f"| papers {PROFILE_ID} | changes | report --format html --output report.html\n"
        f"The local Prefect server keeps running at {os.environ.get('PREFECT_API_URL')} for "
        "later commands; `tracker server stop` stops it.",
        markup=False,
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _serve(server: PageServer, day: DemoDay, record: ProfileRecord, today: date) -> ProfileRecord:
    if day.page is None and not day.broken_layout:
        server.set(
            PAGE_PATH,
            Response(status=day.status, body=b"Service Unavailable", content_type="text/plain"),
        )
        return record
    if day.broken_layout:
        html = render_profile_html(record, include_papers=False)
    else:
        record = day.page(record, today) if day.page else record
        html = render_profile_html(record)
    body = html.encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    server.set(PAGE_PATH, Response(body=body, etag=etag))
    return record


def _demo_settings(settings: Settings) -> Settings:
    """Quick retries and no politeness delay: the only host is our own loopback server."""
    fetch = settings.fetch.model_copy(
        update={"retries": 1, "backoff_base": 0.2, "politeness_delay": 0.0}
    )
    if settings.db_path.exists():
        if settings.db_path.name != "demo.duckdb":
            raise UserInputError(
                f"{settings.db_path} exists; the demo writes to a new database",
                hint="remove it or choose another --db",
            )
        settings.db_path.unlink()
        settings.db_path.with_name(settings.db_path.name + ".wal").unlink(missing_ok=True)
    return settings.model_copy(update={"fetch": fetch})


def _demo_text() -> str:
    return files("tracker.demo_data").joinpath("hankook-lee.txt").read_text(encoding="utf-8")


def _at(day: date) -> datetime:
    return datetime.combine(day, time(7, 0), tzinfo=UTC)
