"""Syncing one profile into a real DuckDB file from a real local server, without Prefect."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from records_factory import FETCHED_AT, paper, record
from tracker.archive import Archive
from tracker.changes import ChangeKind
from tracker.demo_page import render_profile_html
from tracker.fetch import Fetcher
from tracker.pageserver import PageServer, Response
from tracker.records import ProfileRecord
from tracker.reparse import reparse_profile
from tracker.settings import FetchSettings
from tracker.store import FetchStatus, Profile, Store
from tracker.sync import Syncer

PATH = "/p/ada"


class Clock:
    """A clock the test moves forward one day per sync."""

    def __init__(self) -> None:
        self.now = FETCHED_AT

    def __call__(self) -> object:
        return self.now

    def next_day(self) -> None:
        self.now += timedelta(days=1)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def syncer(
    tmp_path: Path, page_server: PageServer, fetch_settings: FetchSettings, clock: Clock
) -> Iterator[Syncer]:
    with Store.open(tmp_path / "t.duckdb") as store, Fetcher(fetch_settings) as fetcher:
        store.add_profile(
            Profile(id="ada", url=page_server.url(PATH), source="profile_page", added_at=FETCHED_AT)
        )
        yield Syncer(store, fetcher, Archive(tmp_path / "archive"), clock)  # type: ignore[arg-type]


def serve(server: PageServer, snapshot: ProfileRecord, *, etag: str | None = None) -> None:
    server.set(PATH, Response(body=render_profile_html(snapshot).encode(), etag=etag))


def sync(syncer: Syncer, clock: Clock) -> tuple[FetchStatus, list[tuple[str, object, object]]]:
    clock.next_day()
    run = syncer.store.start_run(clock.now)
    result = syncer.sync(run, "ada")
    summary = [(c.kind.value, c.metric or c.paper_key, c.new) for c in result.changes]
    return result.status, summary


def table_counts(store: Store) -> dict[str, int]:
    tables = ("fetches", "metric_observations", "papers", "changes")
    return {t: store.query(f"SELECT count(*) FROM {t}")[0][0] for t in tables}


def test_baseline_then_changes_then_nothing(
    syncer: Syncer, page_server: PageServer, clock: Clock
) -> None:
    serve(page_server, record(papers=5, citations=100))
    assert sync(syncer, clock) == (FetchStatus.BASELINE, [])

    grown = record(papers=5, citations=120)
    grown = grown.model_copy(update={"papers": [*grown.papers, paper(6)]})
    serve(page_server, grown)
    status, changes = sync(syncer, clock)
    assert status is FetchStatus.CHANGED
    assert [(kind, what) for kind, what, _ in changes] == [
        ("metric_changed", "citations"),
        ("paper_added", "title:a study of topic 6"),
    ]

    before = table_counts(syncer.store)
    assert sync(syncer, clock) == (FetchStatus.NOT_MODIFIED, [])  # same bytes: not parsed
    after = table_counts(syncer.store)
    assert after == before | {"fetches": before["fetches"] + 1}


def test_same_data_in_different_bytes_adds_only_a_fetch_row(
    syncer: Syncer, page_server: PageServer, clock: Clock
) -> None:
    serve(page_server, record())
    sync(syncer, clock)
    before = table_counts(syncer.store)
    page_server.set(PATH, Response(body=render_profile_html(record()).encode() + b"<!-- x -->"))
    assert sync(syncer, clock) == (FetchStatus.UNCHANGED, [])
    assert table_counts(syncer.store) == before | {"fetches": before["fetches"] + 1}


def test_etag_gives_304_and_nothing_is_parsed(
    syncer: Syncer, page_server: PageServer, clock: Clock
) -> None:
    serve(page_server, record(), etag='"v1"')
    sync(syncer, clock)
    assert sync(syncer, clock) == (FetchStatus.NOT_MODIFIED, [])
    assert page_server.requests[-1].headers["if-none-match"] == '"v1"'


@pytest.mark.parametrize(
    ("response", "status", "reason"),
    [
        (Response(status=503, body=b"down"), FetchStatus.FAILED, "503"),
        (Response(status=429, body=b"slow down"), FetchStatus.BLOCKED, "rate"),
        (Response(body=b""), FetchStatus.FAILED, "empty page"),
        (
            Response(body=b"<html><body>Sign in to continue</body></html>"),
            FetchStatus.LAYOUT_CHANGED,
            "layout changed",
        ),
        (
            Response(body=render_profile_html(record(papers=5), include_papers=False).encode()),
            FetchStatus.LAYOUT_CHANGED,
            "layout changed",
        ),
    ],
    ids=["503", "429", "empty", "not-a-profile", "papers-gone"],
)
def test_bad_pages_are_failed_syncs_with_no_false_changes(
    syncer: Syncer,
    page_server: PageServer,
    clock: Clock,
    response: Response,
    status: FetchStatus,
    reason: str,
) -> None:
    serve(page_server, record(papers=5))
    sync(syncer, clock)
    before = table_counts(syncer.store)
    previous = syncer.store.current_record("ada")

    page_server.set(PATH, response)
    assert sync(syncer, clock) == (status, [])
    [(stored_reason,)] = syncer.store.query("SELECT reason FROM fetches ORDER BY id DESC LIMIT 1")
    assert reason in stored_reason
    assert table_counts(syncer.store) == before | {"fetches": before["fetches"] + 1}
    assert syncer.store.current_record("ada") == previous

    serve(page_server, record(papers=5, citations=101))  # the next good sync proceeds normally
    assert sync(syncer, clock) == (FetchStatus.CHANGED, [("metric_changed", "citations", 101)])


def test_a_transaction_that_dies_leaves_the_previous_state(
    syncer: Syncer, page_server: PageServer, clock: Clock
) -> None:
    serve(page_server, record(papers=5))
    sync(syncer, clock)
    before = table_counts(syncer.store)

    class Crash(Exception):
        pass

    with pytest.raises(Crash), syncer.store.transaction() as con:
        con.execute("DELETE FROM papers")
        con.execute("UPDATE profiles SET name = 'gone'")
        raise Crash
    assert table_counts(syncer.store) == before
    assert syncer.store.profile("ada").name == "Ada Lovelace"


def test_reparse_rebuilds_the_same_snapshots_and_changes(
    syncer: Syncer, page_server: PageServer, clock: Clock, tmp_path: Path
) -> None:
    for citations in (100, 100, 130, 150):
        serve(page_server, record(citations=citations))
        sync(syncer, clock)
    changes_before = syncer.store.query("SELECT kind, metric, old, new FROM changes ORDER BY id")
    metrics_before = syncer.store.query("SELECT * FROM metric_observations ORDER BY all")
    result = reparse_profile(syncer.store, Archive(tmp_path / "archive"), "ada")
    assert (result.changes, result.failed) == (2, 0)
    assert (
        syncer.store.query("SELECT kind, metric, old, new FROM changes ORDER BY id")
        == changes_before
    )
    assert syncer.store.query("SELECT * FROM metric_observations ORDER BY all") == metrics_before


def test_changed_paper_fields_are_recorded(
    syncer: Syncer, page_server: PageServer, clock: Clock
) -> None:
    serve(page_server, record(papers=3))
    sync(syncer, clock)
    edited = record(papers=3)
    edited = edited.model_copy(
        update={
            "papers": [edited.papers[0], paper(2, abstract="A better abstract."), edited.papers[2]]
        }
    )
    serve(page_server, edited)
    status, changes = sync(syncer, clock)
    assert status is FetchStatus.CHANGED
    assert changes == [
        ("paper_changed", "title:a study of topic 2", {"abstract": "A better abstract."})
    ]
    assert ChangeKind.PAPER_CHANGED.value == "paper_changed"


def test_the_store_caps_duckdbs_buffer_pool_so_a_long_sync_stays_small(tmp_path: Path) -> None:
    """DuckDB's default (80% of RAM) would keep every block a sync writes in memory."""
    path = tmp_path / "t.duckdb"
    for read_only in (False, True):
        with Store.open(path, read_only=read_only) as store:
            [(limit,)] = store.con.execute(
                "SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'"
            ).fetchall()
            assert limit == "122.0 MiB"  # 128 MB


def test_a_bulk_write_gets_more_memory_and_the_cap_comes_back(tmp_path: Path) -> None:
    with Store.open(tmp_path / "t.duckdb") as store:

        def limit() -> str:
            [(value,)] = store.query("SELECT current_setting('memory_limit')")
            return str(value)

        with store.bulk_memory():
            assert limit() == "953.6 MiB"  # 1 GB
        assert limit() == "122.0 MiB"
        with pytest.raises(RuntimeError), store.bulk_memory():
            raise RuntimeError("the merge failed")
        assert limit() == "122.0 MiB"
