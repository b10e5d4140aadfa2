"""Opening the DuckDB file and every write to it.

One `Store` is shared by the threads of one process; a lock serialises its
transactions. Another process holding the file gets `StorageBusyError`.

The pydantic records and rows are imported where a method builds one: `tracker history`
opens the store and reads metrics without loading pydantic.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from tracker.errors import StorageBusyError, StorageError, UserInputError
from tracker.metrics import tidy_number
from tracker.store import engine
from tracker.store.schema import SCHEMA_VERSION, migrate, schema_version
from tracker.store.statuses import RunStatus

if TYPE_CHECKING:
    from tracker.changes import Change
    from tracker.records import ProfileRecord
    from tracker.store.models import FetchOutcome, Profile


# DuckDB keeps every table block it has read or written in its buffer pool, up to 80% of
# RAM by default: a long sync's memory would grow with the database. With this cap, older
# blocks are read back from the file (the OS's page cache) when needed; syncing 10,000
# profiles (a 290 MB database) ran no slower under it than under 256 MB or the default.
CONNECTION_CONFIG: dict[str, str | bool | int | float | list[str]] = {"memory_limit": "128MB"}
# One transaction that loads a whole worker's run (`tracker merge`) needs more working
# memory than that: under 128 MB, merging a 500-profile run failed out of memory.
BULK_MEMORY_LIMIT = "1GB"


def to_db_time(moment: datetime) -> datetime:
    """Aware or naive-UTC datetime → naive UTC, as stored."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def from_db_time(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


