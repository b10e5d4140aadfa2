"""The daily schedule: next run times, and a real deployment served and triggered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from records_factory import record
from tracker.cli import main
from tracker.demo_page import render_profile_html
from tracker.errors import UserInputError
from tracker.pageserver import PageServer, Response
from tracker.schedule import ScheduleSpec
from tracker.session import superseded
from tracker.settings import Settings
from tracker.store import Profile, RunStatus, Store


@pytest.mark.parametrize(
    ("cron", "zone", "after", "expected"),
    [
        (
            "0 7 * * *",
            "Asia/Seoul",
            datetime(2026, 11, 27, 23, 0, tzinfo=UTC),
            [
                "2026-11-29T07:00+09:00",
                "2026-11-30T07:00+09:00",
                "2026-12-01T07:00+09:00",
                "2026-12-02T07:00+09:00",
                "2026-12-03T07:00+09:00",
            ],
        ),
        (
            "30 6 * * 1-5",
            "Europe/Berlin",
            datetime(2026, 3, 26, 12, 0, tzinfo=UTC),
            [
                "2026-03-27T06:30+01:00",
                "2026-03-30T06:30+02:00",
                "2026-03-31T06:30+02:00",
                "2026-04-01T06:30+02:00",
                "2026-04-02T06:30+02:00",
            ],
        ),
    ],
    ids=["seoul-daily", "berlin-weekdays-across-dst"],
)
def test_next_runs_in_the_schedules_time_zone(
    cron: str, zone: str, after: datetime, expected: list[str]
) -> None:
    runs = ScheduleSpec.checked(cron, zone).next_runs(after)
    assert [run.isoformat(timespec="minutes") for run in runs] == expected


@pytest.mark.parametrize(("cron", "zone"), [("0 25 * * *", "UTC"), ("0 7 * * *", "Mars/Base")])
def test_bad_schedules_are_user_errors(cron: str, zone: str) -> None:
    with pytest.raises(UserInputError):
        ScheduleSpec.checked(cron, zone)


def test_show_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("TRACKER_DATA_DIR", str(tmp_path))
    assert main(["schedule", "--show", "--cron", "15 6 * * *", "--timezone", "Asia/Seoul"]) == 0
    out = capsys.readouterr().out
    assert "15 6 * * *  (Asia/Seoul)" in out
    assert "no Prefect server running" in out
    assert out.count("06:15 KST (+0900)") == 5
    assert not (tmp_path / "prefect").exists()


def test_a_late_run_covered_by_a_later_run_is_skipped(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, db=tmp_path / "s.duckdb")
    day = datetime(2026, 5, 1, 7, 0, tzinfo=UTC)
    assert not superseded(settings, day)  # no database yet
    with Store.open(settings.db_path) as store:
        run = store.start_run(datetime(2026, 5, 3, 9, 0, tzinfo=UTC))  # the catch-up run
        store.finish_run(run, datetime(2026, 5, 3, 9, 1, tzinfo=UTC), RunStatus.OK)
    assert superseded(settings, day)  # the run missed on May 1 ...
    assert superseded(settings, day.replace(day=2))  # ... and May 2 do nothing
    assert not superseded(settings, day.replace(day=4))  # May 4 runs as usual


def test_the_served_deployment_has_its_schedule_and_syncs_when_triggered(
    prefect_api: str, tmp_path: Path, page_server: PageServer
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    db = tmp_path / "served.duckdb"
    with Store.open(db) as store:
        store.add_profile(
            Profile(
                id="ada",
                url=page_server.url("/ada"),
                source="profile_page",
                added_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
    page_server.set("/ada", Response(body=render_profile_html(record(papers=4)).encode()))
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "TRACKER_DATA_DIR": str(tmp_path),
        "TRACKER_FETCH__POLITENESS_DELAY": "0",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tracker",
            "--db",
            str(db),
            "schedule",
            "--cron",
            "0 6 * * *",
            "--timezone",
            "Asia/Seoul",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().startswith("serving tracker-sync/daily-sync: 0 6 * * *")
        with get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name("tracker-sync/daily-sync")
        [schedule] = deployment.schedules
        assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 6 * * *", "Asia/Seoul")
        assert deployment.parameters == {"db": str(db.resolve()), "catch_up_once": True}

        flow_run = run_deployment("tracker-sync/daily-sync", timeout=240)
        assert flow_run.state is not None and flow_run.state.is_completed()
        with Store.open(db, read_only=True) as store:
            assert store.query("SELECT status FROM fetches") == [("baseline",)]
            assert store.query("SELECT count(*) FROM papers") == [(4,)]
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=120)
    assert server.returncode == 0
    assert "the schedule is paused" in output
    assert "Traceback" not in output
    with get_client(sync_client=True) as client:
        assert client.read_deployment_by_name("tracker-sync/daily-sync").paused
