"""Two syncs at once, reads during a sync, a full disk and an unwritable data directory.

DuckDB lets one process hold the file: a second `tracker sync`, and a read command, while a
sync runs exit with one clear line. A disk that fills up, or an archive that cannot be
written, gives a clear error and leaves nothing half-written.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any

import pytest

import sync_driver
from records_factory import FETCHED_AT, record
from sync_driver import cli_in_child, sync_all, sync_in_child
from tracker.archive import Archive
from tracker.cli import main
from tracker.demo_page import render_profile_html
from tracker.fetch import Fetcher
from tracker.integrity import check_invariants
from tracker.pageserver import LOOPBACK, PageServer, Response
from tracker.settings import FetchSettings, Settings
from tracker.store import FetchStatus, Profile, Store
from tracker.sync import Syncer, SyncResult, run_status, utc_now

FETCH = FetchSettings(retries=0, politeness_delay=0)
SNAPSHOT_TABLES = ("metric_observations", "papers", "changes", "citations_per_year")
BUSY = "is in use by another process (another tracker process is using the database"


class GatedPage:
    """A page on 127.0.0.1 that says when it is asked for, and answers only once released."""

    def __init__(self, body: bytes) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                gate.asked.set()
                gate.release.wait(60)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Stay quiet."""

        self._httpd = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://{LOOPBACK}:{self._httpd.server_address[1]}/p/slow"

    def __enter__(self) -> GatedPage:
        threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture(scope="module")
def forkserver() -> ForkServerContext:
    return sync_driver.forkserver()


@pytest.fixture
def settings(tmp_path: Path, page_server: PageServer) -> Settings:
    """Three profiles with a baseline."""
    settings = Settings(data_dir=tmp_path, db=tmp_path / "c.duckdb", fetch=FETCH)
    with Store.open(settings.db_path) as store:
        for name in ("ada", "alan", "grace"):
            url = page_server.url(f"/p/{name}")
            store.add_profile(Profile(id=name, url=url, source="profile_page", added_at=FETCHED_AT))
    serve(page_server, citations=100)
    sync_all(settings)
    return settings


def serve(server: PageServer, *, citations: int, papers: int = 30) -> None:
    for name in ("ada", "alan", "grace"):
        page = render_profile_html(record(papers=papers, citations=citations))
        server.set(f"/p/{name}", Response(body=page.encode()))


