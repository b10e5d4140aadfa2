"""Shared storage: two workers on disjoint shards export their runs, a hub merges them.

The same profiles and days as the sync section, synced by a bare serial loop (no Prefect:
the figures are the storage's). One machine syncing every profile is the baseline; two
workers run one after the other here, as two machines would side by side, so "on two
machines" is the slower worker plus the hub's merge.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import pages
from benchmarks.report import Section, ms, secs
from benchmarks.sync import DAYS, _days, _serve
from tracker.pageserver import PageServer
from tracker.session import sync_session
from tracker.settings import FetchSettings, Settings
from tracker.shards import Shard
from tracker.shared import export_finished_runs, merge_exports, publish_registry
from tracker.shared.registry import adopt_registry
from tracker.store import Store

SHARDS = (Shard(1, 2), Shard(2, 2))
COMPARED = {
    "papers": "SELECT * FROM papers",
    "metric_observations": "SELECT * EXCLUDE (fetch_id) FROM metric_observations",
    "fetches": "SELECT * EXCLUDE (id, run_id) FROM fetches",
    "changes": "SELECT * EXCLUDE (id, run_id, fetch_id) FROM changes",
}


@dataclass
class Day:
    one_machine: float
    workers: list[float]
    exports: list[float]
    merge: float
    export_bytes: int


def run(workdir: Path, *, quick: bool) -> Section:
    count = 20 if quick else 1000
    root = workdir / "shared"
    shared = root / "folder"
    days = _days(list(range(count)))[:2]  # first sync, all changed
    measured = []
    with PageServer() as server:
        databases = {name: root / name / "tracker.duckdb" for name in ("one", "hub", "w1", "w2")}
        for name in ("one", "hub"):
            with Store.open(databases[name]) as store:
                for number in range(count):
                    store.add_profile(pages.new_profile(server, number))
        with Store.open(databases["hub"]) as store:
            publish_registry(store, shared)
        for day in days:
            _serve(server, day)
            one = _sync(databases["one"], day.as_of)
            workers, exports = [], []
            for shard, name in zip(SHARDS, ("w1", "w2"), strict=True):
                with Store.open(databases[name]) as store:
                    adopt_registry(store, shared)
                workers.append(_sync(databases[name], day.as_of, shard))
                start = time.perf_counter()
                with Store.open(databases[name]) as store:
                    export_finished_runs(store, shared, day.as_of)
                exports.append(time.perf_counter() - start)
            start = time.perf_counter()
            with Store.open(databases["hub"]) as store:
                report = merge_exports(store, shared, day.as_of)
            if report.runs != len(SHARDS) or report.fetches != count:
                raise RuntimeError(f"{day.name}: the merge took {report}")
            merge = time.perf_counter() - start
            size = sum(path.stat().st_size for path in shared.rglob("*.parquet"))
            measured.append(Day(one, workers, exports, merge, size))
    equal = _rows(databases["one"]) == _rows(databases["hub"])
    return _section(measured, count, equal)


def _sync(db: Path, as_of: object, shard: Shard | None = None) -> float:
    settings = Settings(data_dir=db.parent, db=db, fetch=FetchSettings(politeness_delay=0))
    start = time.perf_counter()
    with sync_session(settings, as_of=as_of, shard=shard) as session:  # type: ignore[arg-type]
        results = [session.syncer.sync(session.run_id, pid) for pid in session.profile_ids]
        session.finish(results)
    return time.perf_counter() - start


def _rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with Store.open(db, read_only=True) as store:
        return {table: sorted(store.query(sql), key=repr) for table, sql in COMPARED.items()}


def _section(measured: list[Day], count: int, equal: bool) -> Section:
    section = Section(
        f"Shared storage: {count:,} profiles on one machine, and on two workers and a hub",
        "bare serial syncs; each worker exports its run as Parquet, the hub merges both",
    )
    for name, day in zip(DAYS, measured, strict=False):
        two = max(day.workers) + max(day.exports) + day.merge
        section.info(
            f"{name}: two workers + merge",
            secs(two),
            f"one machine: {secs(day.one_machine)}",
        )
        section.info(
            f"{name}: export (each worker), merge (hub)",
            f"{secs(max(day.exports))}, {secs(day.merge)}",
            f"merge per profile: {ms(day.merge / count)}",
        )
    growth = measured[-1].export_bytes - measured[0].export_bytes
    section.info(
        "shared folder: Parquet per profile and day",
        f"{growth / count / 1024:.1f} KiB",
        f"first sync: {measured[0].export_bytes / count / 1024:.1f} KiB a profile",
    )
    section.check(
        "hub's data after the merges",
        "equal" if equal else "DIFFERENT",
        "one machine's",
        "equal",
        equal,
        "shared merge equals one machine",
    )
    return section
