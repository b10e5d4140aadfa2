"""What `tracker history` reads: a profile's metric observations and when it was read.

Plain tuples rather than the pydantic rows of `tracker.store.queries`, so the command
starts without loading pydantic.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from tracker.metrics import MetricValue, tidy_number
from tracker.store.database import Store, from_db_time, to_db_time
from tracker.store.statuses import GOOD_STATUSES


class MetricPoint(NamedTuple):
    """A metric's value from `observed_at` until the next point."""

    observed_at: datetime
    metric: str
    value: MetricValue


def metric_history(
    store: Store,
    profile_id: str,
    *,
    metric: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[MetricPoint]:
    store.require_profile(profile_id)
    sql = "SELECT observed_at, metric, value FROM metric_observations WHERE profile_id = ?"
    params: list[Any] = [profile_id]
    sql, params = and_optional(sql, params, "metric = ?", metric)
    sql, params = and_optional(sql, params, "observed_at >= ?", since and to_db_time(since))
    sql, params = and_optional(sql, params, "observed_at <= ?", until and to_db_time(until))
    rows = store.query(sql + " ORDER BY observed_at, metric", params)
    return [MetricPoint(from_db_time(at), name, tidy_number(value)) for at, name, value in rows]


def good_fetch_span(store: Store, profile_id: str) -> tuple[datetime, datetime] | None:
    """When the profile was first and last read successfully; None before its first sync."""
    [(first, last)] = store.query(
        "SELECT min(fetched_at), max(fetched_at) FROM fetches "
        "WHERE profile_id = ? AND list_contains(?, status)",
        [profile_id, sorted(GOOD_STATUSES)],
    )
    return (from_db_time(first), from_db_time(last)) if first is not None else None


def and_optional(sql: str, params: list[Any], clause: str, value: object) -> tuple[str, list[Any]]:
    """`sql AND clause` with `value` as its parameter; `sql` unchanged when value is None."""
    if value is None:
        return sql, params
    return f"{sql} AND {clause}", [*params, value]
