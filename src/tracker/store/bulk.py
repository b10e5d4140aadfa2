"""Bulk writes through Arrow: imported by the writing paths only, so reads start fast."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import duckdb  # noqa: F401  # sets the engine up to scan the Arrow tables given to `register`
import pyarrow as pa

from tracker.changes import Change
from tracker.records import MetricValue, Paper
from tracker.store import engine

PAPER_COLUMNS = tuple(Paper.model_fields)


def insert_metric_observations(
    con: engine.Connection,
    profile_id: str,
    metrics: Mapping[str, MetricValue],
    *,
    observed_at: datetime,
    fetch_id: int,
) -> None:
    insert_arrow(
        con,
        "metric_observations",
        pa.table(
            {
                "profile_id": [profile_id] * len(metrics),
                "metric": list(metrics),
                "observed_at": [observed_at] * len(metrics),
                "value": [float(v) for v in metrics.values()],
                "fetch_id": [fetch_id] * len(metrics),
            }
        ),
        replace=True,  # two syncs in the same instant: the later value stands
    )


def insert_arrow(
    con: engine.Connection, table: str, rows: pa.Table, *, replace: bool = False
) -> None:
    con.register("_rows", rows)
    try:
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        con.execute(f"{verb} INTO {table} BY NAME SELECT * FROM _rows")
    finally:
        con.unregister("_rows")


def upsert_papers(
    con: engine.Connection,
    profile_id: str,
    papers: Sequence[Paper],
    observed_at: datetime,
) -> None:
    columns: dict[str, list[Any]] = {name: [] for name in PAPER_COLUMNS}
    for paper in papers:
        for name in PAPER_COLUMNS:
            columns[name].append(getattr(paper, name))
    rows = pa.table(
        {
            "profile_id": [profile_id] * len(papers),
            **{
                name: pa.array(values, type=_PAPER_TYPES.get(name))
                for name, values in columns.items()
            },
            "first_seen": [observed_at] * len(papers),
            "removed_at": pa.array([None] * len(papers), type=pa.timestamp("us")),
        }
    )
    updates = ", ".join(f"{name} = excluded.{name}" for name in (*PAPER_COLUMNS[1:], "removed_at"))
    con.register("_papers", rows)
    try:
        con.execute(
            f"INSERT INTO papers BY NAME SELECT * FROM _papers ON CONFLICT DO UPDATE SET {updates}"
        )
    finally:
        con.unregister("_papers")


_PAPER_TYPES: dict[str, pa.DataType] = {
    "authors": pa.list_(pa.string()),
    "published": pa.date32(),
    "year": pa.int32(),
    "citations": pa.int32(),
    "category": pa.string(),
    "venue": pa.string(),
    "code_url": pa.string(),
    "url": pa.string(),
    "arxiv_id": pa.string(),
    "doi": pa.string(),
    "abstract": pa.string(),
}


def insert_changes(
    con: engine.Connection,
    run_id: int,
    fetch_id: int,
    profile_id: str,
    detected_at: datetime,
    changes: Sequence[Change],
) -> None:
    count = len(changes)
    ids = con.execute("SELECT nextval('change_id_seq') FROM range(?)", [count]).fetchall()
    rows = pa.table(
        {
            "id": [row[0] for row in ids],
            "run_id": [run_id] * count,
            "fetch_id": [fetch_id] * count,
            "profile_id": [profile_id] * count,
            "detected_at": [detected_at] * count,
            "kind": [c.kind.value for c in changes],
            "metric": pa.array([c.metric for c in changes], type=pa.string()),
            "paper_key": pa.array([c.paper_key for c in changes], type=pa.string()),
            "paper_title": pa.array([c.paper_title for c in changes], type=pa.string()),
            "old": [json.dumps(c.old) for c in changes],
            "new": [json.dumps(c.new) for c in changes],
            "fields": pa.array([list(c.fields) for c in changes], type=pa.list_(pa.string())),
        }
    )
    insert_arrow(con, "changes", rows)


def record_citations_per_year(
    con: engine.Connection, profile_id: str, counts: dict[int, int], observed_at: datetime
) -> None:
    """Write each year's count that differs from the last one stored (a year never disappears)."""
    if not counts:
        return
    stored = dict(
        con.execute(
            "SELECT year, arg_max(citations, observed_at) FROM citations_per_year "
            "WHERE profile_id = ? GROUP BY year",
            [profile_id],
        ).fetchall()
    )
    changed = {year: count for year, count in counts.items() if stored.get(year) != count}
    if changed:
        insert_arrow(
            con,
            "citations_per_year",
            pa.table(
                {
                    "profile_id": [profile_id] * len(changed),
                    "year": pa.array(list(changed), type=pa.int32()),
                    "citations": pa.array(list(changed.values()), type=pa.int32()),
                    "observed_at": [observed_at] * len(changed),
                }
            ),
            replace=True,
        )
