"""Growth: a year of daily syncs of many profiles, about 1% of them changing each day.

The year is simulated without HTTP, through the store path a sync takes: a day's unchanged
profiles are one `not_modified` fetch row each (what a 304 records), a changed profile's
page is rendered, archived and parsed, and its snapshot goes through `record_snapshot` in its
own transaction.
The last two days are real syncs (`Syncer.sync` against a local server): a day of 304s, then
a day of the same bytes without validators. The rows each adds, table by table, show what an
unchanged day costs.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from benchmarks import pages
from benchmarks.report import Section, mib
from benchmarks.sync import bare
from tracker.archive import Archive
from tracker.demo_page import render_profile_html
from tracker.pageserver import PageServer, Response
from tracker.records import ProfileRecord
from tracker.settings import FetchSettings, Settings
from tracker.sources.profile_page import SOURCE
from tracker.store import FetchOutcome, FetchStatus, RunStatus, Store
from tracker.store.database import to_db_time
from tracker.sync import record_snapshot

CHANGING_SHARE = 0.01
TARGET_BYTES = 50 * 2**20
CONTENT_TYPE = "text/html; charset=utf-8"
REAL_DAYS = 2  # the year's last days run through Syncer.sync


@dataclass(frozen=True)
class Scale:
    profiles: int
    days: int


def scale(*, quick: bool) -> Scale:
    return Scale(100, 30) if quick else Scale(1000, 365)


def database(workdir: Path) -> Path:
    return workdir / "growth" / "tracker.duckdb"


@dataclass
class Grown:
    """What the year left behind."""

    after_first_day: int  # bytes, after a checkpoint
    at_end: int
    archive_bytes: int
    rows: dict[str, int]
    unchanged_days: list[dict[str, int]]  # rows added, per table, by each unchanged real day
    simulated_seconds: float


def grow(workdir: Path, size: Scale) -> Grown:
    """Build the database of a year of syncs under `workdir`."""
    path = database(workdir)
    path.parent.mkdir(parents=True, exist_ok=True)
    archive = Archive(path.parent / "archive")
    rng = random.Random(7)
    numbers = range(size.profiles)
    with PageServer() as server:
        started = time.perf_counter()
        with Store.open(path) as store:
            for number in numbers:
                store.add_profile(pages.new_profile(server, number))
            records = {n: pages.researcher(n) for n in numbers}
            keeper = _Keeper(store, archive, server)
            keeper.first_day(records)
            after_first_day = _checkpointed_size(store)
            for day in range(1, size.days - REAL_DAYS):
                keeper.simulated_day(records, rng, pages.DAY_ONE + timedelta(days=day))
        simulated = time.perf_counter() - started
        unchanged = _real_days(workdir, server, records, size)
    with Store.open(path) as store:
        at_end = _checkpointed_size(store)
        rows = _row_counts(store)
    archived = sum(f.stat().st_size for f in archive.root.rglob("*.gz"))
    return Grown(after_first_day, at_end, archived, rows, unchanged, simulated)


@dataclass
class _Keeper:
    """Stores a simulated day as a sync would."""

    store: Store
    archive: Archive
    server: PageServer

    def first_day(self, records: dict[int, ProfileRecord]) -> None:
        run_id = self.store.start_run(pages.DAY_ONE)
        for number, record in records.items():
            self.snapshot(run_id, number, record)
        self.store.finish_run(run_id, pages.DAY_ONE, RunStatus.OK)

    def simulated_day(
        self, records: dict[int, ProfileRecord], rng: random.Random, at: datetime
    ) -> None:
        """About 1% of the profiles change (their records evolve); the rest answer 304."""
        count = max(1, round(len(records) * CHANGING_SHARE))
        changing = set(rng.sample(sorted(records), count))
        run_id = self.store.start_run(at)
        with self.store.transaction() as con:
            _not_modified(con, run_id, [pages.profile_id(n) for n in records.keys() - changing], at)
        for number in sorted(changing):
            record = pages.evolve(records[number], rng, at.date())
            records[number] = record.model_copy(update={"fetched_at": at})
            self.snapshot(run_id, number, records[number])
        self.store.finish_run(run_id, at, RunStatus.OK)

    def snapshot(self, run_id: int, number: int, record: ProfileRecord) -> None:
        """What a sync stores for a changed page: the page in the archive, its parse."""
        html = render_profile_html(record)
        url = self.server.url(pages.path_of(number))
        parsed = SOURCE.parse(html, url=url, fetched_at=record.fetched_at)
        outcome = FetchOutcome(
            status=FetchStatus.CHANGED,
            fetched_at=record.fetched_at,
            http_status=200,
            content_sha256=self.archive.put(html.encode()),
            content_type=CONTENT_TYPE,
        )
        profile_id = pages.profile_id(number)
        with self.store.transaction() as con:
            result = record_snapshot(self.store, con, run_id, profile_id, outcome, parsed)
            self.store.set_validators(
                con,
                profile_id,
                etag=etag(outcome.content_sha256),
                last_modified=None,
                content_sha256=outcome.content_sha256,
            )
        if not result.status.is_good:
            raise RuntimeError(f"the simulated snapshot of {profile_id} failed: {result}")


def _not_modified(
    con: duckdb.DuckDBPyConnection, run_id: int, profile_ids: list[str], at: datetime
) -> None:
    """The fetch rows of a day's 304s at once: each the row `Store.insert_fetch` would write.

    One row at a time takes a millisecond or more, which is minutes over a year.
    """
    rows = pa.table(
        {
            "run_id": [run_id] * len(profile_ids),
            "profile_id": profile_ids,
            "fetched_at": [to_db_time(at)] * len(profile_ids),
            "status": [FetchStatus.NOT_MODIFIED.value] * len(profile_ids),
            "http_status": pa.array([304] * len(profile_ids), type=pa.int32()),
        }
    )
    con.register("_not_modified", rows)
    try:
        con.execute(
            "INSERT INTO fetches BY NAME SELECT nextval('fetch_id_seq') AS id, * FROM _not_modified"
        )
    finally:
        con.unregister("_not_modified")


def etag(digest: str | None) -> str:
    """The ETag the page server gives a page: its digest, quoted."""
    return f'"{digest}"'


def _real_days(
    workdir: Path, server: PageServer, records: dict[int, ProfileRecord], size: Scale
) -> list[dict[str, int]]:
    """The last days through Syncer.sync; the rows each (unchanged) day added, by table."""
    settings = Settings(
        data_dir=workdir / "growth",
        db=database(workdir),
        fetch=FetchSettings(politeness_delay=0),
    )
    bodies = {n: render_profile_html(record).encode() for n, record in records.items()}
    last = pages.DAY_ONE + timedelta(days=size.days - REAL_DAYS)
    sync = bare(threads=1)
    added: list[dict[str, int]] = []
    for day, validators in enumerate((True, False)):
        for number, body in bodies.items():
            tag = etag(hashlib.sha256(body).hexdigest()) if validators else None
            server.set(pages.path_of(number), Response(body=body, etag=tag))
        with Store.open(settings.db_path, read_only=True) as store:
            before = _row_counts(store)
        summary = sync(settings, last + timedelta(days=day), None)
        if summary.failed or summary.unchanged != len(records):
            raise RuntimeError(f"an unchanged day did not sync as unchanged: {summary}")
        with Store.open(settings.db_path, read_only=True) as store:
            added.append(
                {table: count - before[table] for table, count in _row_counts(store).items()}
            )
    return added


def _checkpointed_size(store: Store) -> int:
    store.con.execute("CHECKPOINT")
    return store.path.stat().st_size


def _row_counts(store: Store) -> dict[str, int]:
    tables = [name for (name,) in store.query("SELECT table_name FROM duckdb_tables()")]
    return {table: store.query(f'SELECT count(*) FROM "{table}"')[0][0] for table in tables}


def run(workdir: Path, *, quick: bool) -> Section:
    size = scale(quick=quick)
    grown = grow(workdir, size)
    per_year = 365 / (size.days - 1)  # the first day is the baseline, the rest is growth
    section = Section(
        f"Growth: {size.profiles:,} profiles synced daily for {size.days} days, "
        f"{CHANGING_SHARE:.0%} changing a day",
        f"simulated through the store path in {grown.simulated_seconds:.0f} s; "
        f"the last {REAL_DAYS} days through Syncer.sync (unchanged); sizes after CHECKPOINT",
    )
    section.check(
        f"database after {size.days} days",
        mib(grown.at_end),
        f"{mib(grown.after_first_day)} after day 1",
        f"< {mib(TARGET_BYTES)}",
        grown.at_end < TARGET_BYTES,
        "growth db < 50 MB",
    )
    growth = (grown.at_end - grown.after_first_day) / size.profiles * per_year
    section.info(
        "bytes per profile per year (database)",
        f"{growth:,.0f} B",
        f"{grown.after_first_day / size.profiles:,.0f} B per profile on day 1",
    )
    section.info(
        "archive (gzipped pages, beside the database)",
        mib(grown.archive_bytes),
        f"{grown.archive_bytes / size.profiles:,.0f} B per profile",
    )
    expected = {"fetches": size.profiles, "runs": 1}
    for name, added in zip(("304", "same bytes"), grown.unchanged_days, strict=True):
        rows = {table: count for table, count in added.items() if count}
        section.check(
            f"rows added by an unchanged day ({name})",
            ", ".join(f"{table} +{count}" for table, count in sorted(rows.items())),
            f"fetches +{size.profiles}, runs +1",
            "the run and its fetches only",
            rows == expected,
            f"growth unchanged day ({name})",
        )
    section.info(
        "rows at the end",
        ", ".join(f"{table} {count:,}" for table, count in sorted(grown.rows.items()) if count),
    )
    return section
