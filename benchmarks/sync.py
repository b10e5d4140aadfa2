"""Sync throughput: profiles served by a local server, through the Prefect flow and bare loops.

Three days of the same profiles, each on a fresh copy of one database:

- first sync: every page fetched, parsed and stored whole (the baseline of each profile);
- all changed: every page changed overnight: fetched, parsed, diffed, changes stored;
- unchanged: the server answers 304 Not Modified to every conditional request.

Each day runs three ways: the real flow (`run_sync`, the same call as `tracker sync`), a bare
serial loop of `Syncer.sync`, and a bare thread pool of the same concurrency as the flow. The
bare loops do the session work the flow does too (finish the run, deliver alerts, render the
report), so the difference is Prefect. The serial loop is instrumented to say where its time
goes; the Prefect server's own CPU time is read from /proc.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb

import tracker.sync
from benchmarks import pages, prefect_server
from benchmarks.report import Section, ms, ratio, secs
from tracker.fetch import Fetcher
from tracker.pageserver import PageServer, Response
from tracker.session import RunSummary, sync_session
from tracker.settings import FetchSettings, Settings
from tracker.sources import get_source
from tracker.sources.base import Page, Source
from tracker.store import Store
from tracker.sync import SyncResult

CONCURRENCY = 8
TARGET_RATIO = 2.0
TARGET_SECONDS_PER_1000 = 60.0
DAYS = ("first sync", "all changed", "unchanged (304)")
STAGES = ("fetch", "archive", "parse", "diff", "store", "other")


@dataclass
class Stages:
    """Seconds spent in each stage, added up across calls (and threads)."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, stage: str, seconds: float) -> None:
        with self.lock:
            self.seconds[stage] += seconds

    def timed(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timing(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(stage, time.perf_counter() - start)

        return timing


class _TimedSource:
    """A source whose parse_pages is timed; everything else is the source's own."""

    def __init__(self, source: Source, stages: Stages) -> None:
        self._source = source
        self._stages = stages

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)

    def parse_pages(self, pages: Sequence[Page], *, fetched_at: datetime) -> Any:
        start = time.perf_counter()
        try:
            return self._source.parse_pages(pages, fetched_at=fetched_at)
        finally:
            self._stages.add("parse", time.perf_counter() - start)


# (where, name, stage): the functions timed in place, by the stage they belong to.
TIMED: tuple[tuple[object, str, str], ...] = (
    (Fetcher, "fetch", "fetch"),
    (tracker.sync, "archive_pages", "archive"),
    (tracker.sync, "diff", "diff"),
    (Store, "query", "store"),
    (Store, "record_in", "store: read previous"),
    (Store, "apply_snapshot", "store: write snapshot"),
    (tracker.sync, "record_sync_events", "store: alert outbox"),
)


@contextmanager
def instrumented(stages: Stages) -> Iterator[None]:
    """Time fetch, archive, parse, diff and the store, around tracker's own functions.

    `store` is the time inside store transactions and queries; the diff runs inside a
    transaction, and the `store: ...` parts are inside it too.
    """
    original_transaction = Store.transaction

    @contextmanager
    def transaction(store: Store) -> Iterator[duckdb.DuckDBPyConnection]:
        start = time.perf_counter()
        try:
            with original_transaction(store) as con:
                yield con
        finally:
            stages.add("store", time.perf_counter() - start)

    def timed_source(kind: str) -> _TimedSource:
        return _TimedSource(get_source(kind), stages)

    with ExitStack() as stack:
        for where, name, stage in TIMED:
            timed = stages.timed(stage, getattr(where, name))
            stack.enter_context(mock.patch.object(where, name, timed))
        stack.enter_context(mock.patch.object(Store, "transaction", transaction))
        stack.enter_context(mock.patch.object(tracker.sync, "get_source", timed_source))
        yield


@dataclass(frozen=True)
class Day:
    name: str
    as_of: datetime
    bodies: dict[int, bytes]  # researcher number -> gzipped page


def _days(numbers: Sequence[int]) -> list[Day]:
    first = {n: pages.researcher(n) for n in numbers}
    changed = {
        n: pages.evolve(record, random.Random(n), pages.DAY_ONE.date() + timedelta(days=1))
        for n, record in first.items()
    }
    first_bodies = {n: pages.page_body(record) for n, record in first.items()}
    changed_bodies = {n: pages.page_body(record) for n, record in changed.items()}
    return [
        Day(DAYS[0], pages.DAY_ONE, first_bodies),
        Day(DAYS[1], pages.DAY_ONE + timedelta(days=1), changed_bodies),
        Day(DAYS[2], pages.DAY_ONE + timedelta(days=2), changed_bodies),
    ]


def _serve(server: PageServer, day: Day) -> None:
    for number, body in day.bodies.items():
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        server.set(
            pages.path_of(number),
            Response(body=body, etag=etag, headers={"Content-Encoding": "gzip"}),
        )


Runner = Callable[[Settings, datetime, "Stages | None"], RunSummary]


def bare(threads: int) -> Runner:
    """The flow's work without Prefect: a session, `Syncer.sync` per profile, the run's end.

    With `stages`, the syncs are instrumented and the run's end (summary, alerts, report)
    is timed on its own.
    """

    def run(settings: Settings, as_of: datetime, stages: Stages | None) -> RunSummary:
        with sync_session(settings, as_of=as_of) as session:

            def sync(profile_id: str) -> SyncResult:
                return session.syncer.sync(session.run_id, profile_id)

            start = time.perf_counter()
            with instrumented(stages) if stages else nullcontext():
                if threads == 1:
                    results = [sync(profile_id) for profile_id in session.profile_ids]
                else:
                    with ThreadPoolExecutor(threads) as pool:
                        results = list(pool.map(sync, session.profile_ids))
            end = time.perf_counter()
            summary = session.finish(results).with_alerts(session.deliver_alerts())
            session.report_markdown()
            if stages:
                stages.add("syncs", end - start)
                stages.add("run end", time.perf_counter() - end)
        return summary

    return run


def flow(settings: Settings, as_of: datetime, stages: Stages | None) -> RunSummary:
    from flows.sync_flow import run_sync

    return run_sync(settings, as_of=as_of)


def warm_up(where: Path) -> float:
    """Run the flow over no profiles twice (the first run of a process pays for setup).

    Returns the second run's wall time: what a flow run costs whatever it syncs.
    """
    flow(Settings(data_dir=where), pages.DAY_ONE, None)
    start = time.perf_counter()
    flow(Settings(data_dir=where), pages.DAY_ONE + timedelta(days=1), None)
    return time.perf_counter() - start


@dataclass
class Measured:
    """Best wall time per day of one way of syncing, and what the server's CPU did meanwhile."""

    wall: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    server_cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def best(self, day: str) -> float:
        return min(self.wall[day])


EXPECTED = {DAYS[0]: "baseline", DAYS[1]: "changed", DAYS[2]: "unchanged"}


def run(workdir: Path, *, quick: bool) -> Section:
    count, repeats = (50, 1) if quick else (1000, 2)
    ways: dict[str, Runner] = {
        "flow": flow,
        "bare serial": bare(1),
        f"bare {CONCURRENCY} threads": bare(CONCURRENCY),
    }
    measured, breakdowns, fixed = measure(workdir, count, repeats, ways)
    return _section(measured, breakdowns, fixed, count, repeats)


def measure(
    workdir: Path, count: int, repeats: int, ways: dict[str, Runner]
) -> tuple[dict[str, Measured], dict[str, Stages], float]:
    """Wall times of each way on each day, interleaved; the breakdown of the serial loop;
    the wall time of a flow run over no profiles."""
    days = _days(list(range(count)))
    pid = prefect_server.start(workdir)
    fixed = warm_up(workdir / "warm-up")
    measured = {name: Measured() for name in ways}
    breakdowns: dict[str, Stages] = {}
    root = workdir / "sync"
    with PageServer() as server:
        template = root / "template.duckdb"
        template.parent.mkdir(parents=True, exist_ok=True)
        with Store.open(template) as store:
            for number in range(count):
                store.add_profile(pages.new_profile(server, number))
        for repeat in range(repeats):
            for name, runner in ways.items():
                where = root / f"{name.replace(' ', '-')}-{repeat}"
                where.mkdir()
                shutil.copy(template, where / "tracker.duckdb")
                settings = Settings(
                    data_dir=where,
                    fetch=FetchSettings(politeness_delay=0),
                    concurrency=CONCURRENCY,
                )
                for day in days:
                    _serve(server, day)
                    prefect_server.wait_until_idle(pid)
                    timing = name == "bare serial" and repeat == 0
                    stages = breakdowns.setdefault(day.name, Stages()) if timing else None
                    cpu_before = prefect_server.cpu_seconds(pid)
                    start = time.perf_counter()
                    summary = runner(settings, day.as_of, stages)
                    wall = time.perf_counter() - start
                    measured[name].wall[day.name].append(wall)
                    measured[name].server_cpu[day.name].append(
                        prefect_server.cpu_seconds(pid) - cpu_before
                    )
                    _check(summary, day.name, count)
                shutil.rmtree(where)
    return measured, breakdowns, fixed


def _check(summary: RunSummary, day: str, count: int) -> None:
    """A benchmark of syncs that did not happen would measure nothing."""
    got = getattr(summary, EXPECTED[day])
    if summary.failed or got != count:
        raise RuntimeError(f"{day}: expected {count} {EXPECTED[day]}, got {summary}")


def _breakdown(stages: Stages, count: int) -> tuple[str, str]:
    """Milliseconds per profile in each stage and its share of the time; the store's parts."""
    seconds = stages.seconds
    syncs = seconds["syncs"]
    parts = {stage: seconds[stage] for stage in STAGES[:-1]}
    parts["store"] -= parts["diff"]  # the diff runs inside the store's transaction
    parts["other"] = syncs - sum(parts.values())
    parts["run end"] = seconds["run end"]
    total = syncs + parts["run end"]
    store_parts = {
        name: seconds[f"store: {name}"]
        for name in ("read previous", "write snapshot", "alert outbox")
    }
    store_parts["fetch row, validators, commits"] = parts["store"] - sum(store_parts.values())
    return _shares(parts, count, total), _shares(store_parts, count, parts["store"])


def _shares(parts: dict[str, float], count: int, total: float) -> str:
    return ", ".join(
        f"{name} {ms(seconds / count)} ({seconds / total:.0%})" for name, seconds in parts.items()
    )


def _section(
    measured: dict[str, Measured],
    breakdowns: dict[str, Stages],
    fixed: float,
    count: int,
    repeats: int,
) -> Section:
    def per_1000(seconds: float, fixed: float = 0.0) -> float:
        """A run over 1,000 profiles: the per-profile part scaled, the fixed part not."""
        return fixed + max(0.0, seconds - fixed) * 1000 / count

    section = Section(
        f"Sync throughput: {count:,} profiles from a local server, concurrency {CONCURRENCY}",
        f"best of {repeats}, the ways interleaved; the Prefect server idle before each run. "
        "Breakdown: the bare serial loop, instrumented.",
    )
    flow_ways = measured["flow"]
    serial = measured["bare serial"]
    threaded = measured[f"bare {CONCURRENCY} threads"]
    section.details.append(
        f"a flow run over no profiles takes {secs(fixed)}; per 1,000 profiles does not scale it"
    )
    section.details.append("where the time goes, per profile (bare serial loop, instrumented):")
    for day in DAYS:
        flow_best, serial_best, threaded_best = (
            flow_ways.best(day),
            serial.best(day),
            threaded.best(day),
        )
        like = min(serial_best, threaded_best)
        bare_walls = f"bare: {secs(threaded_best)} threads, {secs(serial_best)} serial"
        section.check(
            f"{day}: flow / bare",
            f"{ratio(flow_best / like)} ({secs(flow_best)})",
            bare_walls,
            f"<= {TARGET_RATIO:g}x",
            flow_best <= TARGET_RATIO * like,
            f"sync {day} flow 2x bare",
        )
        section.check(
            f"{day}: flow per 1,000 profiles",
            secs(per_1000(flow_best, fixed)),
            f"bare: {secs(per_1000(like))}",
            f"< {TARGET_SECONDS_PER_1000:g} s",
            per_1000(flow_best, fixed) < TARGET_SECONDS_PER_1000,
            f"sync {day} 1000 < 60 s",
        )
        stages, store = _breakdown(breakdowns[day], count)
        orchestration = flow_best - like
        per_profile = max(0.0, orchestration - fixed) / count
        server_cpu = min(flow_ways.server_cpu[day]) / count
        section.details += [
            f"  {day}: {stages}",
            f"    store: {store}",
            f"    orchestration (flow - best bare): {secs(orchestration)} a run, "
            f"{ms(per_profile)} a profile beyond the fixed cost; "
            f"Prefect server CPU {ms(server_cpu)} a profile",
        ]
    return section