class Store:
    """The tracker database."""

    def __init__(self, con: engine.Connection, path: Path, *, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False) -> Store:
        """Open (creating and migrating when writable) the database at `path`."""
        if read_only and not path.exists():
            raise UserInputError(
                f"no database at {path}", hint="add a profile with `tracker add URL` first"
            )
        try:
            if not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
            con = engine.connect(str(path), read_only=read_only, config=CONNECTION_CONFIG)
        except engine.IOException as error:
            raise _storage_error(path, error) from None
        except OSError as error:
            raise StorageError(f"cannot create {path.parent}: {error.strerror}") from None
        try:
            if read_only:
                version = schema_version(con)
                if version != SCHEMA_VERSION:
                    raise StorageError(
                        f"{path} is at schema version {version}, this tracker needs "
                        f"{SCHEMA_VERSION}",
                        hint="run any writing command (such as `tracker sync`) to migrate it",
                    )
            else:
                migrate(con)
        except BaseException:
            con.close()
            raise
        return cls(con, path, read_only=read_only)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[engine.Connection]:
        """All-or-nothing: commit on success, roll back on any exception."""
        with self._lock:
            self.con.begin()
            try:
                yield self.con
            except BaseException:
                self.con.rollback()
                raise
            try:
                self.con.commit()
            except engine.Error as error:
                raise StorageError(f"could not commit to {self.path}: {error}") from None

    @contextmanager
    def bulk_memory(self) -> Iterator[None]:
        """Raise DuckDB's memory limit for a bulk write, and restore the cap after it."""
        with self._lock:
            self.con.execute(f"SET memory_limit = '{BULK_MEMORY_LIMIT}'")
            try:
                yield
            finally:
                self.con.execute(f"SET memory_limit = '{CONNECTION_CONFIG['memory_limit']}'")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read query, serialised with writes."""
        with self._lock:
            return self.con.execute(sql, list(params)).fetchall()

    # profiles

    def add_profile(self, profile: Profile) -> None:
        with self.transaction() as con:
            if con.execute("SELECT 1 FROM profiles WHERE id = ?", [profile.id]).fetchone():
                raise UserInputError(
                    f"a profile with id {profile.id!r} exists already",
                    hint="choose another with --id",
                )
            row = con.execute(
                "SELECT id FROM profiles WHERE url = ? AND active", [profile.url]
            ).fetchone()
            if row:
                raise UserInputError(f"{profile.url} is tracked already as {row[0]!r}")
            values = profile.model_dump()
            values["added_at"] = to_db_time(profile.added_at)
            columns = _profile_columns()
            con.execute(
                f"INSERT INTO profiles ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                [values[column] for column in columns],
            )

    def profile(self, profile_id: str) -> Profile:
        rows = self.profiles(ids=[profile_id], active_only=False)
        if not rows:
            raise _unknown_profile(profile_id)
        return rows[0]

    def require_profile(self, profile_id: str) -> None:
        """`profile` for a caller that needs only to know the profile exists."""
        if not self.query("SELECT 1 FROM profiles WHERE id = ?", [profile_id]):
            raise _unknown_profile(profile_id)

    def profiles(
        self, *, ids: Sequence[str] | None = None, active_only: bool = True
    ) -> list[Profile]:
        sql = f"SELECT {', '.join(_profile_columns())} FROM profiles WHERE true"
        params: list[Any] = []
        if ids is not None:
            sql += " AND list_contains(?, id)"
            params.append(list(ids))
        if active_only:
            sql += " AND active"
        rows = self.query(sql + " ORDER BY id", params)
        return [_profile_from_row(row) for row in rows]

    def deactivate_profile(self, profile_id: str) -> None:
        self.profile(profile_id)
        with self.transaction() as con:
            con.execute("UPDATE profiles SET active = false WHERE id = ?", [profile_id])

    def purge_profile(self, profile_id: str) -> None:
        """Delete a profile and everything recorded about it."""
        self.profile(profile_id)
        with self.transaction() as con:
            con.execute(
                "DELETE FROM alert_outbox WHERE event_id IN "
                "(SELECT id FROM alert_events WHERE profile_id = ?)",
                [profile_id],
            )
            for table in (
                "changes",
                "papers",
                "metric_observations",
                "citations_per_year",
                "fetches",
                "alert_events",
                "alert_attention",
            ):
                con.execute(f"DELETE FROM {table} WHERE profile_id = ?", [profile_id])
            con.execute("DELETE FROM profiles WHERE id = ?", [profile_id])

    # runs and fetches

    def start_run(self, started_at: datetime) -> int:
        with self.transaction() as con:
            row = con.execute(
                "INSERT INTO runs VALUES (nextval('run_id_seq'), ?, NULL, ?) RETURNING id",
                [to_db_time(started_at), RunStatus.RUNNING.value],
            ).fetchone()
        assert row is not None
        return int(row[0])

    def finish_run(self, run_id: int, finished_at: datetime, status: RunStatus) -> None:
        with self.transaction() as con:
            con.execute(
                "UPDATE runs SET finished_at = ?, status = ? WHERE id = ?",
                [to_db_time(finished_at), status.value, run_id],
            )

    def latest_run_start(self) -> datetime | None:
        [(started,)] = self.query("SELECT max(started_at) FROM runs")
        return from_db_time(started) if started else None

    def close_abandoned_runs(self, now: datetime) -> int:
        """Mark runs a killed process left 'running' as failed; returns how many."""
        with self.transaction() as con:
            rows = con.execute(
                "UPDATE runs SET status = ?, finished_at = ? WHERE status = ? RETURNING id",
                [RunStatus.FAILED.value, to_db_time(now), RunStatus.RUNNING.value],
            ).fetchall()
        return len(rows)

    def insert_fetch(
        self, con: engine.Connection, run_id: int, profile_id: str, outcome: FetchOutcome
    ) -> int:
        """Record a fetch inside the caller's transaction; returns its id."""
        row = con.execute(
            "INSERT INTO fetches VALUES (nextval('fetch_id_seq'), ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            [
                run_id,
                profile_id,
                to_db_time(outcome.fetched_at),
                outcome.status.value,
                outcome.http_status,
                outcome.content_sha256,
                outcome.content_type,
                outcome.reason,
            ],
        ).fetchone()
        assert row is not None
        return int(row[0])

    def set_validators(
        self,
        con: engine.Connection,
        profile_id: str,
        *,
        etag: str | None,
        last_modified: str | None,
        content_sha256: str | None,
    ) -> None:
        """Remember what makes the next request conditional, inside the caller's transaction."""
        con.execute(
            "UPDATE profiles SET etag = ?, last_modified = ?, content_sha256 = ? WHERE id = ?",
            [etag, last_modified, content_sha256, profile_id],
        )

    def move_profile(self, con: engine.Connection, profile_id: str, url: str) -> None:
        """The profile answered from a new address for good (a merged author, a moved page)."""
        con.execute("UPDATE profiles SET url = ? WHERE id = ?", [url, profile_id])

    # snapshots

    def current_record(self, profile_id: str) -> ProfileRecord | None:
        """The last good snapshot of a profile, rebuilt from what is stored; None before any."""
        with self._lock:
            return self.record_in(self.con, profile_id)

    def record_in(self, con: engine.Connection, profile_id: str) -> ProfileRecord | None:
        """`current_record` inside the caller's transaction."""
        from tracker.records import Paper, ProfileRecord

        head = con.execute(
            "SELECT p.source, p.url, p.name, p.affiliation, max(f.fetched_at) "
            "FROM profiles p JOIN fetches f ON f.profile_id = p.id "
            "WHERE p.id = ? AND f.status IN ('baseline', 'changed', 'unchanged') "
            "GROUP BY ALL",
            [profile_id],
        ).fetchone()
        if head is None:
            return None
        source, url, name, affiliation, fetched_at = head
        metrics = con.execute(
            "SELECT metric, value FROM latest_metrics WHERE profile_id = ?", [profile_id]
        ).fetchall()
        columns = tuple(Paper.model_fields)
        papers = con.execute(
            f"SELECT {', '.join(columns)} FROM papers "
            "WHERE profile_id = ? AND removed_at IS NULL ORDER BY first_seen, key",
            [profile_id],
        ).fetchall()
        return ProfileRecord(
            source=source,
            url=url,
            name=name or "",
            affiliation=affiliation,
            fetched_at=from_db_time(fetched_at),
            metrics={metric: tidy_number(value) for metric, value in metrics},
            papers=[Paper(**dict(zip(columns, row, strict=True))) for row in papers],
        )

    def apply_snapshot(
        self,
        con: engine.Connection,
        *,
        run_id: int,
        fetch_id: int,
        profile_id: str,
        record: ProfileRecord,
        changes: Sequence[Change],
        baseline: bool,
    ) -> None:
        """Write a good snapshot and its changes inside the caller's transaction.

        Only what changed is written: an unchanged snapshot writes nothing here.
        """
        from tracker.store import bulk  # pyarrow: only writing commands pay for it

        observed_at = to_db_time(record.fetched_at)
        con.execute(
            "UPDATE profiles SET name = ?, affiliation = ? WHERE id = ? "
            "AND (name IS DISTINCT FROM ? OR affiliation IS DISTINCT FROM ?)",
            [record.name, record.affiliation, profile_id, record.name, record.affiliation],
        )
        changed_metrics = (
            record.metrics
            if baseline
            else {c.metric: c.new for c in changes if c.metric is not None and c.new is not None}
        )
        if changed_metrics:
            bulk.insert_metric_observations(
                con, profile_id, changed_metrics, observed_at=observed_at, fetch_id=fetch_id
            )
        touched = (
            {paper.key for paper in record.papers}
            if baseline
            else {c.paper_key for c in changes if c.paper_key and c.kind != "paper_removed"}
        )
        upserts = [paper for paper in record.papers if paper.key in touched]
        if upserts:
            bulk.upsert_papers(con, profile_id, upserts, observed_at)
        removed = [c.paper_key for c in changes if c.kind == "paper_removed"]
        if removed:
            con.execute(
                "UPDATE papers SET removed_at = ? WHERE profile_id = ? AND list_contains(?, key)",
                [observed_at, profile_id, removed],
            )
        if changes and not baseline:
            bulk.insert_changes(con, run_id, fetch_id, profile_id, observed_at, changes)
        bulk.record_citations_per_year(con, profile_id, record.citations_per_year, observed_at)

    # reparse

    def forget_snapshots(
        self, con: engine.Connection, profile_id: str, fetch_ids: Sequence[int]
    ) -> None:
        """Before a re-parse: drop a profile's snapshots and changes, and mark the fetches
        to replay as pending, so none of them counts as a good snapshot until replayed."""
        for table in ("changes", "papers", "metric_observations", "citations_per_year"):
            con.execute(f"DELETE FROM {table} WHERE profile_id = ?", [profile_id])
        con.execute(
            "UPDATE fetches SET status = 'reparsing' WHERE list_contains(?, id)", [list(fetch_ids)]
        )

    def update_fetch(
        self, con: engine.Connection, fetch_id: int, status: str, reason: str | None
    ) -> None:
        con.execute(
            "UPDATE fetches SET status = ?, reason = ? WHERE id = ?", [status, reason, fetch_id]
        )


@cache
def _profile_columns() -> tuple[str, ...]:
    """The profiles table's columns, in `Profile`'s order; read from the model once."""
    from tracker.store.models import Profile

    return tuple(Profile.model_fields)


def _profile_from_row(row: tuple[Any, ...]) -> Profile:
    from tracker.store.models import Profile

    values = dict(zip(_profile_columns(), row, strict=True))
    values["added_at"] = from_db_time(values["added_at"])
    return Profile(**values)


def _unknown_profile(profile_id: str) -> UserInputError:
    return UserInputError(f"no profile with id {profile_id!r}", hint="`tracker list` shows the ids")


def _storage_error(path: Path, error: engine.IOException) -> StorageError:
    message = str(error)
    if "lock" in message.lower():
        return StorageBusyError(f"the database {path} is in use by another process")
    if "read-only" in message.lower() or "permission" in message.lower():
        return StorageError(f"cannot write the database {path}: permission denied")
    return StorageError(f"cannot open the database {path}: {message.splitlines()[0]}")
