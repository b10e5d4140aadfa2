"""Read queries behind `list`, `history`, `papers`, `changes` and `report`."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from tracker.metrics import MetricValue, metric_delta, tidy_number
from tracker.store.database import Store, from_db_time, to_db_time
from tracker.store.history_reads import and_optional
from tracker.store.statuses import GOOD_STATUSES


class ChangeRow(BaseModel):
    """A stored change, in the JSON shape scripts rely on."""

    model_config = ConfigDict(frozen=True)

    profile: str
    detected_at: datetime
    kind: Literal["metric_changed", "paper_added", "paper_removed", "paper_changed"]
    metric: str | None
    old: Any
    new: Any
    delta: MetricValue | None = None
    paper: dict[str, str] | None
    fields: list[str] = []
    run_id: int


class PaperRow(BaseModel):
    key: str
    title: str
    authors: list[str]
    authors_truncated: bool
    published: date | None
    year: int | None
    category: str | None
    venue: str | None
    has_code: bool
    code_url: str | None
    url: str | None
    citations: int | None
    first_seen: datetime
    removed_at: datetime | None


PaperT = TypeVar("PaperT", bound=PaperRow)


class PaperDetail(PaperRow):
    """A paper with what only a full view shows: its ids and abstract."""

    arxiv_id: str | None
    doi: str | None
    abstract: str | None


class FetchRow(BaseModel):
    profile: str
    fetched_at: datetime
    status: str
    reason: str | None
    run_id: int


class ProfileSummary(BaseModel):
    """One line of `tracker list`."""

    id: str
    name: str | None
    url: str
    source: str
    person: str | None
    metrics: dict[str, MetricValue]
    deltas: dict[str, MetricValue]
    papers: int
    last_sync: datetime | None
    last_status: str | None
    last_reason: str | None


def papers(
    store: Store,
    profile_id: str,
    *,
    new_since: datetime | None = None,
    include_removed: bool = False,
) -> list[PaperRow]:
    return _select_papers(
        store, PaperRow, profile_id, new_since=new_since, include_removed=include_removed
    )


def paper_details(
    store: Store,
    profile_id: str,
    *,
    new_since: datetime | None = None,
    keys: list[str] | None = None,
) -> list[PaperDetail]:
    """`papers` with ids and abstracts, optionally only the papers with these keys."""
    return _select_papers(store, PaperDetail, profile_id, new_since=new_since, keys=keys)


def _select_papers(
    store: Store,
    model: type[PaperT],
    profile_id: str,
    *,
    new_since: datetime | None,
    include_removed: bool = False,
    keys: list[str] | None = None,
) -> list[PaperT]:
    store.profile(profile_id)
    columns = list(model.model_fields)
    sql = f"SELECT {', '.join(columns)} FROM papers WHERE profile_id = ?"
    params: list[Any] = [profile_id]
    if not include_removed:
        sql += " AND removed_at IS NULL"
    sql, params = and_optional(sql, params, "first_seen >= ?", new_since and to_db_time(new_since))
    sql, params = and_optional(sql, params, "list_contains(?, key)", keys)
    rows = store.query(
        sql + " ORDER BY published DESC NULLS LAST, year DESC NULLS LAST, title", params
    )
    result = []
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        values["first_seen"] = from_db_time(values["first_seen"])
        if values["removed_at"] is not None:
            values["removed_at"] = from_db_time(values["removed_at"])
        result.append(model(**values))
    return result


def citation_gains(
    store: Store, profile_id: str, *, since: datetime | None = None
) -> dict[str, int]:
    """Citations each paper gained after `since` (everything recorded without it), by key."""
    sql = (
        "SELECT paper_key, sum(CAST(new->>'$.citations' AS BIGINT) "
        "- CAST(old->>'$.citations' AS BIGINT)) FROM changes "
        "WHERE profile_id = ? AND kind = 'paper_changed' AND list_contains(fields, 'citations')"
    )
    params: list[Any] = [profile_id]
    sql, params = and_optional(sql, params, "detected_at > ?", since and to_db_time(since))
    rows = store.query(sql + " GROUP BY paper_key", params)
    return {key: int(gain) for key, gain in rows if gain is not None}


def citations_per_year(store: Store, profile_id: str) -> dict[int, int]:
    """The latest citation count of each year, oldest year first (sources that give them)."""
    rows = store.query(
        "SELECT year, arg_max(citations, observed_at) FROM citations_per_year "
        "WHERE profile_id = ? GROUP BY year ORDER BY year",
        [profile_id],
    )
    return {int(year): int(count) for year, count in rows}


def changes(
    store: Store,
    *,
    profile_ids: list[str] | None = None,
    since: datetime | None = None,
    run_id: int | None = None,
) -> list[ChangeRow]:
    sql = (
        "SELECT profile_id, detected_at, kind, metric, old, new, paper_key, paper_title, "
        "fields, run_id FROM changes WHERE true"
    )
    params: list[Any] = []
    sql, params = and_optional(sql, params, "list_contains(?, profile_id)", profile_ids)
    sql, params = and_optional(sql, params, "detected_at >= ?", since and to_db_time(since))
    sql, params = and_optional(sql, params, "run_id = ?", run_id)
    rows = store.query(sql + " ORDER BY detected_at, profile_id, id", params)
    result = []
    for profile, at, kind, metric, old, new, key, title, fields, run in rows:
        old_value, new_value = _load_json(old), _load_json(new)
        result.append(
            ChangeRow(
                profile=profile,
                detected_at=from_db_time(at),
                kind=kind,
                metric=metric,
                old=old_value,
                new=new_value,
                delta=metric_delta(old_value, new_value) if metric else None,
                paper={"key": key, "title": title} if key else None,
                fields=fields or [],
                run_id=run,
            )
        )
    return result


def problem_fetches(
    store: Store,
    *,
    profile_ids: list[str] | None = None,
    since: datetime | None = None,
    run_id: int | None = None,
    statuses: tuple[str, ...] = ("failed", "blocked", "layout_changed", "baseline"),
) -> list[FetchRow]:
    """Fetches a report mentions besides changes: baselines and failures."""
    sql = (
        "SELECT profile_id, fetched_at, status, reason, run_id FROM fetches "
        "WHERE list_contains(?, status)"
    )
    params: list[Any] = [list(statuses)]
    sql, params = and_optional(sql, params, "list_contains(?, profile_id)", profile_ids)
    sql, params = and_optional(sql, params, "fetched_at >= ?", since and to_db_time(since))
    sql, params = and_optional(sql, params, "run_id = ?", run_id)
    rows = store.query(sql + " ORDER BY fetched_at, id", params)
    return [
        FetchRow(profile=p, fetched_at=from_db_time(at), status=s, reason=r, run_id=run)
        for p, at, s, r, run in rows
    ]


def profile_summaries(store: Store, profile_ids: list[str] | None = None) -> list[ProfileSummary]:
    """Every active profile with its latest metrics and how its last sync went."""
    profiles = store.profiles(ids=profile_ids)
    if not profiles:
        return []
    ids = [p.id for p in profiles]
    latest: dict[str, dict[str, MetricValue]] = {}
    deltas: dict[str, dict[str, MetricValue]] = {}
    # The delta is the change since the previous good sync: the latest value minus the
    # value in force when that sync read the page (nothing when the last sync changed nothing).
    for profile_id, metric, value, before in store.query(
        "WITH previous AS (SELECT profile_id, fetched_at FROM fetches "
        "  WHERE list_contains(?, profile_id) AND list_contains(?, status) "
        "  QUALIFY row_number() OVER "
        "  (PARTITION BY profile_id ORDER BY fetched_at DESC, id DESC) = 2) "
        "SELECT o.profile_id, o.metric, arg_max(o.value, o.observed_at), "
        "  arg_max(o.value, o.observed_at) FILTER (WHERE o.observed_at <= p.fetched_at) "
        "FROM metric_observations o LEFT JOIN previous p USING (profile_id) "
        "WHERE list_contains(?, o.profile_id) GROUP BY ALL",
        [ids, sorted(GOOD_STATUSES), ids],
    ):
        latest.setdefault(profile_id, {})[metric] = tidy_number(value)
        if before is not None and before != value:
            deltas.setdefault(profile_id, {})[metric] = tidy_number(value - before)
    paper_counts = dict(
        store.query(
            "SELECT profile_id, count(*) FROM papers WHERE removed_at IS NULL "
            "AND list_contains(?, profile_id) GROUP BY ALL",
            [ids],
        )
    )
    last_fetch = {
        row[0]: row[1:]
        for row in store.query(
            "SELECT profile_id, fetched_at, status, reason FROM fetches "
            "WHERE list_contains(?, profile_id) "
            "QUALIFY row_number() OVER "
            "(PARTITION BY profile_id ORDER BY fetched_at DESC, id DESC) = 1",
            [ids],
        )
    }
    summaries = []
    for profile in profiles:
        at, status, reason = last_fetch.get(profile.id, (None, None, None))
        summaries.append(
            ProfileSummary(
                id=profile.id,
                name=profile.name,
                url=profile.url,
                source=profile.source,
                person=profile.person,
                metrics=latest.get(profile.id, {}),
                deltas=deltas.get(profile.id, {}),
                papers=paper_counts.get(profile.id, 0),
                last_sync=from_db_time(at) if at else None,
                last_status=status,
                last_reason=reason,
            )
        )
    return summaries


def _load_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)
