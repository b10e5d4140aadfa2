"""Where things live in the shared folder, and which rows of a run each export file holds."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

REGISTRY_FILE = "profiles.parquet"
RUNS_DIR = "runs"
MANIFEST_FILE = "manifest.json"
PARTIAL_PREFIX = ".partial-"

# Each table's rows that one run wrote, selected by the run's id (`$run`). A profile's papers
# change only with a good snapshot that differs (baseline or changed), so only those
# profiles' papers travel; the rest of a paper's history is in changes and metrics.
RUN_FETCHES = "SELECT profile_id, fetched_at, status FROM fetches WHERE run_id = $run"
EXPORTED_ROWS: dict[str, str] = {
    "runs": "SELECT * FROM runs WHERE id = $run",
    "fetches": "SELECT * FROM fetches WHERE run_id = $run ORDER BY id",
    "profiles": f"SELECT * FROM profiles WHERE id IN (SELECT profile_id FROM ({RUN_FETCHES}))",
    "metric_observations": (
        "SELECT * FROM metric_observations "
        "WHERE fetch_id IN (SELECT id FROM fetches WHERE run_id = $run)"
    ),
    "papers": (
        "SELECT * FROM papers WHERE profile_id IN (SELECT profile_id FROM "
        f"({RUN_FETCHES}) WHERE status IN ('baseline', 'changed'))"
    ),
    "changes": "SELECT * FROM changes WHERE run_id = $run ORDER BY id",
    "citations_per_year": (
        "SELECT * FROM citations_per_year "
        f"WHERE (profile_id, observed_at) IN (SELECT profile_id, fetched_at FROM ({RUN_FETCHES}))"
    ),
    "alert_events": "SELECT * FROM alert_events WHERE run_id = $run ORDER BY occurred_at, id",
}


class Manifest(BaseModel):
    """What an export holds; written last, so a folder with one is complete."""

    name: str
    worker: str
    run_id: int  # in the worker's database
    started_at: str
    schema_version: int
    rows: dict[str, int]


def runs_dir(shared: Path) -> Path:
    return shared / RUNS_DIR


def export_name(worker: str, run_id: int) -> str:
    """The export's folder name: the same run of the same worker always gets the same one."""
    return f"{worker}-run-{run_id}"


def table_file(folder: Path, table: str) -> Path:
    return folder / f"{table}.parquet"


def sql_path(path: Path) -> str:
    """A path as a SQL string literal (COPY and read_parquet take no parameters)."""
    return "'" + str(path).replace("'", "''") + "'"
