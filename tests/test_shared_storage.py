"""Storage for several writers: two workers on disjoint shards, merged by a hub, hold the
same data as one machine syncing every profile. Real Prefect flow runs, real DuckDB files,
real Parquet exports in a shared folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from records_factory import paper, record
from tracker.alerts.channels import add_channel
from tracker.demo_page import render_profile_html
from tracker.errors import StorageError, UserInputError
from tracker.pageserver import PageServer, Response
from tracker.records import ProfileRecord
from tracker.settings import FetchSettings, Settings
from tracker.shards import Shard
from tracker.shared import adopt_registry, merge_exports, publish_registry
from tracker.shared.layout import MANIFEST_FILE, runs_dir
from tracker.store import Profile, Store

DAY_ONE = datetime(2026, 5, 1, 7, 0, tzinfo=UTC)
NAMES = [f"p{number}" for number in range(10)]
SHARDS = [Shard(1, 2), Shard(2, 2)]

# What each table must hold alike, leaving out the ids each database numbers its own way.
COMPARED: dict[str, str] = {
    "profiles": "SELECT * FROM profiles",
    "papers": "SELECT * FROM papers",
    "metric_observations": "SELECT * EXCLUDE (fetch_id) FROM metric_observations",
    "fetches": "SELECT * EXCLUDE (id, run_id) FROM fetches",
    "changes": "SELECT * EXCLUDE (id, run_id, fetch_id) FROM changes",
    "citations_per_year": "SELECT * FROM citations_per_year",
    "alert_events": "SELECT * EXCLUDE (run_id) FROM alert_events",
}


def day_pages(day: int) -> dict[str, ProfileRecord | None]:
    """Each profile's page on a day; None when its server is down."""
    pages: dict[str, ProfileRecord | None] = {}
    for number, name in enumerate(NAMES):
        snapshot = record(papers=3 + number % 3, citations=100 + number, name=f"Researcher {name}")
        if number in (1, 4, 7) and day >= 1:  # cited more, and a new paper
            papers = [*snapshot.papers, paper(20 + number)]
            snapshot = snapshot.model_copy(update={"papers": papers})
            snapshot.metrics["citations"] += 10 * day
        if number == 1 and day >= 2:  # a paper withdrawn
            snapshot = snapshot.model_copy(update={"papers": snapshot.papers[1:]})
        pages[name] = None if (number == 2 and day == 1) or (number == 9 and day >= 1) else snapshot
    return pages


def serve_day(server: PageServer, day: int) -> None:
    for name, snapshot in day_pages(day).items():
        if snapshot is None:
            server.set(f"/{name}", Response(status=503, body=b"down for maintenance"))
            continue
        body = render_profile_html(snapshot).encode()
        etag = f'"{name}-{hash(body) & 0xFFFF}"' if name == "p3" else None  # p3 answers 304s
        server.set(f"/{name}", Response(body=body, etag=etag))


def add_profiles(db: Path, server: PageServer) -> None:
    with Store.open(db) as store:
        for name in NAMES:
            store.add_profile(
                Profile(
                    id=name,
                    url=server.url(f"/{name}"),
                    source="profile_page",
                    added_at=DAY_ONE - timedelta(days=1),
                )
            )


def table_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with Store.open(db, read_only=True) as store:
        return {table: sorted(store.query(sql), key=repr) for table, sql in COMPARED.items()}


def hub_and_one_worker_run(
    tmp_path: Path, server: PageServer, settings_for: Any
) -> tuple[Path, Settings]:
    """A hub with the profiles published, and one worker that synced them all once."""
    from flows.sync_flow import run_sync

    shared = tmp_path / "shared"
    hub, worker = settings_for("hub"), settings_for("worker")
    add_profiles(hub.db_path, server)
    serve_day(server, 0)
    with Store.open(hub.db_path) as store:
        publish_registry(store, shared)
    run_sync(worker, shard="1/1", as_of=DAY_ONE, shared=shared)
    return shared, hub


@pytest.fixture
def settings_for(tmp_path: Path, fetch_settings: FetchSettings) -> Any:
    def settings(name: str) -> Settings:
        folder = tmp_path / name
        return Settings(data_dir=folder, db=folder / "tracker.duckdb", fetch=fetch_settings)

    return settings


