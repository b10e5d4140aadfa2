"""Kill the sync process at random points, many times: the database always survives.

A child process runs one sync run over many profiles through the library (`sync_driver`:
the flow's code path without Prefect, whose import would cost seconds per kill) and reports
each step; the test SIGKILLs it after a random number of steps, so kills land at random
points of fetches, archive writes and transactions on four threads. The children are forked
from a forkserver that has tracker imported already. After each kill the database must open
and hold every invariant, and the next sync must complete and close the killed run. One more
kill hits a real `tracker sync` under Prefect.
"""

from __future__ import annotations

import gzip
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from multiprocessing.context import ForkServerContext
from pathlib import Path

import pytest

import sync_driver
from alert_receivers import WebhookReceiver
from records_factory import FETCHED_AT, record
from sync_driver import sync_all, sync_in_child
from tracker.alerts.channels import add_channel
from tracker.alerts.events import AlertTopic
from tracker.archive import Archive
from tracker.cli import main
from tracker.demo_page import render_profile_html
from tracker.integrity import check_invariants
from tracker.pageserver import PageServer, Response
from tracker.settings import FetchSettings, Settings
from tracker.store import Profile, Store

KILLS = 20
PROFILES = 6
STEPS = 1 + PROFILES + 2  # "run N started", "synced ID" for each profile, "finished", "delivered"
FETCH = FetchSettings(connect_timeout=2, read_timeout=2, retries=0, politeness_delay=0)


@pytest.fixture(scope="module")
def forkserver() -> ForkServerContext:
    return sync_driver.forkserver()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def settings(tmp_path: Path, page_server: PageServer, webhook: WebhookReceiver) -> Settings:
    """Many profiles on the page server, and a channel for their new papers."""
    settings = Settings(data_dir=tmp_path, db=tmp_path / "kill.duckdb", fetch=FETCH)
    with Store.open(settings.db_path) as store:
        for number in range(PROFILES):
            url = page_server.url(f"/p/{number}")
            store.add_profile(
                Profile(id=f"p{number}", url=url, source="profile_page", added_at=FETCHED_AT)
            )
        add_channel(store, webhook.url(), now=FETCHED_AT, topics=[AlertTopic.NEW_PAPER])
    return settings


def serve_day(server: PageServer, day: int) -> None:
    """Every profile changes every day: citations grow, a paper comes or goes."""
    for number in range(PROFILES):
        snapshot = record(papers=6 + (day + number) % 2, citations=100 + day * (number + 1))
        server.set(f"/p/{number}", Response(body=render_profile_html(snapshot).encode()))


def sync_killed_after(
    context: ForkServerContext, settings: Settings, steps: int
) -> tuple[int | None, list[str]]:
    """Start a sync in a child, SIGKILL it once it has reported `steps` steps."""
    parent_end, child_end = context.Pipe()
    child = context.Process(target=sync_in_child, args=(settings, child_end, None))
    child.start()
    child_end.close()
    seen: list[str] = []
    for _ in range(steps):
        assert parent_end.poll(60), f"the child stopped reporting after {seen}"
        seen.append(parent_end.recv())
    child.kill()
    child.join()
    parent_end.close()
    return child.exitcode, seen


def assert_sound(settings: Settings, when: str) -> None:
    with Store.open(settings.db_path) as store:
        assert check_invariants(store) == [], when


def test_a_sync_killed_anywhere_leaves_a_sound_database_and_the_next_one_completes(
    forkserver: ForkServerContext, settings: Settings, page_server: PageServer
) -> None:
    seed = random.randrange(2**32)
    # Every number of steps twice (STEPS: the whole run, before the exit), in a random order;
    # where a kill lands after its step is up to the threads.
    schedule = [kill % (STEPS + 1) for kill in range(KILLS)]
    random.Random(seed).shuffle(schedule)
    for kill, steps in enumerate(schedule):
        serve_day(page_server, 2 * kill)
        code, seen = sync_killed_after(forkserver, settings, steps)
        when = f"kill {kill} after {seen[-1:] or 'nothing'} (seed {seed})"
        assert code == -signal.SIGKILL, when
        assert_sound(settings, when)

        serve_day(page_server, 2 * kill + 1)
        summary = sync_all(settings)  # it closes the killed run: the next check says so
        assert (summary.status, summary.profiles, summary.failed) == ("ok", PROFILES, 0), when
    assert len(schedule) == KILLS >= 20
    with Store.open(settings.db_path) as store:
        assert check_invariants(store) == []
        runs = dict(store.query("SELECT status, count(*) FROM runs GROUP BY ALL"))
    # Killed runs were closed as failed, unless killed after they finished (or before one began).
    assert set(runs) == {"failed", "ok"} and runs["ok"] >= KILLS, runs


