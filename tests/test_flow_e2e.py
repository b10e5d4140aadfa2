"""The real Prefect sync flow against a real local server, across several simulated days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from records_factory import paper, record
from tracker.demo_page import render_profile_html
from tracker.pageserver import PageServer, Response
from tracker.records import ProfileRecord
from tracker.settings import FetchSettings, Settings
from tracker.store import Profile, Store
from tracker.store.queries import changes

DAY_ONE = datetime(2026, 5, 1, 7, 0, tzinfo=UTC)


def test_sync_flow_over_five_days(
    prefect_api: str, tmp_path: Path, page_server: PageServer, fetch_settings: FetchSettings
) -> None:
    from flows.sync_flow import REPORT_ARTIFACT_KEY, run_sync
    from prefect.client.orchestration import get_client

    settings = Settings(data_dir=tmp_path, db=tmp_path / "e2e.duckdb", fetch=fetch_settings)
    with Store.open(settings.db_path) as store:
        for name in ("ada", "alan"):
            store.add_profile(
                Profile(
                    id=name,
                    url=page_server.url(f"/{name}"),
                    source="profile_page",
                    added_at=DAY_ONE,
                )
            )

    def serve(name: str, snapshot: ProfileRecord | None, status: int = 200) -> None:
        body = render_profile_html(snapshot).encode() if snapshot else b"down"
        page_server.set(f"/{name}", Response(status=status, body=body))

    grown = record(papers=5, citations=136)
    grown = grown.model_copy(update={"papers": [*grown.papers, paper(6)]})
    days = [
        {"ada": record(papers=5, citations=100), "alan": record(papers=3, name="Alan Turing")},
        {"ada": grown, "alan": record(papers=3, name="Alan Turing")},
        {"ada": grown, "alan": None},  # alan's site is down
        {
            "ada": grown.model_copy(update={"papers": []}),
            "alan": record(papers=3, h_index=6, name="Alan Turing"),
        },
    ]
    summaries = []
    for number, pages in enumerate(days):
        for name, snapshot in pages.items():
            serve(name, snapshot, status=200 if snapshot else 503)
        summaries.append(run_sync(settings, as_of=DAY_ONE + timedelta(days=number)))

    assert [(s.baseline, s.changed, s.unchanged, s.failed, s.changes) for s in summaries] == [
        (2, 0, 0, 0, 0),
        (0, 1, 1, 0, 2),
        (0, 0, 1, 1, 0),
        (0, 1, 0, 1, 1),
    ]
    assert (
        summaries[2].failures["alan"].startswith("server answered 503")
        or "503" in summaries[2].failures["alan"]
    )
    assert "layout changed" in summaries[3].failures["ada"]

    with Store.open(settings.db_path, read_only=True) as store:
        rows = [
            (c.profile, c.detected_at, c.kind, c.metric, c.old, c.new, c.paper)
            for c in changes(store)
        ]
        statuses = store.query("SELECT status FROM runs ORDER BY id")
    day = lambda n: DAY_ONE + timedelta(days=n)  # noqa: E731
    assert rows == [
        ("ada", day(1), "metric_changed", "citations", 100, 136, None),
        (
            "ada",
            day(1),
            "paper_added",
            None,
            None,
            rows[1][5],
            {"key": "title:a study of topic 6", "title": "A Study of Topic 6"},
        ),
        ("alan", day(3), "metric_changed", "h_index", 5, 6, None),
    ]
    assert statuses == [("ok",), ("ok",), ("partial",), ("partial",)]

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts()
        reports = [a for a in artifacts if a.key == REPORT_ARTIFACT_KEY]
        assert any("citations 100 → 136 (+36)" in str(a.data) for a in reports)
        flow_runs = client.read_flow_runs()
        assert len(flow_runs) >= len(days)
        assert all(run.state and run.state.is_completed() for run in flow_runs)


def test_a_task_that_keeps_crashing_is_retried_then_recorded(
    prefect_api: str,
    tmp_path: Path,
    page_server: PageServer,
    fetch_settings: FetchSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import flows.sync_flow as sync_module

    settings = Settings(data_dir=tmp_path, db=tmp_path / "crash.duckdb", fetch=fetch_settings)
    with Store.open(settings.db_path) as store:
        store.add_profile(
            Profile(
                id="odd", url=page_server.url("/odd"), source="no-such-source", added_at=DAY_ONE
            )
        )
    page_server.set("/odd", Response(body=render_profile_html(record()).encode()))
    monkeypatch.setattr(
        sync_module, "sync_profile", sync_module.sync_profile.with_options(retry_delay_seconds=0)
    )
    summary = sync_module.run_sync(settings, as_of=DAY_ONE)
    assert summary.failed == 1
    assert summary.failures["odd"].startswith("internal error: ")
    assert "unknown source 'no-such-source'" in summary.failures["odd"]
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        [task_run] = [run for run in client.read_task_runs() if run.name == "sync-odd"]
    assert task_run.run_count == 3  # the first try and two retries


def test_report_flow_publishes_the_report(
    prefect_api: str, tmp_path: Path, page_server: PageServer, fetch_settings: FetchSettings
) -> None:
    from flows.report_flow import report_flow
    from flows.sync_flow import run_sync

    settings = Settings(data_dir=tmp_path, db=tmp_path / "r.duckdb", fetch=fetch_settings)
    with Store.open(settings.db_path) as store:
        store.add_profile(
            Profile(id="ada", url=page_server.url("/ada"), source="profile_page", added_at=DAY_ONE)
        )
    for day, citations in enumerate((100, 150)):
        page = render_profile_html(record(citations=citations)).encode()
        page_server.set("/ada", Response(body=page))
        run_sync(settings, as_of=DAY_ONE + timedelta(days=day))
    output = tmp_path / "report.md"
    markdown = report_flow(db=str(settings.db_path), output=str(output))
    assert "citations 100 → 150 (+50)" in markdown
    assert output.read_text() == markdown