def snapshot_rows(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    with Store.open(settings.db_path, read_only=True) as store:
        return {t: store.query(f"SELECT * FROM {t} ORDER BY ALL") for t in SNAPSHOT_TABLES}


def assert_one_line_error(code: int, err: str, message: str) -> None:
    assert code == 2, err
    assert err.startswith("tracker: error: ") and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_second_sync_and_reads_during_a_sync_exit_with_one_clear_line(
    prefect_api: str,
    settings: Settings,
    page_server: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {
        "PREFECT_API_URL": prefect_api,
        "TRACKER_DB": str(settings.db_path),
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_FETCH__POLITENESS_DELAY": "0",
    }
    serve(page_server, citations=110)
    with GatedPage(render_profile_html(record(citations=110)).encode()) as gate:
        with Store.open(settings.db_path) as store:
            store.add_profile(
                Profile(id="slow", url=gate.url, source="profile_page", added_at=FETCHED_AT)
            )
        first = subprocess.Popen(
            [sys.executable, "-m", "tracker", "sync"],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert gate.asked.wait(120), "the first sync never asked for the page"
            # The first sync is running and holds the database; this process is another.
            for name, value in env.items():
                monkeypatch.setenv(name, value)
            for command in (
                ["sync"],
                ["list"],
                ["history", "ada"],
                ["changes"],
                ["report"],
                ["check"],
            ):
                code = main(command)
                assert_one_line_error(code, capsys.readouterr().err, BUSY)
            gate.release.set()
            _, err = first.communicate(timeout=120)
        finally:
            first.kill()
    assert first.returncode == 0, err

    with Store.open(settings.db_path) as store:
        assert check_invariants(store) == []
        [(run, status)] = store.query("SELECT id, status FROM runs WHERE id > 1")
        assert status == "ok"  # one run, not two, and complete
        fetched = store.query(
            "SELECT profile_id, count(*) FROM fetches WHERE run_id = ? GROUP BY ALL ORDER BY ALL",
            [run],
        )
        assert fetched == [("ada", 1), ("alan", 1), ("grace", 1), ("slow", 1)]
        assert store.query("SELECT count(*) FROM changes WHERE run_id = ?", [run]) == [(3,)]


def test_a_full_disk_is_a_clear_error_and_nothing_is_half_written(
    forkserver: ForkServerContext, settings: Settings, page_server: PageServer
) -> None:
    before = snapshot_rows(settings)
    serve(page_server, citations=120, papers=31)
    parent_end, child_end = forkserver.Pipe()
    # No file may grow past 4 kB: the database's write-ahead log fills the "disk" at once.
    child = forkserver.Process(target=sync_in_child, args=(settings, child_end, 4096))
    child.start()
    child_end.close()
    messages: list[str] = []
    while not messages or not messages[-1].startswith(("error", "done")):
        assert parent_end.poll(60)
        messages.append(parent_end.recv())
    parent_end.close()
    child.join()
    assert messages[-1].startswith("error: StorageError: could not commit to ")
    assert "File too large" in messages[-1] and "\n" not in messages[-1]

    assert snapshot_rows(settings) == before  # no profile is half-written
    with Store.open(settings.db_path) as store:
        assert check_invariants(store) == []
    summary = sync_all(settings)  # room again: the next sync proceeds
    assert (summary.status, summary.changed, summary.changes) == ("ok", 3, 9)


def test_a_full_disk_fails_a_cli_command_with_one_line(
    forkserver: ForkServerContext, settings: Settings
) -> None:
    parent_end, child_end = forkserver.Pipe()
    argv = ["add", "https://example.org/people/turing"]
    env = {"TRACKER_DB": str(settings.db_path)}
    child = forkserver.Process(target=cli_in_child, args=(argv, env, 0, child_end))
    child.start()
    child_end.close()
    assert parent_end.poll(60)
    code, _, err = parent_end.recv()
    child.join()
    assert_one_line_error(code, err, "could not commit to ")
    assert "File too large" in err
    with Store.open(settings.db_path) as store:
        assert [p.id for p in store.profiles()] == ["ada", "alan", "grace"]
        assert check_invariants(store) == []


def test_a_data_directory_that_cannot_be_created_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    in_the_way = tmp_path / "data"
    in_the_way.write_text("not a directory")
    monkeypatch.delenv("TRACKER_DB", raising=False)
    monkeypatch.setenv("TRACKER_DATA_DIR", str(in_the_way))
    code = main(["add", "https://example.org/people/turing"])
    assert_one_line_error(code, capsys.readouterr().err, f"cannot create {in_the_way}")
    assert in_the_way.read_text() == "not a directory"


@pytest.fixture
def syncer(settings: Settings) -> Iterator[Syncer]:
    with Store.open(settings.db_path) as store, Fetcher(settings.fetch) as fetcher:
        yield Syncer(store, fetcher, Archive(settings.archive_dir))


def sync_one(syncer: Syncer, profile_id: str) -> SyncResult:
    run = syncer.store.start_run(utc_now())
    result = syncer.sync(run, profile_id)
    syncer.store.finish_run(run, utc_now(), run_status([result]))
    return result


@pytest.mark.parametrize("fault", ["no-space", "not-a-directory"])
def test_an_archive_that_cannot_be_written_fails_the_fetch_and_keeps_the_data(
    fault: str,
    syncer: Syncer,
    settings: Settings,
    page_server: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    archive = settings.archive_dir
    kept = {path: path.read_bytes() for path in archive.rglob("*") if path.is_file()}
    before = {t: syncer.store.query(f"SELECT * FROM {t} ORDER BY ALL") for t in SNAPSHOT_TABLES}
    serve(page_server, citations=130)
    if fault == "no-space":

        def no_space(fd: int) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr("tracker.archive.os.fsync", no_space)
        expected = "No space left on device"
    else:
        archive.rename(tmp_path / "archive-aside")
        archive.write_text("in the way")
        expected = "Not a directory"

    result = sync_one(syncer, "ada")
    assert (result.status, result.changes) == (FetchStatus.FAILED, ())
    assert result.reason is not None
    assert result.reason.startswith("could not keep the page in the archive: cannot write ")
    assert expected in result.reason and "\n" not in result.reason
    rows = {t: syncer.store.query(f"SELECT * FROM {t} ORDER BY ALL") for t in SNAPSHOT_TABLES}
    assert rows == before

    if fault == "no-space":
        monkeypatch.undo()
    else:
        archive.unlink()
        (tmp_path / "archive-aside").rename(archive)
    # Nothing half-written in the archive either: no temporary file left behind.
    assert {p: p.read_bytes() for p in archive.rglob("*") if p.is_file()} == kept
    assert sync_one(syncer, "ada").status is FetchStatus.CHANGED
    assert check_invariants(syncer.store) == []