def test_a_killed_prefect_sync_leaves_a_sound_database(
    prefect_api: str, settings: Settings, page_server: PageServer
) -> None:
    """`tracker sync` itself, killed in the middle of its flow: once its first sync task is
    over, while the others run on their threads."""
    serve_day(page_server, 0)
    sync_all(settings)  # a baseline to change
    serve_day(page_server, 1)
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "PREFECT_LOGGING_LEVEL": "INFO",  # a line per finished task, to kill after
        "TRACKER_DB": str(settings.db_path),
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_FETCH__POLITENESS_DELAY": "0",
    }
    sync = subprocess.Popen(
        [sys.executable, "-m", "tracker", "sync"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    watchdog = threading.Timer(120, sync.kill)
    watchdog.start()
    assert sync.stdout is not None
    output = []
    while (line := sync.stdout.readline()) and not (
        "Task run 'sync-" in line and "Finished in state" in line
    ):
        output.append(line)
    sync.kill()
    sync.wait()
    watchdog.cancel()
    assert sync.returncode == -signal.SIGKILL, "".join(output)
    assert_sound(settings, "tracker sync killed after its first task")
    with Store.open(settings.db_path) as store:
        [(killed_run,)] = store.query("SELECT max(id) FROM runs")
        assert store.query("SELECT status FROM runs WHERE id = ?", [killed_run]) == [("running",)]

    summary = sync_all(settings)
    assert (summary.status, summary.failed) == ("ok", 0)
    with Store.open(settings.db_path) as store:
        assert store.query("SELECT status FROM runs WHERE id = ?", [killed_run]) == [("failed",)]
        assert check_invariants(store) == []


def test_check_says_what_is_broken(
    settings: Settings,
    page_server: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`tracker check`: 0 on a sound database; 1 and one line per broken invariant otherwise."""
    for day in (0, 1):
        serve_day(page_server, day)
        sync_all(settings)
    monkeypatch.setenv("TRACKER_DB", str(settings.db_path))
    assert main(["check"]) == 0
    assert capsys.readouterr().out == f"{settings.db_path}: sound\n"

    archive = Archive(settings.archive_dir)
    with Store.open(settings.db_path) as store:
        [(digest,)] = store.query("SELECT content_sha256 FROM profiles WHERE id = 'p1'")
        for corruption in (
            "DELETE FROM profiles WHERE id = 'p0'",
            "UPDATE fetches SET status = 'bogus' WHERE id = "
            "(SELECT min(id) FROM fetches WHERE profile_id = 'p3')",
            "UPDATE papers SET removed_at = first_seen - INTERVAL 1 DAY "
            "WHERE profile_id = 'p1' AND key = (SELECT min(key) FROM papers)",
            "INSERT INTO runs VALUES (7, now(), NULL, 'running'), (8, now(), NULL, 'running')",
            "INSERT INTO metric_observations SELECT 'p2', 'citations', "
            "min(observed_at) - INTERVAL 1 DAY, 1, max(fetch_id) + 1 FROM metric_observations",
        ):
            store.con.execute(corruption)
    archive.path_for(digest).write_bytes(gzip.compress(b"not the page"))

    assert main(["check"]) == 1
    out = capsys.readouterr().out
    problems = [line.removeprefix(f"{settings.db_path}: ") for line in out.splitlines()]
    assert [problem.split(" (e.g.")[0] for problem in problems] == [
        "papers that belong to no profile: 7",
        "metric observations that belong to no profile: 5",
        "changes that belong to no profile: 3",
        "fetches that belong to no profile: 2",
        "metric observations not written by a good snapshot of their profile at their time: 4",
        "metric observations earlier than the one recorded before them: 1",
        "papers first seen after they were removed: 1",
        "fetches with an unknown status: 1",
        "runs left 'running' though a later run has started: 1",
        f"an archived page is missing or corrupt: archive file {archive.path_for(digest)}"
        " is corrupt: its content does not match",
    ]
