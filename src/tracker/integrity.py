"""The invariants a tracker database holds after anything, a killed sync included.

`check_invariants` lists what is broken (nothing, for a sound database); `tracker check`
prints it. A run may be left 'running' by a process that was killed: that is sound until
the next sync starts, which marks it failed (`Store.close_abandoned_runs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tracker.archive import Archive
from tracker.errors import StorageError
from tracker.pages import archived_pages
from tracker.store import FetchStatus, RunStatus, Store

__all__ = ["check_invariants"]

_SNAPSHOT_STATUSES = (FetchStatus.BASELINE.value, FetchStatus.CHANGED.value)
_SAMPLES = 3


@dataclass(frozen=True)
class Invariant:
    """What a violation is called, and a query for the violating rows (one readable column)."""

    broken: str
    sql: str


def _orphan(table: str, key: str, parent: str, column: str, parent_column: str = "id") -> str:
    return (
        f"SELECT {key} FROM {table} t WHERE NOT EXISTS "
        f"(SELECT 1 FROM {parent} p WHERE p.{parent_column} = t.{column})"
    )


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


_FETCH_STATUSES = _quoted(tuple(status.value for status in FetchStatus))
_RUN_STATUSES = _quoted(tuple(status.value for status in RunStatus))

INVARIANTS = (
    Invariant(
        "papers that belong to no profile",
        _orphan("papers", "profile_id || ' ' || key", "profiles", "profile_id"),
    ),
    Invariant(
        "metric observations that belong to no profile",
        _orphan("metric_observations", "profile_id || ' ' || metric", "profiles", "profile_id"),
    ),
    Invariant(
        "citations per year that belong to no profile",
        _orphan("citations_per_year", "profile_id || ' ' || year", "profiles", "profile_id"),
    ),
    Invariant(
        "changes that belong to no profile",
        _orphan("changes", "'change ' || id", "profiles", "profile_id"),
    ),
    Invariant(
        "fetches that belong to no profile",
        _orphan("fetches", "'fetch ' || id", "profiles", "profile_id"),
    ),
    Invariant(
        "changes that belong to no run", _orphan("changes", "'change ' || id", "runs", "run_id")
    ),
    Invariant(
        "fetches that belong to no run", _orphan("fetches", "'fetch ' || id", "runs", "run_id")
    ),
    Invariant(
        "profiles fetched more than once in one run",
        "SELECT 'run ' || run_id || ' ' || profile_id FROM fetches "
        "GROUP BY run_id, profile_id HAVING count(*) > 1",
    ),
    Invariant(
        "changes that belong to no fetch of their profile",
        "SELECT 'change ' || c.id FROM changes c WHERE NOT EXISTS (SELECT 1 FROM fetches f "
        "WHERE f.id = c.fetch_id AND f.profile_id = c.profile_id)",
    ),
    Invariant(
        "metric observations not written by a good snapshot of their profile at their time",
        "SELECT m.profile_id || ' ' || m.metric || ' at ' || m.observed_at "
        "FROM metric_observations m WHERE NOT EXISTS (SELECT 1 FROM fetches f "
        "WHERE f.id = m.fetch_id AND f.profile_id = m.profile_id "
        f"AND f.fetched_at = m.observed_at AND f.status IN ({_quoted(_SNAPSHOT_STATUSES)}))",
    ),
    Invariant(
        "metric observations earlier than the one recorded before them",
        "SELECT profile_id || ' ' || metric || ' at ' || observed_at FROM ("
        "SELECT *, lag(observed_at) OVER (PARTITION BY profile_id, metric ORDER BY fetch_id) "
        "AS previous FROM metric_observations) WHERE previous >= observed_at",
    ),
    Invariant(
        "papers first seen after they were removed",
        "SELECT profile_id || ' ' || key FROM papers WHERE first_seen > removed_at",
    ),
    Invariant(
        "fetches with an unknown status",
        f"SELECT 'fetch ' || id || ': ' || status FROM fetches "
        f"WHERE status NOT IN ({_FETCH_STATUSES})",
    ),
    Invariant(
        "runs with an unknown status",
        f"SELECT 'run ' || id || ': ' || status FROM runs WHERE status NOT IN ({_RUN_STATUSES})",
    ),
    Invariant(
        "runs left 'running' though a later run has started",
        "SELECT 'run ' || r.id FROM runs r WHERE r.status = 'running' "
        "AND EXISTS (SELECT 1 FROM runs later WHERE later.id > r.id)",
    ),
    Invariant(
        "finished runs without a sound finish time",
        "SELECT 'run ' || id FROM runs WHERE status <> 'running' "
        "AND (finished_at IS NULL OR finished_at < started_at)",
    ),
    Invariant(
        "alerts in the outbox for no channel",
        _orphan("alert_outbox", "event_id", "alert_channels", "channel_id"),
    ),
    Invariant(
        "alerts in the outbox for no event",
        _orphan("alert_outbox", "event_id", "alert_events", "event_id", "id"),
    ),
)


def check_invariants(store: Store, archive: Archive | None = None) -> list[str]:
    """What is broken in the database (and the archive beside it); empty when it is sound."""
    archive = archive if archive is not None else Archive(_archive_beside(store.path))
    problems = [problem for invariant in INVARIANTS if (problem := _violations(store, invariant))]
    return problems + _archive_problems(store, archive)


def _archive_beside(db_path: Path) -> Path:
    """Where `Settings.archive_dir` puts the archive of the database at `db_path`."""
    return db_path.parent / "archive"


def _violations(store: Store, invariant: Invariant) -> str | None:
    rows = store.query(f"SELECT count(*) OVER (), * FROM ({invariant.sql}) LIMIT {_SAMPLES}")
    if not rows:
        return None
    examples = ", ".join(str(row[1]) for row in rows)
    return f"{invariant.broken}: {rows[0][0]} (e.g. {examples})"


def _archive_problems(store: Store, archive: Archive) -> list[str]:
    """Every page a fetch or a profile refers to must be in the archive, intact."""
    snapshots = store.query(
        "SELECT content_sha256, any_value(content_type) FROM ("
        "SELECT content_sha256, content_type FROM fetches "
        "UNION ALL SELECT content_sha256, NULL FROM profiles"
        ") WHERE content_sha256 IS NOT NULL GROUP BY content_sha256 ORDER BY content_sha256"
    )
    problems = []
    for digest, content_type in snapshots:
        try:
            archived_pages(archive, digest, content_type, None)
        except StorageError as error:
            problems.append(f"an archived page is missing or corrupt: {error}")
        except (ValueError, KeyError, TypeError) as error:  # a page list that is not one
            problems.append(f"the archived page list {digest} is unreadable: {error!r}")
    return problems