def test_two_workers_on_disjoint_shards_hold_what_one_machine_does(
    prefect_api: str, tmp_path: Path, page_server: PageServer, settings_for: Any
) -> None:
    from flows.sync_flow import run_sync

    shared = tmp_path / "shared"
    solo, hub = settings_for("solo"), settings_for("hub")
    workers = [settings_for("worker-1"), settings_for("worker-2")]
    add_profiles(solo.db_path, page_server)
    add_profiles(hub.db_path, page_server)
    with Store.open(hub.db_path) as store:
        add_channel(store, "json://127.0.0.1:9/hook", now=DAY_ONE)
        assert publish_registry(store, shared) == len(NAMES)

    merges = []
    for day in range(4):
        serve_day(page_server, day)
        as_of = DAY_ONE + timedelta(days=day)
        run_sync(solo, as_of=as_of)
        for worker, shard in zip(workers, SHARDS, strict=True):
            run_sync(worker, shard=str(shard), as_of=as_of, shared=shared)
        with Store.open(hub.db_path) as store:
            merges.append(merge_exports(store, shared, as_of))

    assert [(m.runs, m.workers) for m in merges] == [(2, 2)] * 4
    expected, merged = table_rows(solo.db_path), table_rows(hub.db_path)
    assert {table: len(rows) for table, rows in merged.items()} == {
        table: len(rows) for table, rows in expected.items()
    }
    assert merged == expected
    assert expected["changes"] and expected["alert_events"]  # the days changed something
    for worker, shard in zip(workers, SHARDS, strict=True):
        worker_profiles = {row[0] for row in table_rows(worker.db_path)["fetches"]}
        assert worker_profiles and all(shard.holds(name) for name in worker_profiles)
    with Store.open(hub.db_path, read_only=True) as store:
        # every run of both workers, and the hub's channel holds every event the workers raised
        assert store.query("SELECT count(*) FROM runs WHERE finished_at IS NOT NULL") == [(8,)]
        [(events,)] = store.query("SELECT count(*) FROM alert_events")
        assert store.query("SELECT count(*) FROM alert_outbox") == [(events,)]


def test_merge_is_idempotent_and_skips_an_export_still_being_written(
    prefect_api: str, tmp_path: Path, page_server: PageServer, settings_for: Any
) -> None:
    shared, hub = hub_and_one_worker_run(tmp_path, page_server, settings_for)
    partial = runs_dir(shared) / ".partial-someone-run-7"
    partial.mkdir()
    (partial / "runs.parquet").write_bytes(b"half")

    with Store.open(hub.db_path) as store:
        first = merge_exports(store, shared, DAY_ONE)
        again = merge_exports(store, shared, DAY_ONE)
        [(fetches,)] = store.query("SELECT count(*) FROM fetches")
    assert (first.runs, first.fetches, again.runs) == (1, len(NAMES), 0)
    assert fetches == len(NAMES)


def test_a_damaged_export_is_not_merged_at_all(
    prefect_api: str, tmp_path: Path, page_server: PageServer, settings_for: Any
) -> None:
    shared, hub = hub_and_one_worker_run(tmp_path, page_server, settings_for)
    [export] = [path.parent for path in runs_dir(shared).glob(f"*/{MANIFEST_FILE}")]
    (export / "changes.parquet").write_bytes(b"not parquet")
    before = table_rows(hub.db_path)

    with Store.open(hub.db_path) as store, pytest.raises(StorageError, match="cannot merge"):
        merge_exports(store, shared, DAY_ONE)
    assert table_rows(hub.db_path) == before  # the run's fetches were rolled back too


def test_a_worker_without_a_registry_gets_a_clear_answer(tmp_path: Path, settings_for: Any) -> None:
    from tracker.session import sync_session

    with (
        pytest.raises(UserInputError, match="no profile registry"),
        sync_session(settings_for("worker"), shared=tmp_path / "empty"),
    ):
        pass


def test_an_export_from_another_schema_version_is_refused(
    prefect_api: str, tmp_path: Path, page_server: PageServer, settings_for: Any
) -> None:
    shared, hub = hub_and_one_worker_run(tmp_path, page_server, settings_for)
    [manifest] = runs_dir(shared).glob(f"*/{MANIFEST_FILE}")
    manifest.write_text(json.dumps(json.loads(manifest.read_text()) | {"schema_version": 99}))

    with Store.open(hub.db_path) as store, pytest.raises(StorageError, match="schema version 99"):
        merge_exports(store, shared, DAY_ONE)


def test_the_commands_of_a_hub_and_two_workers(
    prefect_api: str,
    tmp_path: Path,
    page_server: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tracker.cli import main

    monkeypatch.setenv("TRACKER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRACKER_FETCH__POLITENESS_DELAY", "0")
    shared, hub = tmp_path / "shared", ["--db", str(tmp_path / "hub.duckdb")]
    serve_day(page_server, 0)
    worker = ["--db", str(tmp_path / "worker-1.duckdb")]
    assert main([*worker, "sync", "--shard", "1/2", "--shared", str(shared)]) == 2
    assert "no profile registry in" in capsys.readouterr().err

    for name in NAMES[:4]:
        assert main([*hub, "add", page_server.url(f"/{name}"), "--id", name]) == 0
    assert main([*hub, "merge", "--shared", str(shared)]) == 0
    assert f"nothing new to merge; 4 profiles published to {shared}" in capsys.readouterr().out
    for index in (1, 2):
        worker = ["--db", str(tmp_path / f"worker-{index}.duckdb")]
        assert main([*worker, "sync", "--shard", f"{index}/2", "--shared", str(shared)]) == 0
    capsys.readouterr()
    assert main([*hub, "merge", "--shared", str(shared)]) == 0
    assert "merged 2 run(s) from 2 worker(s): 4 fetches, 0 changes" in capsys.readouterr().out
    assert main([*hub, "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted(profile["id"] for profile in listed) == NAMES[:4]
    assert all(profile["name"].startswith("Researcher") for profile in listed)


def test_a_run_a_crash_kept_from_exporting_is_exported_by_the_next(
    prefect_api: str, tmp_path: Path, page_server: PageServer, settings_for: Any
) -> None:
    from flows.sync_flow import run_sync

    shared = tmp_path / "shared"
    hub, worker = settings_for("hub"), settings_for("worker")
    add_profiles(hub.db_path, page_server)
    serve_day(page_server, 0)
    with Store.open(hub.db_path) as store:
        publish_registry(store, shared)
    with Store.open(worker.db_path) as store:  # a run a killed worker left behind
        adopt_registry(store, shared)
        store.start_run(DAY_ONE - timedelta(hours=1))
    run_sync(worker, shard="1/1", as_of=DAY_ONE, shared=shared)

    with Store.open(hub.db_path) as store:
        report = merge_exports(store, shared, DAY_ONE)
        statuses = store.query("SELECT status FROM runs ORDER BY started_at")
    assert report.runs == 2
    assert statuses == [("failed",), ("ok",)]


def test_schedule_registers_shards_that_export_and_the_hubs_merge(
    prefect_api: str,
    tmp_path: Path,
    page_server: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from flows.merge_flow import merge_flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    from tracker.cli import main

    monkeypatch.setenv("TRACKER_DATA_DIR", str(tmp_path))
    shared, hub = tmp_path / "shared", tmp_path / "hub.duckdb"
    with get_client(sync_client=True) as client:
        for pool in ("lab", "lab-hub"):
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"), overwrite=True)

    assert (
        main(
            [
                "--db",
                str(hub),
                "schedule",
                "--pool",
                "lab",
                "--shards",
                "2",
                "--shared",
                str(shared),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "registered tracker-merge/merge-shared (*/30 * * * *) in work pool 'lab-hub'" in printed
    with get_client(sync_client=True) as client:
        shard = client.read_deployment_by_name("tracker-sync/daily-sync-shard-2-of-2")
        merge = client.read_deployment_by_name("tracker-merge/merge-shared")
        for deployment in client.read_deployments():  # no scheduled runs left for other tests
            client.delete_deployment(deployment.id)
        for flow_run in client.read_flow_runs():
            if flow_run.deployment_id is not None:
                client.delete_flow_run(flow_run.id)
    assert shard.parameters == {"catch_up_once": True, "shared": str(shared), "shard": "2/2"}
    assert shard.work_pool_name == "lab"
    assert merge.parameters == {"shared": str(shared), "db": str(hub.resolve())}
    assert merge.work_pool_name == "lab-hub"

    add_profiles(hub, page_server)
    report = merge_flow(shared=str(shared), db=str(hub))  # what the hub's worker runs
    assert (report.runs, report.registry) == (0, len(NAMES))


def test_profiles_removed_or_purged_on_the_hub_stop_on_the_workers(
    tmp_path: Path, page_server: PageServer
) -> None:
    shared, hub, worker = tmp_path / "shared", tmp_path / "hub.duckdb", tmp_path / "w.duckdb"
    add_profiles(hub, page_server)
    with Store.open(hub) as hub_store, Store.open(worker) as worker_store:
        publish_registry(hub_store, shared)
        assert adopt_registry(worker_store, shared) == len(NAMES)
        hub_store.deactivate_profile("p0")
        hub_store.purge_profile("p1")
        publish_registry(hub_store, shared)
        adopt_registry(worker_store, shared)
        active = [profile.id for profile in worker_store.profiles()]
    assert active == NAMES[2:]
